import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProvider } from '../contract/sms-fake-provider.ts';

const run = promisify(execFile);
const TESSERA = join(process.cwd(), 'bin/tessera.js');

/** Runs `tessera ...`; resolves with its output and exit code, whatever the code. */
async function tessera(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [TESSERA, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the tessera command', () => {
  let dir: string;
  let twilio: FakeProvider;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    twilio = await FakeProvider.start();
    const configFile = join(dir, 'tessera.yaml');
    writeFileSync(
      configFile,
      [
        'connections:',
        '  - name: sms',
        '    strategy: sms',
        '    options:',
        '      provider: twilio',
        `      twilio_sid: AC${'0123456789abcdef'.repeat(2)}`,
        '      twilio_token: cli-test-token',
        "      from: '+15005550006'",
        `      twilio_base_url: ${twilio.url}`,
        '  - name: email',
        '    strategy: email',
      ].join('\n'),
    );
    env = {
      TESSERA_DATA_DIR: join(dir, 'data'),
      TESSERA_CONFIG: configFile,
      LOG_LEVEL: 'silent',
      PORT: '3999',
    };
  });
  afterAll(async () => {
    await twilio.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the applications as JSON, the Default App made on first use', async () => {
    const listed = await tessera(['clients', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    const apps = JSON.parse(listed.stdout) as { name: string; client_id: string }[];
    expect(apps.map((a) => a.name)).toEqual(['Default App']);
  });

  it("leaves what a server's config declared alone when a command runs with another config", async () => {
    const data = join(dir, 'declared-data');
    const declaredConfig = join(dir, 'declared.yaml');
    writeFileSync(
      declaredConfig,
      [
        'applications:',
        '  - client_id: declared-app-0001',
        '    name: Declared',
        'connections:',
        '  - name: email',
        '    strategy: email',
      ].join('\n'),
    );
    const served = { ...env, TESSERA_DATA_DIR: data, TESSERA_CONFIG: declaredConfig };
    const first = await tessera(['clients', 'list', '--json'], served);
    expect(JSON.parse(first.stdout).map((a: { client_id: string }) => a.client_id)).toEqual([
      'declared-app-0001',
    ]);
    // An operator's command with only the data location set (no applications, no connections)...
    const bare = { ...env, TESSERA_DATA_DIR: data, TESSERA_CONFIG: '' };
    expect((await tessera(['keys', 'list'], bare)).code).toBe(0);
    expect((await tessera(['token', '--scopes', 'read:users'], bare)).code).toBe(0);
    // ...removed nothing and made no Default App.
    const after = await tessera(['clients', 'list', '--json'], bare);
    expect(JSON.parse(after.stdout).map((a: { client_id: string }) => a.client_id)).toEqual([
      'declared-app-0001',
    ]);
  }, 60_000);

  it('prints a Management API token with the scopes asked for', async () => {
    const printed = await tessera(['token', '--scopes', 'read:users,create:users'], env);
    expect(printed.code).toBe(0);
    const claims = decodeJwt(printed.stdout.trim());
    expect(claims.scope).toBe('read:users create:users');
    expect(claims.aud).toBe('http://localhost:3999/api/v2/');
  });

  it('sends a sample message through a connection with `connections test`', async () => {
    twilio.willAnswer({ status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef' } });
    const sent = await tessera(['connections', 'test', 'sms', '--to', '+14155550100'], env);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('+14155550100');
    expect(twilio.requests).toHaveLength(1);
    expect(new URLSearchParams(twilio.requests[0]?.body).get('To')).toBe('+14155550100');
  });

  it('says why a test send failed, without the provider secret', async () => {
    twilio.willAnswer({ status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } });
    const failed = await tessera(['connections', 'test', 'sms', '--to', '+14155550100'], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('sms_provider_error');
    expect(failed.stderr).not.toContain('cli-test-token');
  });

  it('refuses a bad config file with a message naming the key', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'applications:\n  - client_id: short\n    name: X\n    callbacks: nope\n');
    const refused = await tessera(['clients', 'list', '--config', bad], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/applications\.0\.callbacks/);
  });

  it('takes a kid that begins with "-" (a base64url thumbprint may) as the kid, not an option', async () => {
    const answer = await tessera(['keys', 'retire', '-6JKzNDm2Rc8bxEM0o2gvC6NaVq_Kq9V3bTq4q2xW0c'], env);
    expect(answer.code).toBe(1);
    expect(answer.stderr).toContain('keys retire:');
    expect(answer.stderr).toContain('-6JKzNDm2Rc8bxEM0o2gvC6NaVq_Kq9V3bTq4q2xW0c');
    expect(answer.stderr).not.toContain('ERR_PARSE_ARGS');
  });
});
