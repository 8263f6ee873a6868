import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

const LOGIN_APP = 'legacy-login-app';
const ADMIN_APP = 'management-admin';
const ADMIN_SECRET = 'admin-secret-0123456789abcdef';
const READER_APP = 'management-reader';
const READER_SECRET = 'reader-secret-0123456789abcdef';

describe('legacy passwordless endpoints and the Management API', () => {
  let server: TestServer;
  let adminToken: string;
  let readerToken: string;

  async function managementToken(clientId: string, secret: string): Promise<string> {
    const answer = await server.post<Record<string, string>>('/oauth/token', {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      audience: `${server.issuer}api/v2/`,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    return answer.body.access_token as string;
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        applications: [
          { client_id: LOGIN_APP, name: 'Legacy App', grant_types: [OTP_GRANT, 'password'] },
          {
            client_id: ADMIN_APP,
            client_secret: ADMIN_SECRET,
            name: 'Backend',
            app_type: 'non_interactive',
            grant_types: ['client_credentials'],
            management_scopes: ['create:users', 'read:users'],
          },
          {
            client_id: READER_APP,
            client_secret: READER_SECRET,
            name: 'Reader',
            app_type: 'non_interactive',
            grant_types: ['client_credentials'],
            management_scopes: ['read:users'],
          },
        ],
      },
    });
    adminToken = await managementToken(ADMIN_APP, ADMIN_SECRET);
    readerToken = await managementToken(READER_APP, READER_SECRET);
  });
  afterAll(() => server.close());

  it('grants the management scopes asked for, and refuses a wrong secret', async () => {
    const answer = await server.post('/oauth/token', {
      grant_type: 'client_credentials',
      client_id: ADMIN_APP,
      client_secret: ADMIN_SECRET,
      audience: `${server.issuer}api/v2/`,
      scope: 'read:users delete:users',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('read:users');

    const wrong = await server.post('/oauth/token', {
      grant_type: 'client_credentials',
      client_id: ADMIN_APP,
      client_secret: 'not-the-secret-at-all',
      audience: `${server.issuer}api/v2/`,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
  });

  describe('POST /oauth/ro', () => {
    it('exchanges a texted code for an id_token and access token', async () => {
      const code = await server.startCode(LOGIN_APP, { phone_number: '+14155550200' });
      const answer = await server.post('/oauth/ro', {
        client_id: LOGIN_APP,
        connection: 'sms',
        grant_type: 'password',
        username: '+14155550200',
        password: code,
        scope: 'openid',
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        id_token: expect.any(String),
        access_token: expect.any(String),
        token_type: 'bearer',
      });
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(answer.body.id_token as string, jwks, {
        issuer: server.issuer,
        audience: LOGIN_APP,
      });
      expect(payload.sub).toMatch(/^sms\|/);
    });

    it('takes a form-encoded body and an emailed code', async () => {
      const code = await server.startCode(LOGIN_APP, { email: 'legacy.form@example.com' });
      const answer = await server.post(
        '/oauth/ro',
        {
          client_id: LOGIN_APP,
          connection: 'email',
          grant_type: 'password',
          username: 'legacy.form@example.com',
          password: code,
          scope: 'openid',
        },
        { form: true },
      );
      expect(answer.status).toBe(200);
      expect(answer.body.token_type).toBe('bearer');
    });

    it('refuses a wrong code, then a used one', async () => {
      const code = await server.startCode(LOGIN_APP, { phone_number: '+14155550201' });
      const body = {
        client_id: LOGIN_APP,
        connection: 'sms',
        grant_type: 'password',
        username: '+14155550201',
        scope: 'openid',
      };
      const wrong = await server.post('/oauth/ro', {
        ...body,
        password: String((Number(code) + 1) % 1_000_000).padStart(6, '0'),
      });
      expect(wrong.status).toBe(403);
      expect(wrong.body).toEqual({
        error: 'invalid_grant',
        error_description: 'Wrong phone number or verification code.',
      });
      expect((await server.post('/oauth/ro', { ...body, password: code })).status).toBe(200);
      const used = await server.post('/oauth/ro', { ...body, password: code });
      expect(used.status).toBe(403);
      expect(used.body.error).toBe('invalid_grant');
    });

    it('refuses an application that may not log in with codes', async () => {
      const answer = await server.post('/oauth/ro', {
        client_id: ADMIN_APP,
        client_secret: ADMIN_SECRET,
        connection: 'sms',
        grant_type: 'password',
        username: '+14155550202',
        password: '123456',
        scope: 'openid',
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('unauthorized_client');
    });
  });

  describe('POST /api/users (legacy)', () => {
    it('creates the user, texts them a code, and the code logs in through /oauth/ro', async () => {
      const created = await server.post(
        '/api/users',
        { connection: 'sms', phone_number: '+1 (415) 555-0210' },
        { headers: bearer(adminToken) },
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        user_id: expect.stringMatching(/^sms\|/),
        phone_number: '+14155550210',
        phone_verified: false,
        identities: [{ provider: 'sms', connection: 'sms', isSocial: false }],
      });

      const [message] = await server.inbox('+14155550210');
      expect(message?.code).toMatch(/^\d{6}$/);

      const login = await server.post('/oauth/ro', {
        client_id: LOGIN_APP,
        connection: 'sms',
        grant_type: 'password',
        username: '+14155550210',
        password: message?.code,
        scope: 'openid',
      });
      expect(login.status).toBe(200);
      const { payload } = await jwtVerify(
        login.body.id_token as string,
        createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)),
        { issuer: server.issuer, audience: LOGIN_APP },
      );
      expect(payload.sub).toBe(created.body.user_id);
    });

    it('needs a token with create:users', async () => {
      const body = { connection: 'sms', phone_number: '+14155550211' };
      expect((await server.post('/api/users', body)).status).toBe(401);
      expect((await server.post('/api/users', body, { headers: bearer(readerToken) })).status).toBe(403);
      expect(await server.inbox('+14155550211')).toEqual([]);
    });
  });

  describe('/api/v2/users', () => {
    it('creates a user in the Auth0 shape and refuses a duplicate with 409', async () => {
      const created = await server.post(
        '/api/v2/users',
        {
          connection: 'email',
          email: 'Mgmt.User@Example.com',
          email_verified: true,
          user_metadata: { plan: 'pro' },
        },
        { headers: bearer(adminToken) },
      );
      expect(created.status).toBe(201);
      const userId = created.body.user_id as string;
      expect(userId).toMatch(/^email\|[0-9a-f]{24}$/);
      expect(created.body).toMatchObject({
        email: 'mgmt.user@example.com',
        email_verified: true,
        identities: [{ provider: 'email', connection: 'email', user_id: userId.slice(6), isSocial: false }],
        logins_count: 0,
        user_metadata: { plan: 'pro' },
        app_metadata: {},
        blocked: false,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(await server.inbox('mgmt.user@example.com')).toEqual([]);

      const duplicate = await server.post(
        '/api/v2/users',
        { connection: 'email', email: 'mgmt.user@example.com' },
        { headers: bearer(adminToken) },
      );
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ statusCode: 409, message: 'The user already exists.' });
    });

    it('reads a user by id, and answers 404 for an unknown one', async () => {
      const created = await server.post(
        '/api/v2/users',
        { connection: 'sms', phone_number: '+14155550220' },
        { headers: bearer(adminToken) },
      );
      expect(created.status).toBe(201);
      const userId = created.body.user_id as string;

      const read = await server.get(`/api/v2/users/${encodeURIComponent(userId)}`, bearer(readerToken));
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created.body);

      const unknown = await server.get(
        `/api/v2/users/${encodeURIComponent('sms|000000000000000000000000')}`,
        bearer(readerToken),
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ statusCode: 404 });
    });

    it('refuses a bad body with 400', async () => {
      const answer = await server.post(
        '/api/v2/users',
        { connection: 'sms', phone_number: 'not a phone' },
        { headers: bearer(adminToken) },
      );
      expect(answer.status).toBe(400);
      expect(answer.body.statusCode).toBe(400);
    });

    it('answers 401 without a valid token and 403 for a token lacking the scope', async () => {
      const body = { connection: 'email', email: 'nobody@example.com' };
      const missing = await server.post('/api/v2/users', body);
      expect(missing.status).toBe(401);
      expect(missing.body.statusCode).toBe(401);
      expect((await server.get('/api/v2/users/email%7Cabc')).status).toBe(401);
      expect(
        (await server.post('/api/v2/users', body, { headers: bearer('garbage.token.here') })).status,
      ).toBe(401);

      // A user's access token is no Management API token.
      const code = await server.startCode(LOGIN_APP, { email: 'user.token@example.com' });
      const userToken = await server.otpGrant(LOGIN_APP, 'email', 'user.token@example.com', code);
      expect(userToken.status).toBe(200);
      expect(
        (await server.get('/api/v2/users/email%7Cabc', bearer(userToken.body.access_token as string))).status,
      ).toBe(401);

      const lacking = await server.post('/api/v2/users', body, { headers: bearer(readerToken) });
      expect(lacking.status).toBe(403);
      expect(lacking.body.statusCode).toBe(403);
    });
  });
});
