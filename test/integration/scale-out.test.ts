import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/sources.ts';
import { solve } from '../helpers/pow.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';
import { testDatabaseUrl, testRedisUrl, uniqueSchema } from '../helpers/services.ts';
import { dropSchema } from '../helpers/stores.ts';

// Two instances on different ports, sharing one PostgreSQL database and one Redis: every guarantee
// of a single instance must hold across both. Needs the real services (PGlite cannot be shared
// between instances); under CI=true they are required, on a laptop without them this is skipped.
const databaseUrl = testDatabaseUrl();
const redisUrl = testRedisUrl();
const CLIENT = 'scale-app-000001';

/** The config every instance of one deployment shares: one database schema, one Redis, one master key. */
function deployment(schema: string) {
  return {
    database_url: databaseUrl,
    database_schema: schema,
    redis_url: redisUrl,
    // Keys of this run only: the shared Redis keeps counts between runs.
    redis_prefix: `${schema}:`,
    master_key: randomBytes(32).toString('base64'),
    applications: [{ client_id: CLIENT, name: 'Scale', grant_types: [OTP_GRANT] }],
  };
}

describe.skipIf(!databaseUrl || !redisUrl)('two instances on one PostgreSQL and one Redis', () => {
  const schema = uniqueSchema('scale');
  let a: TestServer;
  let b: TestServer;

  /** The configuration of another pair of instances on the same database, counting under `prefix`. */
  const sibling = (prefix: string, extra: Record<string, unknown>) => ({
    database_url: databaseUrl,
    database_schema: schema,
    redis_url: redisUrl,
    redis_prefix: `${schema}:${prefix}:`,
    master_key: a.server.ctx.config.master_key,
    // The same applications: every instance writes its config's applications at start.
    applications: a.server.ctx.config.applications,
    ...extra,
  });

  beforeAll(async () => {
    const config = deployment(schema);
    // Started at once, as a deployment's instances would be: migrations and seeding must not collide.
    // Both read one clock, as servers kept in time by NTP do.
    const clock = new ManualClock();
    [a, b] = await Promise.all([TestServer.start({ config, clock }), TestServer.start({ config, clock })]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (databaseUrl) await dropSchema(databaseUrl, schema);
  });

  it('verifies on one instance a code started on the other', async () => {
    const email = 'across@example.com';
    const code = await a.startCode(CLIENT, { email });
    const answer = await b.otpGrant(CLIENT, 'email', email, code, { scope: 'openid email' });
    expect(answer.status).toBe(200);
    expect(answer.body.id_token).toEqual(expect.any(String));
    // The code is used up for both.
    expect((await a.otpGrant(CLIENT, 'email', email, code)).status).toBe(403);
  });

  it('gives exactly one token set to concurrent right answers spread over both', async () => {
    const email = 'race-across@example.com';
    const code = await b.startCode(CLIENT, { email });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).otpGrant(CLIENT, 'email', email, code)),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    for (const loser of answers.filter((r) => r.status !== 200))
      expect(loser.body.error).toBe('invalid_grant');
  });

  it('spends one attempt budget across both instances', async () => {
    const email = 'guess-across@example.com';
    const code = await a.startCode(CLIENT, { email });
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).otpGrant(CLIENT, 'email', email, wrong)),
    );
    expect(answers.every((r) => r.status === 403)).toBe(true);
    // Three attempts a code (the default), however the guesses were spread: the right code is dead too.
    expect((await b.otpGrant(CLIENT, 'email', email, code)).status).toBe(403);
  });

  it('holds the per-IP start limit across both instances', async () => {
    const limited = sibling('limited', { rate_limits: { start_per_ip_per_hour: 6 }, trust_proxy: true });
    const [c, d] = await Promise.all([
      TestServer.start({ config: limited }),
      TestServer.start({ config: limited }),
    ]);
    try {
      // A client IP of its own (trusted proxy header), so earlier runs and tests do not count.
      const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
      const answers = [];
      for (let i = 0; i < 10; i++) {
        const server = i % 2 === 0 ? c : d;
        answers.push(
          await server.post(
            '/passwordless/start',
            { client_id: CLIENT, connection: 'email', send: 'code', email: `ip${i}@example.com` },
            { headers: { 'x-forwarded-for': ip } },
          ),
        );
      }
      expect(answers.filter((r) => r.status === 200)).toHaveLength(6);
      expect(answers.slice(6).every((r) => r.status === 429)).toBe(true);
    } finally {
      await c.close();
      await d.close();
    }
  });

  it('accepts on one instance a proof of work asked for by the other, and only once across both', async () => {
    const checked = sibling('pow', {
      proof_of_work: { enabled: true, after_starts_per_ip: 0, difficulty_bits: 8, ttl_s: 120 },
    });
    const [c, d] = await Promise.all([
      TestServer.start({ config: checked }),
      TestServer.start({ config: checked }),
    ]);
    try {
      const body = { client_id: CLIENT, connection: 'email', send: 'code', email: 'pow-across@example.com' };
      const asked = await c.post('/passwordless/start', body);
      expect(asked.body.error).toBe('pow_required');
      const { challenge } = asked.body.pow as { challenge: string };
      const pow = { challenge, nonce: solve(challenge, 8) };
      // The same solution sent to both instances at once: exactly one start goes on.
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? d : c).post('/passwordless/start', { ...body, pow }),
        ),
      );
      expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
      for (const refused of answers.filter((r) => r.status !== 200))
        expect(refused.body.error).toBe('pow_required');
      expect(await c.inbox('pow-across@example.com')).toHaveLength(1);
    } finally {
      await c.close();
      await d.close();
    }
  });

  it('serves the other instance its signing keys: a token from one verifies against the JWKS of the other', async () => {
    const email = 'jwks@example.com';
    const code = await a.startCode(CLIENT, { email });
    const answer = await a.otpGrant(CLIENT, 'email', email, code, { scope: 'openid' });
    const jwks = createRemoteJWKSet(new URL(`${b.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(answer.body.id_token as string, jwks, { audience: CLIENT });
    expect(payload.iss).toBe(a.issuer);
  });

  it('serves a key rotated on one instance in the JWKS of the other, which signs with it once it is due', async () => {
    const kids = async (server: TestServer) =>
      ((await server.get<{ keys: { kid: string }[] }>('/.well-known/jwks.json')).body.keys ?? []).map(
        (k) => k.kid,
      );
    const before = await kids(b);
    const [rotation] = await a.server.ctx.keys.rotate();
    const kid = rotation?.key?.kid as string;
    expect(kid).toEqual(expect.any(String));
    expect(before).not.toContain(kid);
    // B reloads its keys every keys.reload_s (30 s): move the shared clock past it.
    a.clock.advance(31_000);
    expect(await kids(b)).toEqual(expect.arrayContaining([...before, kid]));
    // Published first, signing only after the propagation delay (keys.propagation_s, 1 h).
    const header = async () => {
      const email = `rotated${Math.random().toString(36).slice(2, 8)}@example.com`;
      const code = await b.startCode(CLIENT, { email });
      const answer = await b.otpGrant(CLIENT, 'email', email, code, { scope: 'openid' });
      return JSON.parse(
        Buffer.from(String(answer.body.id_token).split('.')[0] as string, 'base64url').toString(),
      );
    };
    expect((await header()).kid).not.toBe(kid);
    a.clock.advance(3_600_000);
    expect((await header()).kid).toBe(kid);
  });

  it('seeds a new database once when its first instances start together', async () => {
    const fresh = uniqueSchema('seed');
    const config = {
      database_url: databaseUrl,
      database_schema: fresh,
      master_key: randomBytes(32).toString('base64'),
    };
    const servers = await Promise.all([1, 2, 3].map(() => TestServer.start({ config })));
    try {
      const apps = await servers[0]?.server.ctx.store.listApplications();
      expect(apps?.map((app) => app.name)).toEqual(['Default App']);
      const connections = await servers[0]?.server.ctx.store.listConnections();
      expect(connections?.map((c) => c.name)).toEqual(['email', 'sms']);
      // Exactly one of them says it made the app (its start banner shows the client_id).
      expect(servers.filter((s) => s.server.createdApplication !== null)).toHaveLength(1);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await dropSchema(databaseUrl as string, fresh);
    }
  });
});

describe.skipIf(!databaseUrl || !redisUrl)('start limits per identifier across two instances', () => {
  it('holds the per-identifier start limit across both instances', async () => {
    const schema = uniqueSchema('ident');
    const config = {
      ...deployment(schema),
      connections: [
        {
          name: 'email',
          strategy: 'email',
          options: { start_limits: { per_identifier: { points: 3, duration_s: 900 } } },
        },
      ],
    };
    const [c, d] = await Promise.all([TestServer.start({ config }), TestServer.start({ config })]);
    try {
      const email = `same${Math.random().toString(36).slice(2, 8)}@example.com`;
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        const answer = await (i % 2 === 0 ? c : d).post('/passwordless/start', {
          client_id: CLIENT,
          connection: 'email',
          send: 'code',
          email,
        });
        statuses.push(answer.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    } finally {
      await c.close();
      await d.close();
      await dropSchema(databaseUrl as string, schema);
    }
  });
});

describe.skipIf(!databaseUrl || !redisUrl)('verification limits across two instances', () => {
  const schema = uniqueSchema('guard');
  const WRONG = { error: 'invalid_grant', error_description: 'Wrong email or verification code.' };
  // One clock for both, as servers kept in time by NTP share one: a lock ends at the same moment.
  const clock = new ManualClock();
  let c: TestServer;
  let d: TestServer;

  beforeAll(async () => {
    const config = {
      ...deployment(schema),
      trust_proxy: true,
      rate_limits: { verify_failures_per_ip: 6 },
      connections: [
        {
          name: 'email',
          strategy: 'email',
          options: { max_attempts: 20, brute_force: { failures: 4, lock_s: 60 } },
        },
      ],
    };
    [c, d] = await Promise.all([TestServer.start({ config, clock }), TestServer.start({ config, clock })]);
  });
  afterAll(async () => {
    await c?.close();
    await d?.close();
    if (databaseUrl) await dropSchema(databaseUrl, schema);
  });

  /** A code exchange from `ip` (a client address of the test's own, through the trusted proxy header). */
  const grant = (server: TestServer, email: string, otp: string, ip: string) =>
    server.post(
      '/oauth/token',
      { grant_type: OTP_GRANT, client_id: CLIENT, realm: 'email', username: email, otp },
      { headers: { 'x-forwarded-for': ip } },
    );
  const someIp = () => `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

  it('locks an identifier on both once its wrong codes, spread over both, reach the limit', async () => {
    const email = 'lock-across@example.com';
    const code = await c.startCode(CLIENT, { email });
    const wrong = (i: number) => String((Number(code) + i) % 1_000_000).padStart(6, '0');
    for (let i = 1; i <= 3; i++) await grant(i % 2 === 0 ? c : d, email, wrong(i), someIp());
    // Three wrong codes: not yet locked, on either (a right answer would log in; a 4th wrong one locks).
    expect((await grant(c, email, wrong(4), someIp())).body).toEqual(WRONG);
    for (const server of [c, d]) expect((await grant(server, email, code, someIp())).body).toEqual(WRONG);
    clock.advance(61_000);
    expect((await grant(d, email, code, someIp())).status).toBe(200);
  });

  it('holds the per-IP failure limit across both', async () => {
    const ip = someIp();
    const answers = [];
    for (let i = 0; i < 8; i++)
      answers.push(await grant(i % 2 === 0 ? c : d, `nobody${i}@example.com`, '000000', ip));
    expect(answers.slice(0, 6).map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 403]);
    expect(answers.slice(6).map((a) => a.status)).toEqual([429, 429]);
    expect(Number(answers[7]?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
