import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServerProcess } from '../../bench/server-process.ts';
import { FakeProvider } from '../contract/sms-fake-provider.ts';
import {
  type AcknowledgedLogin,
  type Answer,
  call,
  isUnavailable,
  LoginLoad,
  login,
  post,
  refreshAll,
} from '../helpers/login-load.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';
import { testDatabaseUrl, uniqueSchema } from '../helpers/services.ts';
import { dropSchema } from '../helpers/stores.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

// `tessera start` in its own process on PostgreSQL, with a TCP proxy between the two that resets,
// refuses and delays connections as a restarting, failing-over or distant database would: the
// process never exits, requests that need the database answer 503 quickly (each endpoint in its
// own error vocabulary, with Retry-After), /healthz stays 200, and once the database answers again
// Tessera is back within seconds, without a restart and without losing an acknowledged login or an
// outbox message.
const databaseUrl = testDatabaseUrl();
const CLIENT = 'outage-app-000001';
const MANAGER = 'outage-manager-01';
const MANAGER_SECRET = 'outage-manager-secret-0001';
const TWILIO_OK = { status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } };
const TWILIO_DOWN = { status: 500, body: { code: 20500, message: 'Internal error', status: 500 } };
const SLOW_MS = 1000;

/** Where the test runs Tessera: a config file, the environment, and what it points at. */
interface Deployment {
  dir: string;
  schema: string;
  env: Record<string, string>;
}

function deployment(proxy: TcpProxy, twilio: FakeProvider | null, extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-outage-'));
  const schema = uniqueSchema('outage');
  const configFile = join(dir, 'tessera.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      applications: [
        { client_id: CLIENT, name: 'Outage', grant_types: [OTP_GRANT, 'refresh_token'] },
        {
          client_id: MANAGER,
          client_secret: MANAGER_SECRET,
          name: 'Manager',
          app_type: 'non_interactive',
          grant_types: ['client_credentials'],
          management_scopes: ['read:users'],
        },
      ],
      connections: [
        { name: 'email', strategy: 'email' },
        ...(twilio ? [twilio.twilioConnection('outage-test-token')] : []),
      ],
      dev_inbox: true,
      rate_limits: {
        start_per_ip_per_hour: 1_000_000,
        start_per_application_per_hour: 1_000_000,
        verify_failures_per_ip: 1_000_000,
      },
      // A claim on a message runs out 6 s after it was taken (send_timeout_ms + 5 s): inside the
      // 10 s outage below.
      delivery: { send_timeout_ms: 1000, poll_ms: 100, max_wait_ms: 0, retry_base_ms: 1000 },
      database_connect_timeout_ms: SLOW_MS,
      database_statement_timeout_ms: SLOW_MS,
      ...extra,
    }),
  );
  const env = {
    TESSERA_DATA_DIR: dir,
    TESSERA_CONFIG: configFile,
    DATABASE_URL: TcpProxy.via(databaseUrl as string, proxy),
    DATABASE_SCHEMA: schema,
    TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
    NODE_ENV: 'test',
  };
  return { dir, schema, env } satisfies Deployment;
}

function target(): { host: string; port: number } {
  const url = new URL(databaseUrl as string);
  return { host: url.hostname, port: Number(url.port || 5432) };
}

/** Reads the deployment's tables directly, past the proxy. */
async function query<R extends pg.QueryResultRow>(schema: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Acknowledged logins whose user is not in the database. */
async function missingUsers(schema: string, logins: AcknowledgedLogin[]): Promise<string[]> {
  const ids = logins.map((l) => l.userId);
  const found = await query<{ user_id: string }>(
    schema,
    'select user_id from users where user_id = any($1)',
    [ids],
  );
  const present = new Set(found.map((row) => row.user_id));
  return ids.filter((id) => !present.has(id));
}

/** Times from now until `check` holds, polling every 50 ms; a server's last log lines explain a timeout. */
async function msUntil(
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
  server?: ServerProcess,
): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) {
      const log = (server?.output ?? '')
        .split('\n')
        .filter((line) => !/"(incoming request|request completed)"/.test(line));
      throw new Error(`not within ${timeoutMs} ms\n${log.slice(-30).join('\n')}`);
    }
    await sleep(50);
  }
  return Date.now() - started;
}

