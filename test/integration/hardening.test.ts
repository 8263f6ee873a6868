import { statSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { FakeProvider } from '../contract/sms-fake-provider.ts';
import { TEST_CHALLENGE } from '../helpers/links.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

// Defences that a security review asked for, each shown from the outside.

const PUBLIC = 'hardening-public-0001';
const MANAGEMENT = 'hardening-backend-01';
const MANAGEMENT_SECRET = 'hardening-backend-secret-0123456789';
const CALLBACK = 'http://localhost:3000/callback';

describe('hardening', () => {
  let server: TestServer;
  let twilio: FakeProvider;

  beforeAll(async () => {
    twilio = await FakeProvider.start();
    server = await TestServer.start({
      config: {
        applications: [
          {
            client_id: PUBLIC,
            name: 'Public',
            callbacks: [CALLBACK],
            grant_types: [OTP_GRANT, 'authorization_code', 'refresh_token'],
          },
          {
            client_id: 'hardening-otp-only-01',
            name: 'OTP only',
            callbacks: [CALLBACK],
            grant_types: [OTP_GRANT],
          },
          {
            client_id: MANAGEMENT,
            client_secret: MANAGEMENT_SECRET,
            name: 'Backend',
            app_type: 'non_interactive',
            grant_types: ['client_credentials'],
            management_scopes: ['create:users', 'read:users'],
          },
        ],
        apis: [
          {
            identifier: 'https://api.example.com/',
            scopes: [{ value: 'read:orders', description: 'Read orders' }, { value: 'write:orders' }],
          },
        ],
        delivery: { send_timeout_ms: 500, max_wait_ms: 1000, retry_base_ms: 100, poll_ms: 100 },
        connections: [
          { name: 'email', strategy: 'email' },
          twilio.twilioConnection('hardening-twilio-token'),
        ],
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await twilio?.close();
  });

  const loginByCode = (email: string, extra: Record<string, string>) =>
    server.login(PUBLIC, { email }, extra);

  describe('Management API tokens', () => {
    it("refuses the Management API as a user login's audience", async () => {
      const answer = await loginByCode('audience@example.com', {
        audience: `${server.issuer}api/v2/`,
        scope: 'openid create:users',
      });
      expect(answer.status).toBe(403);
      expect(answer.body.error).toBe('access_denied');
    });

    it("does not take a user's API access token as a Management API token", async () => {
      const login = await loginByCode('api-user@example.com', {
        audience: 'https://api.example.com/',
        scope: 'openid create:users read:users',
      });
      expect(login.status).toBe(200);
      const answer = await server.post(
        '/api/v2/users',
        { connection: 'email', email: 'made-by-a-user@example.com' },
        { headers: { authorization: `Bearer ${login.body.access_token}` } },
      );
      expect(answer.status).toBe(401);
    });

    it('grants with an API audience only the scopes that API defines', async () => {
      const login = await loginByCode('api-scopes@example.com', {
        audience: 'https://api.example.com/',
        scope: 'openid email read:orders delete:everything create:users',
      });
      expect(login.status).toBe(200);
      expect(login.body.scope).toBe('openid email read:orders');
      expect(decodeJwt(login.body.access_token as string).scope).toBe('openid email read:orders');
    });

    it('grants no API scope to a token for /userinfo or for no audience', async () => {
      for (const audience of [`${server.issuer}userinfo`, undefined]) {
        const login = await loginByCode(`no-api-${audience ? 'userinfo' : 'none'}@example.com`, {
          ...(audience && { audience }),
          scope: 'openid read:orders',
        });
        expect(login.status).toBe(200);
        expect(login.body.scope).toBe('openid');
      }
    });

    it.each(['read orders', 'read"orders', ''])('refuses an API scope named %j', (value) => {
      expect(() =>
        validateConfig({ apis: [{ identifier: 'https://api.example.com/', scopes: [{ value }] }] }),
      ).toThrow(/apis\.0\.scopes\.0\.value/);
    });

    it('refuses a config that declares the Management API as an API', () => {
      expect(() =>
        validateConfig({
          issuer: 'https://login.example.com/',
          apis: [{ identifier: 'https://login.example.com/api/v2/' }],
        }),
      ).toThrow(/apis\.0\.identifier: .*Management API/);
    });

    it('still accepts a client_credentials token', async () => {
      const token = await server.post('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: MANAGEMENT,
        client_secret: MANAGEMENT_SECRET,
        audience: `${server.issuer}api/v2/`,
      });
      expect(token.status).toBe(200);
      const created = await server.post(
        '/api/v2/users',
        { connection: 'email', email: 'made-by-the-backend@example.com' },
        { headers: { authorization: `Bearer ${token.body.access_token}` } },
      );
      expect(created.status).toBe(201);
    });
  });

  it('keeps a session whose refresh token is sent twice at once, every time, yet refuses a late replay', async () => {
    const refresh = (token: string) =>
      server.post<Record<string, string>>('/oauth/token', {
        grant_type: 'refresh_token',
        client_id: PUBLIC,
        refresh_token: token,
      });
    for (let trial = 0; trial < 10; trial++) {
      const login = await loginByCode(`race${trial}@example.com`, { scope: 'openid offline_access' });
      const token = login.body.refresh_token as string;
      const answers = await Promise.all([refresh(token), refresh(token)]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      for (const answer of answers) {
        expect((await refresh(answer.body.refresh_token as string)).status).toBe(200);
      }
      server.clock.advance(6000);
      expect((await refresh(token)).status).toBe(403);
    }
  });

  it('refuses at start a link the application could never complete', async () => {
    const answer = await server.post('/passwordless/start', {
      client_id: 'hardening-otp-only-01',
      connection: 'email',
      email: 'dead-link@example.com',
      send: 'link',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('bad.authParams');
  });

  it('follows the parameters a link was sent with, not an edited copy of them', async () => {
    const email = 'edited@example.com';
    const start = await server.post('/passwordless/start', {
      client_id: PUBLIC,
      connection: 'email',
      email,
      send: 'link',
      authParams: {
        redirect_uri: CALLBACK,
        response_type: 'code',
        state: 'original',
        code_challenge: TEST_CHALLENGE,
        code_challenge_method: 'S256',
      },
    });
    const cookie = start.headers
      .getSetCookie()
      .find((c) => c.startsWith('tessera_link='))
      ?.split(';')[0] as string;
    const [message] = await server.inbox(email);
    const edited = new URL(message?.link as string);
    edited.searchParams.set('state', 'edited');
    const opened = await server.get(`${edited.pathname}${edited.search}`, { cookie });
    expect(opened.status).toBe(302);
    expect(new URL(opened.headers.get('location') as string).searchParams.get('state')).toBe('original');
  });

  it('does not log a browser in by a typed code in a URL it did not ask for', async () => {
    const email = 'typed@example.com';
    const code = await server.startCode(PUBLIC, { email });
    const query = new URLSearchParams({
      client_id: PUBLIC,
      connection: 'email',
      email,
      verification_code: code,
      redirect_uri: CALLBACK,
      response_type: 'code',
    });
    const opened = await server.get(`/passwordless/verify_redirect?${query}`);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('location')).toBeNull();
    // The code was not used up: the app can still log in with it.
    expect((await server.otpGrant(PUBLIC, 'email', email, code)).status).toBe(200);
  });

  it('keeps the data directory private and no code in the outbox in clear', async () => {
    twilio.willAnswer('hang');
    const phone = '+14155550177';
    const pending = server.post('/passwordless/start', {
      client_id: PUBLIC,
      connection: 'sms',
      phone_number: phone,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const code = /\b(\d{6})\b/.exec(
      new URLSearchParams(twilio.requests[0]?.body).get('Body') ?? '',
    )?.[1] as string;
    expect(code).toMatch(/^\d{6}$/);
    const file = join(server.dataDir, 'tessera.db');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const db = new SQLite(file, { readonly: true });
    try {
      const bodies = db.prepare('select body from outbox_messages').all() as { body: string | null }[];
      expect(bodies.length).toBeGreaterThan(0);
      for (const { body } of bodies) expect(body ?? '').not.toContain(code);
    } finally {
      db.close();
    }
    twilio.willAnswer({ status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef' } });
    await pending;
  });
});

describe('the dev inbox on a public issuer', () => {
  it('stays off without an explicit dev_inbox, even in development', async () => {
    const server = await TestServer.start({ config: { issuer: 'https://login.example.com/' } });
    try {
      expect((await server.get('/dev/inbox/messages')).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
