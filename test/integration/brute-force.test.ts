import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CHALLENGE } from '../helpers/links.ts';
import { type Answer, OTP_GRANT, TestServer } from '../helpers/server.ts';

const APP = 'brute-app-000001';
const CALLBACK = 'http://localhost:3000/callback';

// The spec's answers to a wrong code and to a code out of attempts: a lock must answer the same.
const WRONG = { error: 'invalid_grant', error_description: 'Wrong email or verification code.' };
const EXHAUSTED = {
  error: 'invalid_grant',
  error_description: "You've reached the maximum number of attempts. Please try to login again.",
};

const applications = [
  {
    client_id: APP,
    name: 'Brute',
    callbacks: [CALLBACK],
    grant_types: [OTP_GRANT, 'authorization_code', 'password'],
  },
];

/** A code of the same length that is certainly not `code`. */
function otherThan(code: string, offset = 1): string {
  return String((Number(code) + offset) % 10 ** code.length).padStart(code.length, '0');
}

describe('per-identifier lock after wrong codes', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        applications,
        connections: [
          // The defaults: 3 attempts a code, a lock from the 10th wrong code, 5 starts per 15 minutes.
          { name: 'email', strategy: 'email' },
          {
            name: 'guarded',
            strategy: 'email',
            options: {
              max_attempts: 20,
              brute_force: { failures: 3, lock_s: 60, max_lock_s: 240 },
              start_limits: { per_identifier: { points: 50 } },
            },
          },
          {
            name: 'unguarded',
            strategy: 'email',
            options: { max_attempts: 100, brute_force_protection: false },
          },
        ],
      },
    });
  });
  afterAll(() => server.close());

  const start = (email: string, connection = 'email') => server.startCode(APP, { email }, connection);
  const grant = (email: string, otp: string, connection = 'email') =>
    server.otpGrant(APP, connection, email, otp);

  /** Spends `n` wrong guesses, across as many codes as it takes; returns the last code sent. */
  async function failTimes(email: string, n: number): Promise<string> {
    let code = await start(email);
    for (let i = 1; i <= n; i++) {
      expect((await grant(email, otherThan(code))).status).toBe(403);
      if (i % 3 === 0 && i < n) code = await start(email);
    }
    return code;
  }

  it('lets the right code in after 9 wrong codes across codes (the default is 10)', async () => {
    const email = 'nine@example.com';
    await failTimes(email, 9);
    const fresh = await start(email);
    expect((await grant(email, fresh)).status).toBe(200);
  });

  it('locks the identifier at the 10th wrong code: the right code then gets the wrong-code answer', async () => {
    const email = 'ten@example.com';
    const code = await failTimes(email, 10);
    // The 10th guess was the first on this code: it has two attempts left, as the answers show.
    const locked = await grant(email, code);
    expect(locked.status).toBe(403);
    expect(locked.body).toEqual(WRONG);
    // Each locked check still takes an attempt, so a guesser sees what a wrong guess would get.
    expect((await grant(email, code)).body).toEqual(EXHAUSTED);
    // A new code changes nothing while the lock holds; nor do the other verification endpoints.
    const fresh = await start(email);
    const verify = await server.post('/passwordless/verify', {
      client_id: APP,
      connection: 'email',
      email,
      verification_code: fresh,
    });
    expect(verify.status).toBe(403);
    expect(verify.body).toEqual(WRONG);
    const ro = await server.post('/oauth/ro', {
      client_id: APP,
      connection: 'email',
      grant_type: 'password',
      username: email,
      password: fresh,
    });
    expect(ro.status).toBe(403);
    expect(ro.body).toEqual(WRONG);
    // Another identifier is not locked.
    const bystander = 'bystander@example.com';
    expect((await grant(bystander, await start(bystander))).status).toBe(200);
  });

  it('doubles the lock with each further wrong code, up to max_lock_s', async () => {
    const email = 'backoff@example.com';
    const locked = async (code: string) => expect((await grant(email, code, 'guarded')).body).toEqual(WRONG);
    let code = await start(email, 'guarded');
    for (let i = 0; i < 3; i++) await grant(email, otherThan(code), 'guarded');
    await locked(code); // 3rd wrong code: locked 60 s
    server.clock.advance(59_000);
    await locked(code);
    server.clock.advance(2_000);
    await grant(email, otherThan(code), 'guarded'); // 4th: 120 s
    server.clock.advance(119_000);
    await locked(code);
    server.clock.advance(2_000);
    await grant(email, otherThan(code), 'guarded'); // 5th: 240 s, the cap
    server.clock.advance(239_000);
    code = await start(email, 'guarded'); // the first code has expired by now
    await locked(code);
    server.clock.advance(2_000);
    await grant(email, otherThan(code), 'guarded'); // 6th: 480 s, capped at 240 s
    server.clock.advance(239_000);
    await locked(code);
    server.clock.advance(2_000);
    expect((await grant(email, code, 'guarded')).status).toBe(200);
  });

  it('does not compare or count codes while locked, and forgets the wrong codes after a login', async () => {
    const email = 'patient@example.com';
    let code = await start(email, 'guarded');
    for (let i = 1; i <= 3; i++) await grant(email, otherThan(code, i), 'guarded');
    // Guesses during the lock are not compared, so they neither succeed nor lengthen it.
    for (let i = 4; i <= 8; i++)
      expect((await grant(email, otherThan(code, i), 'guarded')).body).toEqual(WRONG);
    server.clock.advance(61_000);
    expect((await grant(email, code, 'guarded')).status).toBe(200);

    // After the login, the count starts again: two wrong codes do not lock.
    code = await start(email, 'guarded');
    await grant(email, otherThan(code, 1), 'guarded');
    await grant(email, otherThan(code, 2), 'guarded');
    expect((await grant(email, code, 'guarded')).status).toBe(200);
  });

  it('leaves magic links usable while the identifier is locked', async () => {
    const email = 'linked@example.com';
    await failTimes(email, 10);
    const started = await server.post('/passwordless/start', {
      client_id: APP,
      connection: 'email',
      email,
      send: 'link',
      authParams: {
        redirect_uri: CALLBACK,
        response_type: 'code',
        state: 'linked',
        code_challenge: TEST_CHALLENGE,
        code_challenge_method: 'S256',
      },
    });
    expect(started.status).toBe(200);
    const cookie = started.headers
      .getSetCookie()
      .find((c) => c.startsWith('tessera_link='))
      ?.split(';')[0] as string;
    const [message] = await server.inbox(email);
    const link = new URL(message?.link as string);
    const opened = await server.get(`${link.pathname}${link.search}`, { cookie });
    expect(opened.status).toBe(302);
    const location = new URL(opened.headers.get('location') as string);
    expect(location.searchParams.get('error')).toBeNull();
    expect(location.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('does not lock a connection with brute_force_protection: false', async () => {
    const email = 'unguarded@example.com';
    const code = await start(email, 'unguarded');
    for (let i = 1; i <= 30; i++) await grant(email, otherThan(code, i), 'unguarded');
    expect((await grant(email, code, 'unguarded')).status).toBe(200);
  });

  it('counts a lock in tessera_identifier_locks_total', async () => {
    const metrics = await server.get<string>('/metrics');
    expect(metrics.body).toMatch(/^tessera_identifier_locks_total [1-9]\d*$/m);
  });
});

describe('per-IP limit on failed verifications', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        applications,
        trust_proxy: true,
        rate_limits: { verify_failures_per_ip: 5, verify_failures_window_s: 60 },
        connections: [{ name: 'email', strategy: 'email', options: { max_attempts: 100 } }],
      },
    });
  });
  afterAll(() => server.close());

  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
  const grant = (ip: string, email: string, otp: string) =>
    server.post(
      '/oauth/token',
      { grant_type: OTP_GRANT, client_id: APP, realm: 'email', username: email, otp },
      from(ip),
    );

  function expectTooMany(answer: Answer) {
    expect(answer.status).toBe(429);
    expect(answer.body).toEqual({ error: 'too_many_requests', error_description: expect.any(String) });
    const retryAfter = Number(answer.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  it('answers 429 with Retry-After once an IP has failed 5 times, even to the right code', async () => {
    const ip = '203.0.113.10';
    const email = 'ip-limit@example.com';
    const code = await server.startCode(APP, { email });
    // Spread over identifiers (with and without a code) and endpoints: the IP is what counts.
    for (let i = 1; i <= 4; i++) expect((await grant(ip, email, otherThan(code, i))).body).toEqual(WRONG);
    expect((await grant(ip, 'nobody@example.com', '123456')).body).toEqual(WRONG);

    expectTooMany(await grant(ip, email, code));
    const verify = await server.post(
      '/passwordless/verify',
      { client_id: APP, connection: 'email', email, verification_code: code },
      from(ip),
    );
    expectTooMany(verify);
    const ro = await server.post(
      '/oauth/ro',
      { client_id: APP, connection: 'email', grant_type: 'password', username: email, password: code },
      from(ip),
    );
    expectTooMany(ro);

    // Another IP is not affected, and the code was not used up by the refusals.
    expect((await grant('203.0.113.11', email, code)).status).toBe(200);
    const metrics = await server.get<string>('/metrics');
    expect(metrics.body).toMatch(/^tessera_rate_limit_hits_total\{limit="verify_ip"\} [1-9]\d*$/m);
  });

  it('counts only failures: logins from the IP take back their count', async () => {
    const ip = '203.0.113.20';
    for (let n = 0; n < 8; n++) {
      const email = `ok${n}@example.com`;
      expect((await grant(ip, email, await server.startCode(APP, { email }))).status).toBe(200);
    }
    const email = 'after-logins@example.com';
    const code = await server.startCode(APP, { email });
    for (let i = 1; i <= 4; i++) expect((await grant(ip, email, otherThan(code, i))).status).toBe(403);
    // The 5th failure is still answered as a wrong code; the next request is refused.
    expect((await grant(ip, email, otherThan(code, 5))).body).toEqual(WRONG);
    expectTooMany(await grant(ip, email, code));
  });
});

