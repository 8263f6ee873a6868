import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, OTP_GRANT, TestServer } from '../helpers/server.ts';

// Every error row of the wire contract's tables, driven over HTTP.

const CALLBACK = 'https://app.example.com/callback';
const PUBLIC = 'public-app-0001';
const CONFIDENTIAL = 'confidential-app-0001';
const CONFIDENTIAL_SECRET = 'confidential-secret-0123456789';
const NO_OTP = 'code-only-app-0001';
const MANAGEMENT = 'management-app-0001';
const MANAGEMENT_SECRET = 'management-secret-0123456789';
const SECRETS = [CONFIDENTIAL_SECRET, MANAGEMENT_SECRET];

const config = {
  applications: [
    {
      client_id: PUBLIC,
      name: 'Public App',
      callbacks: [CALLBACK],
      grant_types: [OTP_GRANT, 'authorization_code', 'refresh_token'],
    },
    {
      client_id: CONFIDENTIAL,
      client_secret: CONFIDENTIAL_SECRET,
      name: 'Confidential App',
      app_type: 'regular_web',
      callbacks: [CALLBACK],
      grant_types: [OTP_GRANT],
    },
    { client_id: NO_OTP, name: 'Code-only App', callbacks: [CALLBACK], grant_types: ['authorization_code'] },
    {
      client_id: MANAGEMENT,
      client_secret: MANAGEMENT_SECRET,
      name: 'Management',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
      management_scopes: ['create:users', 'read:users'],
    },
  ],
  connections: [
    { name: 'email', strategy: 'email' },
    { name: 'sms', strategy: 'sms' },
    { name: 'staff-email', strategy: 'email', enabled_clients: [CONFIDENTIAL] },
    { name: 'invite-only', strategy: 'email', options: { disable_signup: true } },
  ],
};

/** Asserts the exact error answer: status, `{ error, error_description }` and nothing else, no secret. */
function expectError(
  answer: Answer,
  status: number,
  error: string,
  description?: string | RegExp,
  secrets: string[] = [],
): void {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: { error, error_description: expect.any(String) },
  });
  const text = answer.body.error_description as string;
  expect(text.trim()).not.toBe('');
  if (typeof description === 'string') expect(text).toBe(description);
  else if (description) expect(text).toMatch(description);
  for (const secret of [...SECRETS, ...secrets]) expect(text).not.toContain(secret);
}