/** Milliseconds until the server's /readyz answers 200. */
function untilReady(server: ServerProcess): Promise<number> {
  return msUntil(async () => (await call(server.origin, '/readyz')).status === 200, 15_000, server);
}

/** How often a log message appears in `text`. */
function occurrences(text: string, message: string): number {
  return text.split('\n').filter((line) => line.includes(`"msg":"${message}`)).length;
}

/** The value of the tessera_store_up gauge on /metrics. */
async function storeUp(origin: string): Promise<string | undefined> {
  const metrics = await call(origin, '/metrics');
  return /^tessera_store_up (\d)$/m.exec(String(metrics.body.text))?.[1];
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
}

describe.skipIf(!databaseUrl)('a running Tessera whose PostgreSQL goes away', () => {
  let proxy: TcpProxy;
  let twilio: FakeProvider;
  let setup: Deployment;
  let server: ServerProcess;

  beforeAll(async () => {
    proxy = await TcpProxy.start(target());
    twilio = await FakeProvider.start();
    twilio.willAnswer(TWILIO_OK);
    setup = deployment(proxy, twilio);
    server = await ServerProcess.tessera(setup.env, '/healthz');
  }, 60_000);
  afterEach(async () => {
    // A test that failed half-way leaves the next one a working database.
    proxy.pass();
    await proxy.accept();
    // The process rode out every fault: nothing may have ended it.
    expect(server.exit).toEqual({ code: null, signal: null });
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await twilio?.close();
    if (setup) {
      await dropSchema(databaseUrl as string, setup.schema);
      rmSync(setup.dir, { recursive: true, force: true });
    }
  });

  it('rides out every connection reset, idle and under a login load, keeping every acknowledged login', async () => {
    const origin = server.origin;
    // Idle: the pool's connections are reset under it, again and again, while the outbox polls.
    for (let i = 0; i < 3; i++) {
      proxy.reset();
      await sleep(300);
    }
    await untilReady(server);

    const load = new LoginLoad(origin, CLIENT, 6, 'reset');
    await sleep(500);
    for (let i = 0; i < 5; i++) {
      proxy.reset();
      await sleep(500);
    }
    // A loaded machine completes fewer logins in those 2.5 s: let the load run on (no more
    // resets) until enough logins were acknowledged to check them all afterwards.
    await expect.poll(() => load.acknowledged.length, { timeout: 15_000, interval: 100 }).toBeGreaterThan(10);
    await load.stop();
    // Only tokens, or a 503 that says to try again: never a 500, never a dropped connection.
    expect(load.unexpected).toEqual([]);
    const statuses = await refreshAll(origin, CLIENT, load.acknowledged);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await missingUsers(setup.schema, load.acknowledged)).toEqual([]);
    console.info(
      `resets under load: ${load.total(200)} answers 200, ${load.total(503)} answers 503, ` +
        `${load.acknowledged.length} logins acknowledged, 0 of them lost`,
    );
  }, 30_000);

  it('answers 503 at once while the database refuses for 10 s, then is back within seconds, losing no message', async () => {
    const origin = server.origin;
    const logFrom = server.output.length;
    const manager = await post(origin, '/oauth/token', {
      grant_type: 'client_credentials',
      client_id: MANAGER,
      client_secret: MANAGER_SECRET,
      audience: `http://localhost:${new URL(origin).port}/api/v2/`,
    });
    expect(manager.status).toBe(200);
    const bearer = { authorization: `Bearer ${manager.body.access_token}` };
    // A code asked for before the outage.
    const email = 'before-outage@example.com';
    expect(
      (
        await post(origin, '/passwordless/start', {
          client_id: CLIENT,
          connection: 'email',
          email,
          send: 'code',
        })
      ).status,
    ).toBe(200);
    const inbox = await call(origin, `/dev/inbox/messages?to=${encodeURIComponent(email)}`);
    const code = (inbox.body as unknown as { code: string }[])[0]?.code as string;

    // B: the provider fails its first try, so it is queued for a retry that falls in the outage.
    const phoneB = '+14155550181';
    twilio.willAnswerInTurn([TWILIO_DOWN], TWILIO_OK);
    expect(
      (
        await post(origin, '/passwordless/start', {
          client_id: CLIENT,
          connection: 'sms',
          phone_number: phoneB,
        })
      ).status,
    ).toBe(200);
    // C: the database goes away while the provider takes C's message, so its outcome cannot be
    // written; its claim runs out during the outage.
    const phoneC = '+14155550182';
    let outageBegan = 0;
    twilio.beforeAnswer = async (request) => {
      if (!new URLSearchParams(request.body).get('To')?.endsWith('0182')) return;
      twilio.beforeAnswer = undefined;
      outageBegan = Date.now();
      await proxy.refuse();
    };
    const startC = await post(origin, '/passwordless/start', {
      client_id: CLIENT,
      connection: 'sms',
      phone_number: phoneC,
    });
    // The provider took it: the code is good, and the start says so.
    expect(startC.status).toBe(200);
    expect(outageBegan).toBeGreaterThan(0);

    // During the outage: every request that needs the database is answered 503 quickly, in its
    // endpoint's vocabulary; what needs none is answered as usual.
    const during: { path: string; answer: Answer }[] = [];
    while (Date.now() - outageBegan < 10_000) {
      const round = await Promise.all([
        post(origin, '/oauth/token', {
          grant_type: OTP_GRANT,
          client_id: CLIENT,
          realm: 'email',
          username: email,
          otp: code,
        }).then((answer) => ({ path: 'token', answer })),
        post(origin, '/passwordless/start', {
          client_id: CLIENT,
          connection: 'email',
          email: 'during@example.com',
          send: 'code',
        }).then((answer) => ({ path: 'start', answer })),
        call(origin, '/api/v2/users/email%7C0123', { headers: bearer }).then((answer) => ({
          path: 'users',
          answer,
        })),
        call(origin, '/readyz').then((answer) => ({ path: 'readyz', answer })),
        call(origin, '/healthz').then((answer) => ({ path: 'healthz', answer })),
        call(origin, '/.well-known/jwks.json').then((answer) => ({ path: 'jwks', answer })),
      ]);
      during.push(...round);
      await sleep(200);
    }
    expect(await storeUp(origin)).toBe('0');
    const by = (path: string) => during.filter((d) => d.path === path).map((d) => d.answer);
    for (const answer of by('token'))
      expect(answer.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'The service is unavailable. Try again shortly.',
      });
    for (const answer of by('start')) expect(answer.body.error).toBe('server_error');
    for (const answer of by('users'))
      expect(answer.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The service is unavailable. Try again shortly.',
        errorCode: 'temporarily_unavailable',
      });
    for (const path of ['token', 'start', 'users']) expect(by(path).every(isUnavailable), path).toBe(true);
    expect(by('readyz').map((a) => a.status)).toEqual(by('readyz').map(() => 503));
    expect(by('healthz').map((a) => a.status)).toEqual(by('healthz').map(() => 200));
    expect(by('jwks').map((a) => a.status)).toEqual(by('jwks').map(() => 200));
    const slowest = Math.max(...during.map((d) => d.answer.ms));
    expect(slowest).toBeLessThan(1000);

    await proxy.accept();
    const readyAfterMs = await untilReady(server);
    expect(await storeUp(origin)).toBe('1');
    const loginAfter = await login(origin, CLIENT, 'after-outage@example.com');
    expect(loginAfter).toBeDefined();
    // The starts the outage refused spent nothing of their identifier's budget (5 in 15 minutes).
    expect(await login(origin, CLIENT, 'during@example.com')).toBeDefined();
    // The code asked for before the outage still works: the refused attempts did not spend it.
    const after = await post(origin, '/oauth/token', {
      grant_type: OTP_GRANT,
      client_id: CLIENT,
      realm: 'email',
      username: email,
      otp: code,
    });
    expect(after.status).toBe(200);

    // B's retry is sent once the database is back, and once only; C, which the provider took as
    // the outage began, is not sent again, though its claim ran out meanwhile.
    const sentTo = (phone: string) =>
      twilio.requests.filter((r) => new URLSearchParams(r.body).get('To') === phone);
    await msUntil(async () => sentTo(phoneB).length >= 2, 10_000);
    await sleep(1500);
    expect(sentTo(phoneB)).toHaveLength(2);
    expect(sentTo(phoneC)).toHaveLength(1);
    const outbox = await query<{ recipient: string; status: string }>(
      setup.schema,
      'select recipient, status from outbox_messages where recipient = any($1) order by recipient',
      [[phoneB, phoneC]],
    );
    expect(outbox).toEqual([
      { recipient: phoneB, status: 'sent' },
      { recipient: phoneC, status: 'sent' },
    ]);
    const codeC = /\b(\d{6})\b/.exec(new URLSearchParams(sentTo(phoneC)[0]?.body).get('Body') ?? '')?.[1];
    const loginC = await post(origin, '/oauth/token', {
      grant_type: OTP_GRANT,
      client_id: CLIENT,
      realm: 'sms',
      username: phoneC,
      otp: codeC,
    });
    expect(loginC.status).toBe(200);

    // One outage, logged once as it began and once as it ended, not on every poll.
    const log = server.output.slice(logFrom);
    expect(occurrences(log, 'the database is unavailable')).toBe(1);
    expect(occurrences(log, 'the database answers again')).toBe(1);
    expect(occurrences(log, 'outbox: looking for due messages failed')).toBe(1);
    console.info(
      `refused for 10 s: ${during.length} requests answered during the outage (slowest ${Math.round(slowest)} ms), ` +
        `ready ${readyAfterMs} ms after the database accepted again, 0 messages lost or sent twice`,
    );
  }, 45_000);

  it('holds its timeouts while every packet is 2 s late, and keeps answering what needs no database', async () => {
    const origin = server.origin;
    proxy.delay(2000);
    const began = Date.now();
    const needing = Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        post(origin, '/passwordless/start', {
          client_id: CLIENT,
          connection: 'email',
          email: `slow${n}@example.com`,
          send: 'code',
        }),
      ),
    );
    const readiness = call(origin, '/readyz');
    const free: Answer[] = [];
    while (Date.now() - began < 3000) {
      free.push(
        ...(await Promise.all(
          ['/healthz', '/.well-known/jwks.json', '/.well-known/openid-configuration'].map((path) =>
            call(origin, path),
          ),
        )),
      );
      await sleep(50);
    }
    const answers = await needing;
    for (const answer of answers) {
      expect(isUnavailable(answer)).toBe(true);
      // One connect timeout or one statement timeout, plus the way there and back.
      expect(answer.ms).toBeLessThan(SLOW_MS + 1500);
    }
    expect((await readiness).status).toBe(503);
    expect(free.every((a) => a.status === 200)).toBe(true);
    // None waited for the database: each answered in well under one 2 s packet delay, however
    // busy the machine (their p99 is printed below; about 20 ms on an idle machine).
    expect(Math.max(...free.map((a) => a.ms))).toBeLessThan(1000);

    proxy.pass();
    const readyAfterMs = await untilReady(server);
    expect(await login(origin, CLIENT, 'after-slow@example.com')).toBeDefined();
    console.info(
      `2 s per packet: ${answers.length} database requests answered 503 in at most ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms, ` +
        `${free.length} others with p99 ${Math.round(p99(free.map((a) => a.ms)))} ms; ready ${readyAfterMs} ms after the delay ended`,
    );
  }, 30_000);
});

