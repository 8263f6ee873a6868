import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerProcess } from '../../bench/server-process.ts';
import { OTP_GRANT } from '../helpers/server.ts';

const CLIENT = 'crash-login-app-0001';
const CYCLES = 3;
const WORKERS = 6;
const LOAD_MS = 2000;

/** A login that got its tokens: what must still hold after any crash that follows. */
interface Login {
  email: string;
  userId: string;
  /** The newest refresh token of its family (each refresh rotates it). */
  refreshToken: string;
}

async function post(origin: string, path: string, body: unknown) {
  const response = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/** One email-code login with a refresh token, over HTTP, as an application would make it. */
async function login(origin: string, email: string): Promise<Login | undefined> {
  const started = await post(origin, '/passwordless/start', {
    client_id: CLIENT,
    connection: 'email',
    email,
    send: 'code',
  });
  if (started.status !== 200) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
  const inbox = await fetch(`${origin}/dev/inbox/messages?to=${encodeURIComponent(email)}`);
  const [message] = (await inbox.json()) as { code: string | null }[];
  if (!message?.code) throw new Error(`no code for ${email}`);
  const token = await post(origin, '/oauth/token', {
    grant_type: OTP_GRANT,
    client_id: CLIENT,
    realm: 'email',
    username: email,
    otp: message.code,
    scope: 'openid offline_access',
  });
  if (token.status !== 200) throw new Error(`token: ${token.status} ${JSON.stringify(token.body)}`);
  const { refresh_token, id_token } = token.body;
  return {
    email,
    userId: decodeJwt(id_token as string).sub as string,
    refreshToken: refresh_token as string,
  };
}

/** Refreshes a login's token; returns the answer's status, keeping the rotated token. */
async function refresh(origin: string, done: Login): Promise<number> {
  const answer = await post(origin, '/oauth/token', {
    grant_type: 'refresh_token',
    client_id: CLIENT,
    refresh_token: done.refreshToken,
  });
  if (answer.status === 200) done.refreshToken = answer.body.refresh_token as string;
  return answer.status;
}

async function refreshAll(origin: string, logins: Login[]): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < logins.length; i += 16)
    statuses.push(...(await Promise.all(logins.slice(i, i + 16).map((l) => refresh(origin, l)))));
  return statuses;
}

function pendingOutbox(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const row = db.prepare("SELECT count(*) AS n FROM outbox_messages WHERE status = 'pending'").get() as {
      n: number;
    };
    return row.n;
  } finally {
    db.close();
  }
}

describe('SIGKILL under a load of logins', () => {
  let dir: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-kill-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every login that got tokens, and a sound database, across repeated crashes', async () => {
    const configFile = join(dir, 'tessera.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        applications: [{ client_id: CLIENT, name: 'Crash', grant_types: [OTP_GRANT, 'refresh_token'] }],
        dev_inbox: true,
        rate_limits: {
          start_per_ip_per_hour: 1_000_000,
          start_per_application_per_hour: 1_000_000,
          verify_failures_per_ip: 1_000_000,
        },
        // A message a killed process had claimed is taken up again 6 s later (send_timeout_ms + 5 s).
        delivery: { send_timeout_ms: 1000, poll_ms: 100 },
      }),
    );
    const database = join(dir, 'tessera.db');
    const env = { TESSERA_DATA_DIR: dir, TESSERA_CONFIG: configFile, LOG_LEVEL: 'warn', NODE_ENV: 'test' };
    const logins: Login[] = [];
    const survived: string[] = [];

    server = await ServerProcess.tessera(env);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const origin = server.origin;
      let loading = true;
      const got: Login[] = [];
      const workers = Array.from({ length: WORKERS }, async (_, worker) => {
        for (let n = 0; loading; n++) {
          try {
            const done = await login(origin, `c${cycle}-w${worker}-${n}@example.com`);
            if (done) got.push(done);
          } catch (error) {
            // Once the process is being killed requests fail; before that, none may.
            if (loading) throw error;
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
      // Killed while the workers are mid-request (they start no new login): no shutdown code runs.
      loading = false;
      const killed = server.kill();
      await Promise.all([killed, ...workers]);
      expect(got.length).toBeGreaterThan(0);
      logins.push(...got);

      server = await ServerProcess.tessera(env);
      const pending = pendingOutbox(database);
      // Every login that got tokens, this cycle's and the earlier ones', still has its user and a
      // refresh token that works.
      const statuses = await refreshAll(server.origin, logins);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      survived.push(`cycle ${cycle}: ${got.length} logins before the kill, ${pending} messages pending`);
    }

    // The restarted server serves a whole login, and sends what the crashes left pending.
    expect(await login(server.origin, 'after-crashes@example.com')).toBeDefined();
    const deadline = Date.now() + 20_000;
    while (pendingOutbox(database) > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pendingOutbox(database)).toBe(0);
    await server.stop();
    server = undefined;

    const db = new Database(database, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const users = new Set(
        (db.prepare('SELECT user_id FROM users').all() as { user_id: string }[]).map((u) => u.user_id),
      );
      expect(logins.filter((l) => !users.has(l.userId))).toEqual([]);
    } finally {
      db.close();
    }
    console.info(`crash runs survived: ${CYCLES} of ${CYCLES} (${survived.join('; ')})`);
  }, 120_000);
});
