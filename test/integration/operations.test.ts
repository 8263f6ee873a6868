import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load.ts';
import type { Counters } from '../../src/core/ports/counters.ts';
import { FakeProvider } from '../contract/sms-fake-provider.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

// The operator's side of the server: readiness, Prometheus metrics and request ids.

const CLIENT = 'operations-app-0001';
const TWILIO_OK = { status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } };
const TWILIO_REFUSED = { status: 400, body: { code: 21211, message: "The 'To' number is not valid." } };
const METRICS_TOKEN = 'scrape-token-0123456789abcdef';

/** The value of one sample in Prometheus' text format: the series with exactly these labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) {
      return Number(match[3]);
    }
  }
  return undefined;
}

async function scrape(server: TestServer, headers: Record<string, string> = {}): Promise<string> {
  const answer = await server.get<string>('/metrics', headers);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return answer.body;
}

describe('readiness', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start();
  });
  afterAll(() => server.close());

  it('is ready while the database and the counters answer, and alive regardless', async () => {
    const ready = await server.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok' });
    expect((await server.get('/healthz')).body).toEqual({ status: 'ok' });
  });

  it('answers 503 naming the counters when they fail, without their error', async () => {
    const ctx = server.server.ctx;
    const counters = ctx.counters;
    ctx.counters = withPing(counters, () =>
      Promise.reject(new Error('connect ECONNREFUSED redis://tessera:hunter2@10.0.0.7:6379')),
    );
    try {
      const answer = await server.get('/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ status: 'unavailable', checks: { database: 'ok', counters: 'error' } });
      expect(JSON.stringify(answer.body)).not.toContain('hunter2');
      // Alive all the same: only the load balancer should stop sending traffic.
      expect((await server.get('/healthz')).status).toBe(200);
    } finally {
      ctx.counters = counters;
    }
    expect((await server.get('/readyz')).status).toBe(200);
  });

  it('answers 503 when a dependency does not answer in time', async () => {
    const ctx = server.server.ctx;
    const counters = ctx.counters;
    ctx.counters = withPing(counters, () => new Promise<void>(() => undefined));
    try {
      const answer = await server.get('/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ status: 'unavailable', checks: { database: 'ok', counters: 'error' } });
    } finally {
      ctx.counters = counters;
    }
  });

  it('answers 503 naming the database once the store is closed', async () => {
    const other = await TestServer.start();
    try {
      await other.server.ctx.store.close();
      const answer = await other.get('/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ status: 'unavailable', checks: { database: 'error', counters: 'ok' } });
    } finally {
      await other.close();
    }
  });

  it('answers 503 "stopping" as soon as shutdown begins, while requests are still served', async () => {
    const draining = await TestServer.start({ config: { shutdown: { drain_ms: 2000 } } });
    const closed = draining.server.close();
    try {
      const answer = await draining.get('/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ status: 'stopping' });
      expect((await draining.get('/healthz')).status).toBe(200);
    } finally {
      await closed;
      await draining.close();
    }
  });

  it('refuses a drain that would use up the whole shutdown deadline', () => {
    expect(() => validateConfig({ shutdown: { drain_ms: 10_000, timeout_ms: 10_000 } })).toThrow(
      /shutdown\.drain_ms/,
    );
    expect(validateConfig({ shutdown: { drain_ms: 5000 } }).shutdown).toEqual({
      drain_ms: 5000,
      timeout_ms: 10_000,
    });
  });
});

describe('metrics', () => {
  let server: TestServer;
  let twilio: FakeProvider;

  beforeAll(async () => {
    twilio = await FakeProvider.start();
    server = await TestServer.start({
      config: {
        applications: [{ client_id: CLIENT, name: 'Operations', grant_types: [OTP_GRANT] }],
        connections: [
          { name: 'email', strategy: 'email' },
          twilio.twilioConnection('operations-twilio-token'),
          {
            name: 'email-strict',
            strategy: 'email',
            options: { start_limits: { per_identifier: { points: 1, duration_s: 600 } } },
          },
        ],
        rate_limits: {
          start_per_ip_per_hour: 100_000,
          authorize_per_ip_per_minute: 2,
          start_per_application_per_hour: 100_000,
        },
        delivery: { send_timeout_ms: 1000, max_wait_ms: 0 },
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await twilio?.close();
  });

  it('counts an email-code login: the code sent, the grant, and each request by route', async () => {
    const email = 'metrics.alice@example.com';
    const code = await server.startCode(CLIENT, { email });
    const wrong = await server.otpGrant(CLIENT, 'email', email, code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(403);
    const login = await server.otpGrant(CLIENT, 'email', email, code, { scope: 'openid' });
    expect(login.status).toBe(200);
    const text = await scrape(server);

    expect(sample(text, 'tessera_codes_sent_total', { channel: 'email', provider: 'dev_inbox' })).toBe(1);
    expect(sample(text, 'tessera_logins_total', { grant: 'passwordless_otp', result: 'success' })).toBe(1);
    expect(sample(text, 'tessera_logins_total', { grant: 'passwordless_otp', result: 'invalid_grant' })).toBe(
      1,
    );
    expect(
      sample(text, 'tessera_http_requests_total', {
        route: '/passwordless/start',
        method: 'POST',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sample(text, 'tessera_http_requests_total', { route: '/oauth/token', method: 'POST', status: '403' }),
    ).toBe(1);
    expect(
      sample(text, 'tessera_http_request_duration_seconds_count', { route: '/oauth/token', method: 'POST' }),
    ).toBe(2);
    expect(sample(text, 'tessera_counters_degraded')).toBe(0);
    // prom-client's process metrics come along.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('labels requests by route template, never by the URL asked for', async () => {
    await server.get('/api/v2/users/email%7Csecret-user-id-42');
    await server.get('/no/such/path-7f3a');
    const text = await scrape(server);
    expect(
      sample(text, 'tessera_http_requests_total', {
        route: '/api/v2/users/:id',
        method: 'GET',
        status: '401',
      }),
    ).toBe(1);
    expect(
      sample(text, 'tessera_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }),
    ).toBe(1);
    expect(text).not.toContain('secret-user-id-42');
    expect(text).not.toContain('path-7f3a');
  });

  it('counts codes a provider took and provider failures, by channel, provider and kind', async () => {
    twilio.willAnswer(TWILIO_OK);
    const sent = await server.post('/passwordless/start', {
      client_id: CLIENT,
      connection: 'sms',
      phone_number: '+14155550101',
    });
    expect(sent.status).toBe(200);
    twilio.willAnswer(TWILIO_REFUSED);
    const refused = await server.post('/passwordless/start', {
      client_id: CLIENT,
      connection: 'sms',
      phone_number: '+14155550102',
    });
    expect(refused.status).toBe(400);
    const text = await scrape(server);
    expect(sample(text, 'tessera_codes_sent_total', { channel: 'sms', provider: 'twilio' })).toBe(1);
    expect(
      sample(text, 'tessera_delivery_failures_total', {
        channel: 'sms',
        provider: 'twilio',
        kind: 'permanent',
      }),
    ).toBe(1);
  });

  it('counts each 429 under the limit that refused it', async () => {
    const start = () =>
      server.post('/passwordless/start', {
        client_id: CLIENT,
        connection: 'email-strict',
        email: 'metrics.limited@example.com',
        send: 'code',
      });
    expect((await start()).status).toBe(200);
    expect((await start()).status).toBe(429);
    expect((await start()).status).toBe(429);
    const page = () => server.get(`/authorize?client_id=${CLIENT}&response_type=code`);
    const pages = [await page(), await page(), await page()];
    expect(pages.map((p) => p.status)).toEqual([expect.any(Number), expect.any(Number), 429]);
    const text = await scrape(server);
    expect(sample(text, 'tessera_rate_limit_hits_total', { limit: 'start_identifier' })).toBe(2);
    expect(sample(text, 'tessera_rate_limit_hits_total', { limit: 'page_ip' })).toBe(1);
    expect(
      sample(text, 'tessera_http_requests_total', {
        route: '/passwordless/start',
        method: 'POST',
        status: '429',
      }),
    ).toBe(2);
  });
});

describe('the per-IP start limit', () => {
  it('counts its refusals as start_ip', async () => {
    const server = await TestServer.start({
      config: {
        rate_limits: {
          start_per_ip_per_hour: 1,
          authorize_per_ip_per_minute: 100,
          start_per_application_per_hour: 100,
        },
      },
    });
    try {
      const clientId = await server.clientId();
      const start = (email: string) =>
        server.post('/passwordless/start', { client_id: clientId, connection: 'email', email, send: 'code' });
      expect((await start('ip.one@example.com')).status).toBe(200);
      expect((await start('ip.two@example.com')).status).toBe(429);
      const text = await scrape(server);
      expect(sample(text, 'tessera_rate_limit_hits_total', { limit: 'start_ip' })).toBe(1);
      expect(sample(text, 'tessera_rate_limit_hits_total', { limit: 'start_identifier' })).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('metrics access', () => {
  it('asks for the bearer token when one is configured', async () => {
    const server = await TestServer.start({ config: { metrics: { token: METRICS_TOKEN } } });
    try {
      const without = await server.get('/metrics');
      expect(without.status).toBe(401);
      expect(without.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
      expect(without.headers.get('www-authenticate')).toMatch(/^Bearer /);
      const wrong = await server.get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}x` });
      expect(wrong.status).toBe(401);
      const text = await scrape(server, { authorization: `Bearer ${METRICS_TOKEN}` });
      expect(text).toContain('tessera_http_requests_total');
      // The refusals were requests too.
      expect(
        sample(text, 'tessera_http_requests_total', { route: '/metrics', method: 'GET', status: '401' }),
      ).toBe(2);
      // Probes stay open.
      expect((await server.get('/readyz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('serves no /metrics when turned off', async () => {
    const server = await TestServer.start({ config: { metrics: { enabled: false } } });
    try {
      expect((await server.get('/metrics')).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('takes the token from TESSERA_METRICS_TOKEN, keeping the file’s other metrics settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-metrics-'));
    try {
      const file = join(dir, 'tessera.json');
      writeFileSync(file, JSON.stringify({ metrics: { enabled: false } }));
      const config = loadConfig({ file, env: { TESSERA_METRICS_TOKEN: METRICS_TOKEN } });
      expect(config.metrics).toEqual({ enabled: false, token: METRICS_TOKEN });
      expect(loadConfig({ env: {} }).metrics).toEqual({ enabled: true });
      expect(() => loadConfig({ env: { TESSERA_METRICS_TOKEN: 'short' } })).toThrow(/metrics\.token/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('request ids', () => {
  const lines: Record<string, unknown>[] = [];
  let server: TestServer;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    server = await TestServer.start({ logger: pino({ level: 'info' }, sink) as FastifyBaseLogger });
  });
  afterAll(() => server.close());

  it("keeps a caller's sane x-request-id, answers with it and logs the request under it", async () => {
    const answer = await server.get('/healthz', { 'x-request-id': 'lb-7f3a.9_Z-01' });
    expect(answer.headers.get('x-request-id')).toBe('lb-7f3a.9_Z-01');
    const logged = lines.filter((line) => line.reqId === 'lb-7f3a.9_Z-01');
    expect(logged.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
  });

  it('makes a new id when there is none, or when the given one is too long or odd', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const ids: (string | null)[] = [];
    for (const given of [undefined, 'a'.repeat(129), 'two words', 'x\u00e9', '../../etc']) {
      const headers: Record<string, string> = given === undefined ? {} : { 'x-request-id': given };
      const answer = await server.get('/no/such/route', headers);
      expect(answer.status).toBe(404);
      ids.push(answer.headers.get('x-request-id'));
    }
    for (const id of ids) expect(id).toMatch(uuid);
    expect(new Set(ids).size).toBe(ids.length);
    expect(lines.some((line) => line.reqId === ids[0])).toBe(true);
    // A 128-character id is still kept.
    const longest = 'b'.repeat(128);
    expect((await server.get('/healthz', { 'x-request-id': longest })).headers.get('x-request-id')).toBe(
      longest,
    );
  });
});

/** The same counters, answering readiness probes with `ping`. */
function withPing(counters: Counters, ping: () => Promise<void>): Counters {
  return {
    hit: counters.hit.bind(counters),
    refund: counters.refund.bind(counters),
    reset: counters.reset.bind(counters),
    hold: counters.hold.bind(counters),
    heldUntil: counters.heldUntil.bind(counters),
    ping,
  };
}