describe.skipIf(!databaseUrl)('a Tessera starting while its PostgreSQL refuses', () => {
  const proxies: TcpProxy[] = [];
  const setups: Deployment[] = [];
  const servers: ServerProcess[] = [];

  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const proxy of proxies) await proxy.close();
    for (const setup of setups) {
      await dropSchema(databaseUrl as string, setup.schema);
      rmSync(setup.dir, { recursive: true, force: true });
    }
  });

  it('waits for it, alive but not ready, and starts once it answers; or gives up at its limit', async () => {
    const [waiting, givingUp] = await Promise.all([TcpProxy.start(target()), TcpProxy.start(target())]);
    proxies.push(waiting, givingUp);
    await Promise.all([waiting.refuse(), givingUp.refuse()]);
    const patient = deployment(waiting, null);
    const impatient = deployment(givingUp, null, { database_start_wait_s: 2 });
    setups.push(patient, impatient);
    // Each answers /healthz while it waits, which is what ServerProcess waits for.
    const [server, quitter] = await Promise.all([
      ServerProcess.tessera(patient.env, '/healthz'),
      ServerProcess.tessera(impatient.env, '/healthz'),
    ]);
    servers.push(server, quitter);
    const origin = server.origin;

    expect(await call(origin, '/readyz')).toMatchObject({ status: 503, body: { status: 'starting' } });
    const token = await post(origin, '/oauth/token', {
      grant_type: OTP_GRANT,
      client_id: CLIENT,
      realm: 'email',
      username: 'a@example.com',
      otp: '123456',
    });
    expect(token.body.error).toBe('temporarily_unavailable');
    expect(isUnavailable(token)).toBe(true);
    const start = await post(origin, '/passwordless/start', {
      client_id: CLIENT,
      connection: 'email',
      email: 'a@example.com',
    });
    expect(start.body.error).toBe('server_error');
    expect(isUnavailable(start)).toBe(true);
    const users = await call(origin, '/api/v2/users/email%7C0123');
    expect(users.body).toMatchObject({ statusCode: 503 });
    expect(server.output).toContain('start: opening the database failed; retrying with backoff');

    await waiting.accept();
    const readyAfterMs = await untilReady(server);
    expect(await login(origin, CLIENT, 'late-start@example.com')).toBeDefined();
    expect(server.running).toBe(true);

    // The impatient one gives up after its 2 s, with the reason.
    await msUntil(async () => !quitter.running, 15_000);
    expect(quitter.exit.code).toBe(1);
    expect(quitter.output).toContain('giving up');
    expect(quitter.output).toContain('ECONNREFUSED');
    console.info(`started with the database refusing: ready ${readyAfterMs} ms after it accepted`);
  }, 45_000);
});

