import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProvider } from '../contract/sms-fake-provider.ts';
import { freePort, OTP_GRANT } from '../helpers/server.ts';

// `tessera start` in its own process, stopped by SIGTERM as an orchestrator stops it.

const TESSERA = fileURLToPath(new URL('../../bin/tessera.js', import.meta.url));
const CLIENT = 'shutdown-app-0001';
const TWILIO_OK = { status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } };

interface Started {
  child: ChildProcess;
  origin: string;
  /** Everything the process wrote to stdout so far. */
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `bin/tessera.js start` from the sources on a free port and waits until it is ready. */
async function startTessera(env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [TESSERA, 'start'], {
    env: { ...process.env, ...env, PORT: String(port), TESSERA_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tessera exited (${child.exitCode}): ${stdout}${stderr}`);
    const ready = await fetch(`${origin}/readyz`).catch(() => undefined);
    if (ready?.ok) return { child, origin, stdout: () => stdout, exited };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`tessera did not start: ${stdout}${stderr}`);
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The JSON log lines of a process's stdout (the start banner is not JSON). */
function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('graceful shutdown', () => {
  let twilio: FakeProvider;
  let dir: string;
  let server: Started | undefined;

  beforeAll(async () => {
    twilio = await FakeProvider.start();
    dir = mkdtempSync(join(tmpdir(), 'tessera-shutdown-'));
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
    }
    await twilio?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on SIGTERM finishes the request under way and its send, logs it, and exits 0', async () => {
    const configFile = join(dir, 'tessera.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        applications: [{ client_id: CLIENT, name: 'Shutdown', grant_types: [OTP_GRANT] }],
        connections: [twilio.twilioConnection('shutdown-test-token')],
        // The first try hangs until its timeout; the retry that follows is sent.
        delivery: { send_timeout_ms: 1500, max_wait_ms: 5000, retry_base_ms: 10, poll_ms: 100 },
      }),
    );
    server = await startTessera({
      TESSERA_DATA_DIR: dir,
      TESSERA_CONFIG: configFile,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
    });
    twilio.willAnswerInTurn(['hang'], TWILIO_OK);

    const answer = fetch(`${server.origin}/passwordless/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'shutdown-start-1' },
      body: JSON.stringify({ client_id: CLIENT, connection: 'sms', phone_number: '+14155550123' }),
    });
    await until(() => twilio.requests.length === 1);
    server.child.kill('SIGTERM');

    const response = await answer;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ phone_number: '+14155550123' });
    expect(response.headers.get('x-request-id')).toBe('shutdown-start-1');
    // fetch keeps its connection alive: the process must still not wait for it to time out.
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // The message was sent before the process left: the retry reached the provider.
    expect(twilio.requests).toHaveLength(2);

    const lines = logLines(server.stdout());
    const messages = lines.map((line) => line.msg);
    expect(messages).toContain('shutting down');
    expect(messages.at(-1)).toBe('stopped');
    expect(messages.indexOf('shutting down')).toBeLessThan(messages.indexOf('stopped'));
    expect(lines.find((line) => line.msg === 'shutting down')?.signal).toBe('SIGTERM');
    // The request's own log lines carry the id it came with.
    expect(lines.filter((line) => line.reqId === 'shutdown-start-1').map((line) => line.msg)).toContain(
      'request completed',
    );
  }, 30_000);
});