describe('1,000 concurrent wrong guesses on one code', () => {
  let server: TestServer;

  beforeAll(async () => {
    // The per-IP limit is the helper's (100,000), so that this measures the code's own limit.
    server = await TestServer.start({ config: { applications } });
  });
  afterAll(() => server.close());

  it('compares at most max_attempts of them, accepts none, and refuses the right code afterwards', async () => {
    const email = 'thousand@example.com';
    const code = await server.startCode(APP, { email });
    const guesses = Array.from({ length: 1000 }, (_, i) => otherThan(code, i + 1));
    const answers = await Promise.all(guesses.map((guess) => server.otpGrant(APP, 'email', email, guess)));

    expect(answers.filter((a) => a.status === 200)).toHaveLength(0);
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect([WRONG, EXHAUSTED]).toContainEqual(answer.body);
    }
    // The store's attempt count is the number of guesses that were let through to the comparison.
    const stored = await server.server.ctx.store.findLoginCode(APP, 'email', email);
    expect(stored?.attempts).toBe(3);
    console.info(`1,000 concurrent wrong guesses: ${stored?.attempts} compared, 0 accepted`);

    const right = await server.otpGrant(APP, 'email', email, code);
    expect(right.status).toBe(403);
    expect(right.body).toEqual(EXHAUSTED);
  }, 60_000);
});