describe.skipIf(!databaseUrl)('requests waiting for a PostgreSQL connection', () => {
  const schema = uniqueSchema('waiting');
  let proxy: TcpProxy;
  let server: TestServer;

  beforeAll(async () => {
    proxy = await TcpProxy.start(target());
    server = await TestServer.start({
      config: {
        database_url: TcpProxy.via(databaseUrl as string, proxy),
        database_schema: schema,
        master_key: randomBytes(32).toString('base64'),
        database_pool_size: 1,
        database_max_waiting: 2,
        database_connect_timeout_ms: SLOW_MS,
        database_statement_timeout_ms: SLOW_MS,
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
    await dropSchema(databaseUrl as string, schema);
  });

  it('are at most database_max_waiting: past it a request is answered 503 at once, not queued', async () => {
    proxy.hang();
    // Six applications nobody has read yet, so that each request asks the database.
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        post(server.url, '/oauth/token', {
          grant_type: OTP_GRANT,
          client_id: `unknown-app-${n}`,
          realm: 'email',
          username: 'a@example.com',
          otp: '123456',
        }),
      ),
    );
    expect(answers.every(isUnavailable)).toBe(true);
    // One holds the only connection and at most two wait for it, until their timeouts (SLOW_MS);
    // the others are refused at once (well before a timeout, even on a loaded machine).
    const waited = answers.filter((a) => a.ms >= SLOW_MS * 0.75).length;
    expect(waited).toBeGreaterThanOrEqual(1);
    expect(waited).toBeLessThanOrEqual(3);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(SLOW_MS + 1500);
    proxy.pass();
    await expect.poll(async () => (await server.get('/readyz')).status, { timeout: 10_000 }).toBe(200);
  }, 20_000);
});
