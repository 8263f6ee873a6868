import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnRedis } from '../helpers/redis-server.ts';
import { TestServer } from '../helpers/server.ts';
import { canRunRedisServer } from '../helpers/services.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

// Redis stopped under a running server (a Redis of this test's own, on its own port): Tessera keeps
// answering, counts its limits per instance meanwhile, says so (log, metric, /readyz), and goes
// back to Redis once it answers again. redis-server is on every machine this project runs on.
const CLIENT = 'redis-outage-app-01';

describe.skipIf(!canRunRedisServer())('Redis stopped under a running server', () => {
  let redis: OwnRedis;
  let server: TestServer;
  const warnings: string[] = [];

  beforeAll(async () => {
    redis = await OwnRedis.start();
    const logger = {
      level: 'warn',
      warn: (_details: object, message: string) => warnings.push(message),
      info: () => {},
      error: () => {},
      debug: () => {},
      trace: () => {},
      fatal: () => {},
      silent: () => {},
      child() {
        return this;
      },
    };
    server = await TestServer.start({
      logger: logger as never,
      config: {
        redis_url: redis.url,
        trust_proxy: true,
        rate_limits: { start_per_ip_per_hour: 4 },
        applications: [{ client_id: CLIENT, name: 'Redis outage' }],
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  const start = (ip: string, n: number) =>
    server.post(
      '/passwordless/start',
      { client_id: CLIENT, connection: 'email', send: 'code', email: `r${n}@example.com` },
      { headers: { 'x-forwarded-for': ip } },
    );
  const degraded = async () =>
    /^tessera_counters_degraded (\d)$/m.exec(
      (await server.get<string>('/metrics')).body as unknown as string,
    )?.[1];

  it('keeps serving with per-instance limits while Redis is down, and shares them again after', async () => {
    expect((await server.get('/readyz')).status).toBe(200);
    expect(await degraded()).toBe('0');
    expect((await start('203.0.113.1', 1)).status).toBe(200);

    await redis.stop();
    await expect.poll(degraded, { timeout: 5000 }).toBe('1');
    expect(warnings.join('\n')).toMatch(/Redis is unreachable: rate limits are counted per instance/);
    const ready = await server.get<{ checks: Record<string, string> }>('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ database: 'ok', counters: 'error' });

    // Logins go on; the per-IP limit still holds, counted in this instance meanwhile.
    const during = [];
    for (let n = 0; n < 6; n++) during.push((await start('203.0.113.2', 10 + n)).status);
    expect(during).toEqual([200, 200, 200, 200, 429, 429]);
    const code = await server.startCode(CLIENT, { email: 'during@example.com' });
    expect((await server.otpGrant(CLIENT, 'email', 'during@example.com', code)).status).toBe(200);

    // An instance told not to leave the balancer for Redis's sake stays ready, and says why.
    const tolerant = await TestServer.start({
      config: { redis_url: redis.url, readiness_requires_counters: false },
    });
    try {
      const degradedReady = await tolerant.get<{ status: string; checks: Record<string, string> }>('/readyz');
      expect(degradedReady.status).toBe(200);
      expect(degradedReady.body).toEqual({
        status: 'degraded',
        checks: { database: 'ok', counters: 'error' },
      });
    } finally {
      await tolerant.close();
    }

    await redis.resume();
    await expect.poll(degraded, { timeout: 10_000 }).toBe('0');
    expect((await server.get('/readyz')).status).toBe(200);
    // Counting is in Redis again (a fresh one: it keeps nothing on disk).
    expect((await start('203.0.113.2', 20)).status).toBe(200);
  }, 30_000);
});

// Redis that takes the connection and then says nothing (hung, or a black-holed network), through
// a proxy in front of a Redis of this test's own: each counter call is bounded, and once one has
// waited its bound the connection is dropped and made again, so the logins meanwhile do not wait
// at all (limits are counted per instance), and the counters are shared again once it answers.
describe.skipIf(!canRunRedisServer())('Redis that hangs under a running server', () => {
  let redis: OwnRedis;
  let proxy: TcpProxy;
  let server: TestServer;
  const said: string[] = [];

  beforeAll(async () => {
    redis = await OwnRedis.start();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: redis.port });
    const record = (first: unknown, second?: unknown) =>
      void said.push(String(typeof first === 'string' ? first : second));
    const logger = {
      level: 'info',
      warn: record,
      info: record,
      error: record,
      debug: () => {},
      trace: () => {},
      fatal: record,
      silent: () => {},
      child() {
        return this;
      },
    };
    server = await TestServer.start({
      logger: logger as never,
      config: {
        redis_url: TcpProxy.via(redis.url, proxy),
        applications: [{ client_id: CLIENT, name: 'Redis hang' }],
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
    await redis?.stop();
  });

  /** A whole login (start, code, token) and how long it took. */
  const timedLogin = async (email: string) => {
    const started = performance.now();
    const code = await server.startCode(CLIENT, { email });
    const token = await server.otpGrant(CLIENT, 'email', email, code);
    return { status: token.status, ms: performance.now() - started };
  };
  const degraded = async () =>
    /^tessera_counters_degraded (\d)$/m.exec(
      (await server.get<string>('/metrics')).body as unknown as string,
    )?.[1];

  it('costs one bounded call, not every login, and shares the counts again once Redis answers', async () => {
    expect((await timedLogin('hang-before@example.com')).status).toBe(200);
    proxy.hang();
    const during = [];
    for (let n = 0; n < 6; n++) during.push(await timedLogin(`hang-${n}@example.com`));
    expect(during.map((login) => login.status)).toEqual(during.map(() => 200));
    // A login makes about eight counter calls: with each waiting out 500 ms, one took seconds.
    // Now the first call waits the 100 ms bound and the rest go straight to this instance's counts.
    const slowest = Math.max(...during.map((login) => login.ms));
    expect(slowest).toBeLessThan(400);
    expect(await degraded()).toBe('1');
    const ready = await server.get<{ checks: Record<string, string> }>('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ database: 'ok', counters: 'error' });
    const unreachable = 'Redis is unreachable: rate limits are counted per instance until it is back';
    expect(said.filter((line) => line === unreachable)).toHaveLength(1);

    proxy.pass();
    await expect.poll(degraded, { timeout: 10_000 }).toBe('0');
    expect(said).toContain('Redis is reachable again: rate limits are shared');
    expect((await server.get('/readyz')).status).toBe(200);
    expect((await timedLogin('hang-after@example.com')).status).toBe(200);
    console.info(
      `hung Redis: ${during.length} logins, slowest ${Math.round(slowest)} ms, ` +
        `median ${Math.round(during.map((l) => l.ms).sort((a, b) => a - b)[3] ?? 0)} ms`,
    );
  }, 30_000);
});
