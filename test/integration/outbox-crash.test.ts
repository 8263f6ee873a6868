import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerProcess } from '../../bench/server-process.ts';
import { FakeProvider } from '../contract/sms-fake-provider.ts';
import { OTP_GRANT } from '../helpers/server.ts';

const CLIENT = 'crash-app-000001';
const TWILIO_OK = { status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } };

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a crash between "stored" and "sent"', () => {
  let twilio: FakeProvider;
  let dir: string;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    twilio = await FakeProvider.start();
    dir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
  });
  afterAll(async () => {
    await server?.stop();
    await twilio?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the message after the process is killed and started again', async () => {
    const configFile = join(dir, 'tessera.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        applications: [{ client_id: CLIENT, name: 'Crash', grant_types: [OTP_GRANT] }],
        connections: [twilio.twilioConnection('crash-test-token')],
        delivery: { send_timeout_ms: 1000, poll_ms: 100 },
      }),
    );
    const env = { TESSERA_DATA_DIR: dir, TESSERA_CONFIG: configFile, LOG_LEVEL: 'warn', NODE_ENV: 'test' };
    server = await ServerProcess.tessera(env);

    // The provider takes the request and never answers: the message is stored, not yet sent.
    twilio.willAnswer('hang');
    const phone_number = '+14155550199';
    void fetch(`${server.origin}/passwordless/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: CLIENT, connection: 'sms', phone_number }),
    }).catch(() => undefined);
    await until(() => twilio.requests.length === 1, 10_000);
    await server.kill();

    twilio.willAnswer(TWILIO_OK);
    server = await ServerProcess.tessera(env);
    // Once the dead sender's claim runs out, the restarted instance takes the message up again.
    await until(() => twilio.requests.length === 1, 20_000);
    const text = new URLSearchParams(twilio.requests[0]?.body).get('Body') ?? '';
    const code = /\b(\d{6})\b/.exec(text)?.[1] as string;
    const token = await fetch(`${server.origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: OTP_GRANT,
        client_id: CLIENT,
        realm: 'sms',
        username: phone_number,
        otp: code,
      }),
    });
    expect(token.status).toBe(200);
  }, 60_000);
});
