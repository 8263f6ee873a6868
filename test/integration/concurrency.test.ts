import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

const LOGIN_APP = 'code-login-app';
const ADMIN_APP = 'code-admin-app';
const ADMIN_SECRET = 'admin-secret-0123456789abcdef';

const WRONG = { error: 'invalid_grant', error_description: 'Wrong email or verification code.' };
const EXHAUSTED = {
  error: 'invalid_grant',
  error_description: "You've reached the maximum number of attempts. Please try to login again.",
};

const applications = [
  { client_id: LOGIN_APP, name: 'Code App', grant_types: [OTP_GRANT] },
  {
    client_id: ADMIN_APP,
    client_secret: ADMIN_SECRET,
    name: 'Backend',
    app_type: 'non_interactive',
    grant_types: ['client_credentials'],
    management_scopes: ['create:users', 'read:users'],
  },
];

/** A code of the same length that is certainly not `code`. */
function otherThan(code: string): string {
  return String((Number(code) + 1) % 10 ** code.length).padStart(code.length, '0');
}

function adminToken(server: TestServer): Promise<string> {
  return server.managementToken(ADMIN_APP, ADMIN_SECRET);
}

describe('code verification', () => {
  let server: TestServer;
  let admin: string;

  beforeAll(async () => {
    server = await TestServer.start({ config: { applications } });
    admin = await adminToken(server);
  });
  afterAll(() => server.close());

  const grant = (email: string, otp: string) =>
    server.otpGrant(LOGIN_APP, 'email', email, otp, { scope: 'openid email' });

  async function readUser(userId: string) {
    const answer = await server.get(`/api/v2/users/${encodeURIComponent(userId)}`, {
      authorization: `Bearer ${admin}`,
    });
    expect(answer.status).toBe(200);
    return answer.body;
  }

  it('lets exactly one of 50 concurrent requests with the right code in', async () => {
    const email = 'race@example.com';
    const code = await server.startCode(LOGIN_APP, { email });
    const answers = await Promise.all(Array.from({ length: 50 }, () => grant(email, code)));

    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.body.id_token).toEqual(expect.any(String));
    for (const loser of answers.filter((a) => a.status !== 200)) {
      expect(loser.status).toBe(403);
      expect(loser.body.error).toBe('invalid_grant');
      expect(loser.body.access_token).toBeUndefined();
    }

    const user = await readUser(decodeJwt(winners[0]?.body.id_token as string).sub as string);
    expect(user.logins_count).toBe(1);
  });

  it('refuses a code once its lifetime has passed', async () => {
    const email = 'expiry@example.com';
    const live = await server.startCode(LOGIN_APP, { email });
    server.clock.advance(299_000);
    expect((await grant(email, live)).status).toBe(200);

    const expiring = await server.startCode(LOGIN_APP, { email });
    server.clock.advance(301_000);
    const answer = await grant(email, expiring);
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual(WRONG);
  });

  it('kills the code after max_attempts wrong guesses, even for the right code', async () => {
    const email = 'guesser@example.com';
    const code = await server.startCode(LOGIN_APP, { email });
    const wrong = otherThan(code);

    const first = await grant(email, wrong);
    expect(first.status).toBe(403);
    expect(first.body).toEqual(WRONG);
    expect((await grant(email, wrong)).body).toEqual(WRONG);
    const third = await grant(email, wrong);
    expect(third.status).toBe(403);
    expect(third.body).toEqual(EXHAUSTED);

    const right = await grant(email, code);
    expect(right.status).toBe(403);
    expect(right.body).toEqual(EXHAUSTED);

    // A new start gives a fresh code with fresh attempts.
    const fresh = await server.startCode(LOGIN_APP, { email });
    expect((await grant(email, fresh)).status).toBe(200);
  });

  it('never lets more than max_attempts concurrent guesses be compared', async () => {
    const email = 'parallel.guesser@example.com';
    const code = await server.startCode(LOGIN_APP, { email });
    const guesses = Array.from({ length: 20 }, (_, i) =>
      String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'),
    );
    const answers = await Promise.all(guesses.map((guess) => grant(email, guess)));
    expect(answers.every((a) => a.status === 403)).toBe(true);
    expect((await grant(email, code)).body).toEqual(EXHAUSTED);
  });

  it('replaces the earlier code when a new one is sent', async () => {
    const email = 'twice@example.com';
    const old = await server.startCode(LOGIN_APP, { email });
    let current = await server.startCode(LOGIN_APP, { email });
    // One chance in a million that both draws are equal; draw again rather than test nothing.
    while (current === old) current = await server.startCode(LOGIN_APP, { email });

    const refused = await grant(email, old);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(WRONG);
    expect((await grant(email, current)).status).toBe(200);
  });

  it('creates the user on first login and counts later logins', async () => {
    const email = 'counted@example.com';
    const first = await grant(email, await server.startCode(LOGIN_APP, { email }));
    expect(first.status).toBe(200);
    const userId = decodeJwt(first.body.id_token as string).sub as string;

    const created = await readUser(userId);
    expect(created).toMatchObject({
      user_id: userId,
      email,
      email_verified: true,
      logins_count: 1,
      last_ip: expect.any(String),
      last_login: expect.any(String),
      identities: [{ provider: 'email', connection: 'email', isSocial: false }],
    });

    server.clock.advance(60_000);
    const second = await grant(email, await server.startCode(LOGIN_APP, { email }));
    expect(second.status).toBe(200);
    expect(decodeJwt(second.body.id_token as string).sub).toBe(userId);

    const updated = await readUser(userId);
    expect(updated.logins_count).toBe(2);
    expect(Date.parse(updated.last_login as string)).toBeGreaterThan(
      Date.parse(created.last_login as string),
    );
  });
});

describe('a connection with sign-up disabled', () => {
  let server: TestServer;
  let admin: string;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        applications,
        connections: [{ name: 'email', strategy: 'email', options: { disable_signup: true } }],
      },
    });
    admin = await adminToken(server);
  });
  afterAll(() => server.close());

  it('refuses to send a code to an unknown user', async () => {
    const answer = await server.post('/passwordless/start', {
      client_id: LOGIN_APP,
      connection: 'email',
      email: 'stranger@example.com',
      send: 'code',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'bad.user', error_description: expect.any(String) });
    expect(await server.inbox('stranger@example.com')).toEqual([]);
  });

  it('lets a user created through the Management API log in', async () => {
    const created = await server.post(
      '/api/v2/users',
      { connection: 'email', email: 'member@example.com' },
      { headers: { authorization: `Bearer ${admin}` } },
    );
    expect(created.status).toBe(201);
    expect(created.body.email_verified).toBe(false);

    const code = await server.startCode(LOGIN_APP, { email: 'Member@Example.com' });
    const token = await server.otpGrant(LOGIN_APP, 'email', 'member@example.com', code, {
      scope: 'openid email',
    });
    expect(token.status).toBe(200);
    expect(decodeJwt(token.body.id_token as string)).toMatchObject({
      sub: created.body.user_id,
      email_verified: true,
    });
  });
});
