import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { FormBrowser, location } from '../helpers/form-browser.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';
import { testDatabaseUrl, uniqueSchema } from '../helpers/services.ts';
import { dropSchema } from '../helpers/stores.ts';

// Auth0's RBAC over HTTP: with `enforce_policies`, a token for the API carries only the scopes
// asked for that the user holds (through a role or directly), and under an `_authz` dialect the
// `permissions` claim; a role taken away is gone at the next login and at the next refresh. Run
// on SQLite and on the real PostgreSQL.

const APP = 'rbac-spa-client-0001';
const MANAGER = 'rbac-manager-0001';
const SECRET = 'rbac-secret-0123456789abcdef';
const CALLBACK = 'http://app.example/callback';
const ORDERS = 'https://orders.example.com/';
const PLAIN = 'https://plain.example.com/';
const PROFILE = 'https://profile.example.com/';
const ORDER_SCOPES = [
  { value: 'read:orders', description: 'Read orders' },
  { value: 'write:orders', description: 'Write orders' },
];
const ASK = 'openid read:orders write:orders offline_access';

const config = (extra: Record<string, unknown>) => ({
  ...extra,
  connections: [{ name: 'email', strategy: 'email' }],
  apis: [
    {
      identifier: ORDERS,
      name: 'Orders',
      scopes: ORDER_SCOPES,
      enforce_policies: true,
      token_dialect: 'access_token_authz',
    },
    { identifier: PLAIN, name: 'Plain', scopes: ORDER_SCOPES },
    {
      identifier: PROFILE,
      scopes: ORDER_SCOPES,
      enforce_policies: true,
      token_dialect: 'rfc9068_profile_authz',
    },
  ],
  applications: [
    {
      client_id: APP,
      name: 'Shop',
      callbacks: [CALLBACK],
      grant_types: [OTP_GRANT, 'authorization_code', 'refresh_token'],
    },
    {
      client_id: MANAGER,
      client_secret: SECRET,
      name: 'Manager',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
      management_scopes: ['create:users', 'read:users', 'update:users', 'create:roles', 'update:roles'],
    },
  ],
});

const databaseUrl = testDatabaseUrl();
const kinds = [
  { name: 'SQLite', database: undefined },
  ...(databaseUrl ? [{ name: 'PostgreSQL', database: databaseUrl }] : []),
];