describe('error answers', () => {
  let server: TestServer;
  let managementToken: string;
  let counter = 0;
  /** A fresh address per test, so codes and users never collide between tests. */
  const freshEmail = () => `user${++counter}@example.com`;

  const start = (body: Record<string, unknown>, init?: { form?: boolean }) =>
    server.post('/passwordless/start', body, init);
  const startEmail = (extra: Record<string, unknown> = {}) =>
    start({ client_id: PUBLIC, connection: 'email', email: freshEmail(), send: 'code', ...extra });

  beforeAll(async () => {
    server = await TestServer.start({ config });
    managementToken = await server.managementToken(MANAGEMENT, MANAGEMENT_SECRET);
  });
  afterAll(() => server.close());

  async function createUser(body: Record<string, unknown>): Promise<void> {
    const answer = await server.post('/api/v2/users', body, {
      headers: { authorization: `Bearer ${managementToken}` },
    });
    expect(answer.status).toBe(201);
  }

  describe('POST /passwordless/start', () => {
    it('400 bad.request for a missing field', async () => {
      expectError(
        await start({ connection: 'email', email: 'a@example.com' }),
        400,
        'bad.request',
        /client_id/,
      );
      expectError(
        await start({ client_id: PUBLIC, email: 'a@example.com' }),
        400,
        'bad.request',
        /connection/,
      );
    });

    it('400 bad.request for a field of the wrong type', async () => {
      expectError(
        await start({ client_id: 42, connection: 'email', email: 'a@example.com' }),
        400,
        'bad.request',
        /client_id/,
      );
      expectError(
        await start({ client_id: PUBLIC, connection: ['email'], email: 'a@example.com' }),
        400,
        'bad.request',
        /connection/,
      );
      expectError(
        await start({ client_id: PUBLIC, connection: 'email', email: { address: 'a@example.com' } }),
        400,
        'bad.request',
        /email/,
      );
      expectError(
        await start({ client_id: PUBLIC, connection: 'sms', phone_number: 14155550100 }),
        400,
        'bad.request',
      );
      expectError(await startEmail({ send: true }), 400, 'bad.request', /send/);
    });

    it('400 bad.client_id for an unknown application', async () => {
      expectError(
        await start({ client_id: 'no-such-app-0001', connection: 'email', email: freshEmail() }),
        400,
        'bad.client_id',
      );
      expectError(
        await start({ client_id: '', connection: 'email', email: freshEmail() }),
        400,
        'bad.client_id',
      );
    });

    it('401 unauthorized_client when a confidential app omits or gets its secret wrong', async () => {
      const body = { client_id: CONFIDENTIAL, connection: 'email', email: freshEmail(), send: 'code' };
      expectError(await start(body), 401, 'unauthorized_client');
      expectError(await start({ ...body, client_secret: '' }), 401, 'unauthorized_client');
      const wrong = 'wrong-secret-wrong-secret';
      expectError(await start({ ...body, client_secret: wrong }), 401, 'unauthorized_client', undefined, [
        wrong,
      ]);
      // A secret that differs only in length must not pass either.
      expectError(
        await start({ ...body, client_secret: `${CONFIDENTIAL_SECRET}x` }),
        401,
        'unauthorized_client',
      );
      expect((await start({ ...body, client_secret: CONFIDENTIAL_SECRET })).status).toBe(200);
    });

    it('400 bad.connection for an unknown connection or one not enabled for the app', async () => {
      expectError(
        await start({ client_id: PUBLIC, connection: 'carrier-pigeons', email: freshEmail() }),
        400,
        'bad.connection',
        'Connection does not exist',
      );
      expectError(
        await start({ client_id: PUBLIC, connection: 'staff-email', email: freshEmail() }),
        400,
        'bad.connection',
        'Connection is disabled',
      );
      const allowed = await start({
        client_id: CONFIDENTIAL,
        client_secret: CONFIDENTIAL_SECRET,
        connection: 'staff-email',
        email: freshEmail(),
        send: 'code',
      });
      expect(allowed.status).toBe(200);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['without @', 'ann.example.com'],
      ['without a dotted domain', 'ann@localhost'],
      ['with two @', 'ann@lee@example.com'],
      ['with a space inside', 'ann lee@example.com'],
      ['too long', `${'a'.repeat(250)}@example.com`],
    ])('400 bad.email for an address %s', async (_, email) => {
      expectError(await start({ client_id: PUBLIC, connection: 'email', email }), 400, 'bad.email');
    });

    it.each([
      ['missing', undefined],
      ['without country code', '4155550100'],
      ['with letters', '+1 415 CALL NOW'],
      ['too long', `+1${'5'.repeat(38)}`],
      ['too short', '+1415555'],
      ['with an unknown country code', '+999 555 0100'],
    ])('400 bad.phone_number for a number %s', async (_, phone_number) => {
      expectError(
        await start({ client_id: PUBLIC, connection: 'sms', phone_number }),
        400,
        'bad.phone_number',
      );
    });

    it('400 bad.send for a link by SMS or an unknown send value', async () => {
      expectError(
        await start({ client_id: PUBLIC, connection: 'sms', phone_number: '+14155550100', send: 'link' }),
        400,
        'bad.send',
      );
      expectError(await startEmail({ send: 'carrier-pigeon' }), 400, 'bad.send');
      expectError(await startEmail({ send: 'CODE' }), 400, 'bad.send');
    });

    it.each([
      ['a string', 'scope=openid'],
      ['an array', ['openid']],
      ['a number', 42],
      ['a boolean', true],
    ])('400 bad.authParams when authParams is %s', async (_, authParams) => {
      expectError(await startEmail({ authParams }), 400, 'bad.authParams', /object/);
    });

    it('400 bad.authParams for an unregistered redirect_uri or a bad response_type', async () => {
      for (const redirect_uri of [
        'https://evil.example/callback',
        `${CALLBACK}/`,
        `${CALLBACK}?next=/admin`,
        'https://app.example.com/callback#x',
        'HTTPS://APP.EXAMPLE.COM/callback',
      ]) {
        expectError(
          await startEmail({ send: 'link', authParams: { redirect_uri } }),
          400,
          'bad.authParams',
          /redirect_uri/,
        );
      }
      for (const response_type of ['password', 'code id_token_bogus', '']) {
        expectError(
          await startEmail({ authParams: { response_type } }),
          400,
          'bad.authParams',
          /response_type/,
        );
      }
      expectError(await startEmail({ authParams: { state: 42 } }), 400, 'bad.authParams', /state/);
      expectError(
        await startEmail({ authParams: { scope: 'x'.repeat(2049) } }),
        400,
        'bad.authParams',
        /scope/,
      );
      const good = await startEmail({
        send: 'link',
        authParams: { redirect_uri: CALLBACK, response_type: 'code', code_challenge: 'c'.repeat(43) },
      });
      expect(good.status).toBe(200);
    });

    it('400 bad.user when sign-up is disabled and the user does not exist', async () => {
      const stranger = freshEmail();
      expectError(
        await start({ client_id: PUBLIC, connection: 'invite-only', email: stranger, send: 'code' }),
        400,
        'bad.user',
      );
      const member = freshEmail();
      await createUser({ connection: 'invite-only', email: member });
      const allowed = await start({
        client_id: PUBLIC,
        connection: 'invite-only',
        email: member,
        send: 'code',
      });
      expect(allowed.status).toBe(200);
    });

    it('takes form-encoded bodies like JSON ones', async () => {
      const email = freshEmail();
      const ok = await start({ client_id: PUBLIC, connection: 'email', email, send: 'code' }, { form: true });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ _id: expect.any(String), email, email_verified: false });
      expectError(
        await start({ client_id: PUBLIC, connection: 'email', email: 'nope' }, { form: true }),
        400,
        'bad.email',
      );
      expectError(
        await start({ connection: 'email', email }, { form: true }),
        400,
        'bad.request',
        /client_id/,
      );
      expectError(
        await start({ client_id: PUBLIC, connection: 'email', email, authParams: 'x' }, { form: true }),
        400,
        'bad.authParams',
      );
    });
  });

  describe('POST /passwordless/start rate limit', () => {
    let limited: TestServer;
    beforeAll(async () => {
      limited = await TestServer.start({ config: { rate_limits: { start_per_ip_per_hour: 3 } } });
    });
    afterAll(() => limited.close());

    it('429 too_many_requests with Retry-After past the per-IP limit', async () => {
      const clientId = await limited.clientId();
      const body = (n: number) => ({
        client_id: clientId,
        connection: 'email',
        email: `rate${n}@example.com`,
        send: 'code',
      });
      for (let n = 0; n < 3; n++)
        expect((await limited.post('/passwordless/start', body(n))).status).toBe(200);
      const refused = await limited.post('/passwordless/start', body(3));
      expectError(refused, 429, 'too_many_requests');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(await limited.inbox('rate3@example.com')).toEqual([]);
    });
  });

  describe('POST /oauth/token', () => {
    const token = (
      body: Record<string, unknown>,
      init?: { form?: boolean; headers?: Record<string, string> },
    ) => server.post('/oauth/token', body, init);
    const otpBody = (extra: Record<string, unknown> = {}) => ({
      grant_type: OTP_GRANT,
      client_id: PUBLIC,
      realm: 'email',
      username: 'nobody@example.com',
      otp: '123456',
      ...extra,
    });

    it('400 invalid_request for a missing grant_type', async () => {
      const { grant_type: _, ...body } = otpBody();
      expectError(await token(body), 400, 'invalid_request', /grant_type/);
      expectError(await token({ ...body, grant_type: '' }), 400, 'invalid_request', /grant_type/);
    });

    it.each(['client_id', 'realm', 'username', 'otp'])('400 invalid_request without %s', async (field) => {
      const body: Record<string, unknown> = otpBody();
      delete body[field];
      expectError(await token(body), 400, 'invalid_request', new RegExp(field));
      expectError(await token({ ...body, [field]: '' }), 400, 'invalid_request', new RegExp(field));
    });

    it('400 invalid_request for a field of the wrong type', async () => {
      expectError(await token(otpBody({ otp: 123456 })), 400, 'invalid_request', /otp/);
      expectError(await token(otpBody({ grant_type: [OTP_GRANT] })), 400, 'invalid_request', /grant_type/);
    });

    it('400 unsupported_grant_type for an unknown grant', async () => {
      expectError(
        await token(otpBody({ grant_type: 'urn:example:carrier-pigeon' })),
        400,
        'unsupported_grant_type',
      );
      expectError(await token(otpBody({ grant_type: 'password' })), 400, 'unsupported_grant_type');
    });

    it('400 unauthorized_client when the app may not use the passwordless grant', async () => {
      expectError(await token(otpBody({ client_id: NO_OTP })), 400, 'unauthorized_client', /not allowed/);
    });

    it('401 invalid_client for an unknown app or a bad secret, in the body or as HTTP Basic', async () => {
      expectError(await token(otpBody({ client_id: 'no-such-app-0001' })), 401, 'invalid_client');
      const body = otpBody({ client_id: CONFIDENTIAL });
      expectError(await token(body), 401, 'invalid_client');
      const wrong = 'wrong-secret-wrong-secret';
      expectError(await token({ ...body, client_secret: wrong }), 401, 'invalid_client', undefined, [wrong]);

      const { client_id: _, ...withoutClient } = body;
      const basic = (id: string, secret: string) => ({
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      });
      const refused = await token(withoutClient, { headers: basic(CONFIDENTIAL, wrong) });
      expectError(refused, 401, 'invalid_client', undefined, [wrong]);
      // RFC 6749 §5.2: Basic authentication failures name the scheme in WWW-Authenticate.
      expect(refused.headers.get('www-authenticate')).toMatch(/^Basic /);
      expectError(
        await token(withoutClient, {
          headers: { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
        }),
        401,
        'invalid_client',
      );
      // The right secret as Basic gets past client authentication to the code check.
      expectError(
        await token(withoutClient, { headers: basic(CONFIDENTIAL, CONFIDENTIAL_SECRET) }),
        403,
        'invalid_grant',
      );
    });

    it('403 invalid_grant for a wrong code, by email and by SMS', async () => {
      const email = freshEmail();
      const code = await server.startCode(PUBLIC, { email });
      const wrong = code === '000000' ? '111111' : '000000';
      expectError(
        await server.otpGrant(PUBLIC, 'email', email, wrong),
        403,
        'invalid_grant',
        'Wrong email or verification code.',
        [code],
      );
      const phone = '+14155550111';
      const smsCode = await server.startCode(PUBLIC, { phone_number: phone });
      expectError(
        await server.otpGrant(PUBLIC, 'sms', phone, smsCode === '000000' ? '111111' : '000000'),
        403,
        'invalid_grant',
        'Wrong phone number or verification code.',
        [smsCode],
      );
      // An identifier nobody asked a code for, or one that is not an identifier at all.
      expectError(await server.otpGrant(PUBLIC, 'email', freshEmail(), code), 403, 'invalid_grant');
      expectError(await server.otpGrant(PUBLIC, 'email', 'not an email', code), 403, 'invalid_grant');
    });

    it('403 invalid_grant for an expired code', async () => {
      const email = freshEmail();
      const code = await server.startCode(PUBLIC, { email });
      server.clock.advance(301_000);
      expectError(
        await server.otpGrant(PUBLIC, 'email', email, code),
        403,
        'invalid_grant',
        'Wrong email or verification code.',
        [code],
      );
    });

    it('403 invalid_grant for a code already used', async () => {
      const email = freshEmail();
      const code = await server.startCode(PUBLIC, { email });
      expect((await server.otpGrant(PUBLIC, 'email', email, code)).status).toBe(200);
      expectError(
        await server.otpGrant(PUBLIC, 'email', email, code),
        403,
        'invalid_grant',
        'Wrong email or verification code.',
        [code],
      );
    });

    it('403 invalid_grant for a code replaced by a newer one', async () => {
      const email = freshEmail();
      const first = await server.startCode(PUBLIC, { email });
      let second = await server.startCode(PUBLIC, { email });
      while (second === first) second = await server.startCode(PUBLIC, { email });
      expectError(await server.otpGrant(PUBLIC, 'email', email, first), 403, 'invalid_grant');
      expect((await server.otpGrant(PUBLIC, 'email', email, second)).status).toBe(200);
    });

    it('403 invalid_grant once the attempts are used up, even for the right code', async () => {
      const email = freshEmail();
      const code = await server.startCode(PUBLIC, { email });
      const wrong = code === '000000' ? '111111' : '000000';
      const maxAttempts = "You've reached the maximum number of attempts. Please try to login again.";
      for (const expected of [
        'Wrong email or verification code.',
        'Wrong email or verification code.',
        maxAttempts,
      ]) {
        expectError(await server.otpGrant(PUBLIC, 'email', email, wrong), 403, 'invalid_grant', expected, [
          code,
        ]);
      }
      expectError(await server.otpGrant(PUBLIC, 'email', email, code), 403, 'invalid_grant', maxAttempts, [
        code,
      ]);
    });

    it('403 access_denied for a blocked user, even with the right code', async () => {
      const email = freshEmail();
      await createUser({ connection: 'email', email, blocked: true });
      const code = await server.startCode(PUBLIC, { email });
      expectError(await server.otpGrant(PUBLIC, 'email', email, code), 403, 'access_denied', undefined, [
        code,
      ]);
    });

    it('403 access_denied for an unknown audience', async () => {
      const email = freshEmail();
      const code = await server.startCode(PUBLIC, { email });
      expectError(
        await server.otpGrant(PUBLIC, 'email', email, code, { audience: 'https://api.unknown.example/' }),
        403,
        'access_denied',
        /Service not found/,
        [code],
      );
      // The refusal did not cost the code: it still logs in.
      expect((await server.otpGrant(PUBLIC, 'email', email, code)).status).toBe(200);
    });

    it('403 access_denied for client_credentials with an unknown audience', async () => {
      expectError(
        await token({
          grant_type: 'client_credentials',
          client_id: MANAGEMENT,
          client_secret: MANAGEMENT_SECRET,
          audience: 'https://api.unknown.example/',
        }),
        403,
        'access_denied',
      );
    });

    it('takes form-encoded bodies like JSON ones', async () => {
      const email = freshEmail();
      const code = await server.startCode(PUBLIC, { email });
      const wrong = code === '000000' ? '111111' : '000000';
      expectError(
        await token(otpBody({ username: email, otp: wrong }), { form: true }),
        403,
        'invalid_grant',
      );
      const { grant_type: _, ...noGrant } = otpBody();
      expectError(await token(noGrant, { form: true }), 400, 'invalid_request', /grant_type/);
      expectError(
        await token(otpBody({ grant_type: 'nope' }), { form: true }),
        400,
        'unsupported_grant_type',
      );
      const ok = await token(otpBody({ username: email, otp: code, scope: 'openid email' }), { form: true });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({
        token_type: 'Bearer',
        scope: 'openid email',
        id_token: expect.any(String),
      });
    });
  });
});