describe.each(kinds)('RBAC on $name', ({ database }) => {
  let server: TestServer;
  let token: string;
  let alice: string;
  let readers: string;
  const schema = uniqueSchema('rbac');

  const admin = (method: string, path: string, body?: unknown) =>
    server.request<Record<string, unknown>>(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function login(email: string, audience: string, scope = ASK) {
    const answer = await server.login(APP, { email }, { audience, scope });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body;
  }

  function refresh(refreshToken: string) {
    return server.post<Record<string, string>>('/oauth/token', {
      grant_type: 'refresh_token',
      client_id: APP,
      refresh_token: refreshToken,
    });
  }

  beforeAll(async () => {
    server = await TestServer.start({
      config: config(
        database
          ? {
              database_url: database,
              database_schema: schema,
              master_key: randomBytes(32).toString('base64'),
            }
          : {},
      ),
    });
    token = await server.managementToken(MANAGER, SECRET);
    const created = await admin('POST', '/api/v2/users', { connection: 'email', email: 'alice@example.com' });
    expect(created.status).toBe(201);
    alice = created.body.user_id as string;
    const role = await admin('POST', '/api/v2/roles', { name: 'order readers' });
    expect(role.status).toBe(200);
    readers = role.body.id as string;
    const granted = await admin('POST', `/api/v2/roles/${readers}/permissions`, {
      permissions: [ORDERS, PROFILE].map((api) => ({
        resource_server_identifier: api,
        permission_name: 'read:orders',
      })),
    });
    expect(granted.status).toBe(201);
    expect(
      (await admin('POST', `/api/v2/users/${encodeURIComponent(alice)}/roles`, { roles: [readers] })).status,
    ).toBe(204);
  });
  afterAll(async () => {
    await server?.close();
    if (database) await dropSchema(database, schema);
  });

  it('grants only the permissions a role holds, with them in the token under the authz dialect', async () => {
    const tokens = await login('alice@example.com', ORDERS);
    expect(tokens.scope).toBe('openid read:orders offline_access');
    const claims = decodeJwt(tokens.access_token as string);
    expect(claims).toMatchObject({
      scope: 'openid read:orders offline_access',
      permissions: ['read:orders'],
      azp: APP,
    });
    expect(claims.aud).toEqual([ORDERS, `${server.issuer}userinfo`]);
  });

  it('grants a user without the role neither scope, and an empty permissions claim', async () => {
    const tokens = await login('bob@example.com', ORDERS);
    expect(tokens.scope).toBe('openid offline_access');
    expect(decodeJwt(tokens.access_token as string)).toMatchObject({
      scope: 'openid offline_access',
      permissions: [],
    });
  });

  it('leaves an API without RBAC as it was: every defined scope asked for, no permissions claim', async () => {
    const tokens = await login('bob@example.com', PLAIN);
    expect(tokens.scope).toBe(ASK);
    expect(decodeJwt(tokens.access_token as string)).not.toHaveProperty('permissions');
  });

  it('applies the same policy to the hosted login and its code exchange', async () => {
    const browser = new FormBrowser(server);
    const verifier = randomBytes(32).toString('base64url');
    const params = new URLSearchParams({
      client_id: APP,
      redirect_uri: CALLBACK,
      response_type: 'code',
      audience: ORDERS,
      scope: ASK,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const tx = location(await browser.get(`/authorize?${params}`)).searchParams.get('tx') as string;
    const sent = await browser.form('/u/login', {
      tx,
      connection: 'email',
      email: 'alice@example.com',
      send: 'code',
    });
    const [message] = await server.inbox('alice@example.com');
    const done = await browser.form('/u/login/code', {
      tx: location(sent).searchParams.get('tx') as string,
      code: message?.code as string,
    });
    const code = location(done).searchParams.get('code') as string;
    const exchange = await server.post<Record<string, string>>('/oauth/token', {
      grant_type: 'authorization_code',
      client_id: APP,
      code,
      code_verifier: verifier,
      redirect_uri: CALLBACK,
    });
    expect(exchange.status, JSON.stringify(exchange.body)).toBe(200);
    expect(exchange.body.scope).toBe('openid read:orders offline_access');
    expect(decodeJwt(exchange.body.access_token as string).permissions).toEqual(['read:orders']);
  });

  it('signs the RFC 9068 profile with client_id and jti instead of azp', async () => {
    const claims = decodeJwt((await login('alice@example.com', PROFILE)).access_token as string);
    expect(claims).toMatchObject({
      client_id: APP,
      scope: 'openid read:orders offline_access',
      permissions: ['read:orders'],
    });
    expect(claims.jti).toEqual(expect.any(String));
    expect(claims).not.toHaveProperty('azp');
  });

  it('takes a removed role away at the next refresh and login, and gives a new permission at refresh', async () => {
    const before = await login('alice@example.com', ORDERS);
    const user = encodeURIComponent(alice);
    expect((await admin('DELETE', `/api/v2/users/${user}/roles`, { roles: [readers] })).status).toBe(204);

    const refreshed = await refresh(before.refresh_token as string);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.scope).toBe('openid offline_access');
    expect(decodeJwt(refreshed.body.access_token as string).permissions).toEqual([]);
    expect((await login('alice@example.com', ORDERS)).scope).toBe('openid offline_access');

    // Given directly now: the refresh token still holds what was asked, so the next refresh has it.
    const given = await admin('POST', `/api/v2/users/${user}/permissions`, {
      permissions: [{ resource_server_identifier: ORDERS, permission_name: 'write:orders' }],
    });
    expect(given.status).toBe(201);
    const again = await refresh(refreshed.body.refresh_token as string);
    expect(again.body.scope).toBe('openid write:orders offline_access');
    expect(decodeJwt(again.body.access_token as string).permissions).toEqual(['write:orders']);
  });
});

describe('RBAC settings', () => {
  it('refuses a dialect that adds permissions without enforce_policies, saying why', () => {
    expect(() =>
      validateConfig({ apis: [{ identifier: PLAIN, token_dialect: 'access_token_authz' }] }),
    ).toThrow(/apis\.0\.token_dialect: access_token_authz .*needs enforce_policies: true/);
    expect(() => validateConfig({ apis: [{ identifier: PLAIN, token_dialect: 'jwt' }] })).toThrow(
      /token_dialect/,
    );
    expect(validateConfig({ apis: [{ identifier: PLAIN }] }).apis[0]).toMatchObject({
      enforce_policies: false,
      token_dialect: 'access_token',
    });
  });
});
