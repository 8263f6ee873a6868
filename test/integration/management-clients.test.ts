import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  CONFIGURATION_SCOPES,
  capturedLogger,
  MANAGER_SECRET,
  managementApp,
  managementError,
} from '../helpers/management.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

// /api/v2/clients as Auth0 answers it, over the stored applications: a client made through the
// API logs users in at once, its secret is shown once (at create and at rotate) and never again.

const MANAGER = 'client-manager-0001';
const READER = 'client-reader-0001';
const LIMITED = 'client-limited-0001';
const KEYS = 'client-keys-only-0001';
const DECLARED = 'client-declared-0001';

let server: TestServer;
let manager = '';
let reader = '';
let limited = '';
/** A user's access token: never a Management token, whatever it carries. */
let userToken = '';
const lines: string[] = [];
const answers: string[] = [];
/** Every secret an answer showed, to look for in every later answer and in the log. */
const secrets: string[] = [];

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
async function call(method: Method, path: string, body?: unknown, token = manager) {
  const answer = await api(server, method, path, token, body);
  answers.push(JSON.stringify(answer.body));
  return answer;
}

async function create(body: Record<string, unknown>) {
  const answer = await call('POST', '/api/v2/clients', body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  if (typeof answer.body.client_secret === 'string') secrets.push(answer.body.client_secret);
  return answer.body;
}

beforeAll(async () => {
  server = await TestServer.start({
    logger: capturedLogger(lines),
    config: {
      connections: [{ name: 'email', strategy: 'email' }],
      applications: [
        { client_id: DECLARED, name: 'Declared', grant_types: [OTP_GRANT] },
        managementApp(MANAGER, CONFIGURATION_SCOPES),
        managementApp(READER, ['read:clients']),
        managementApp(LIMITED, ['create:clients', 'update:clients', 'read:clients']),
        managementApp(KEYS, ['update:client_keys']),
      ],
    },
  });
  const tokens = await Promise.all(
    [MANAGER, READER, LIMITED].map((id) => server.managementToken(id, MANAGER_SECRET)),
  );
  [manager, reader, limited] = tokens as [string, string, string];
  userToken = (await server.login(DECLARED, { email: 'acl.user@example.com' }, { scope: 'openid' })).body
    .access_token as string;
});
afterAll(() => server.close());

describe('tokens and scopes', () => {
  const routes: [Method, string, string, unknown?][] = [
    ['GET', '/api/v2/clients', 'read:clients'],
    ['GET', '/api/v2/clients/ID', 'read:clients'],
    ['POST', '/api/v2/clients', 'create:clients', { name: 'acl-new' }],
    ['PATCH', '/api/v2/clients/ID', 'update:clients', { name: 'changed' }],
    ['DELETE', '/api/v2/clients/ID', 'delete:clients'],
    ['POST', '/api/v2/clients/ID/rotate-secret', 'update:client_keys'],
  ];
  it.each(routes)('%s %s: 401 without a token, 403 without %s', async (method, path, scope, body) => {
    const target = await create({ name: 'acl-target', app_type: 'regular_web' });
    const url = path.replace('ID', target.client_id as string);
    managementError(await api(server, method, url, undefined, body), 401);
    managementError(await api(server, method, url, 'not.a.token', body), 401);
    managementError(await api(server, method, url, userToken, body), 401);
    if (scope !== 'read:clients') {
      const refused = managementError(await api(server, method, url, reader, body), 403);
      expect(refused.message).toContain(scope);
    }
    const { client_secret: _, ...unchanged } = target;
    expect((await call('GET', `/api/v2/clients/${target.client_id}`)).body).toEqual(unchanged);
  });
});

describe('a client made through the API', () => {
  it('gets a generated client_id and secret, shown at create only, and logs a user in at once', async () => {
    const created = await create({
      name: 'Web App',
      app_type: 'regular_web',
      callbacks: ['https://web.example.com/callback'],
      grant_types: [OTP_GRANT, 'refresh_token'],
    });
    expect(created.client_id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(created.client_secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(created).toMatchObject({
      token_endpoint_auth_method: 'client_secret_post',
      app_type: 'regular_web',
    });
    const clientId = created.client_id as string;
    const secret = created.client_secret as string;

    const read = await call('GET', `/api/v2/clients/${clientId}`, undefined, reader);
    expect(read.body).not.toHaveProperty('client_secret');
    expect(read.body).toMatchObject({ client_id: clientId, callbacks: ['https://web.example.com/callback'] });

    // A confidential client: the start and the grant need its secret.
    const email = 'api.client@example.com';
    const refused = await server.post('/passwordless/start', {
      client_id: clientId,
      connection: 'email',
      email,
      send: 'code',
    });
    expect(refused.status).toBe(401);
    const started = await server.post('/passwordless/start', {
      client_id: clientId,
      client_secret: secret,
      connection: 'email',
      email,
      send: 'code',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const [message] = await server.inbox(email);
    const tokens = await server.otpGrant(clientId, 'email', email, message?.code as string, {
      client_secret: secret,
      scope: 'openid offline_access',
    });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body.refresh_token).toBeTruthy();

    // Rotated: the new secret is shown once, the old one stops working at once.
    const rotated = await call('POST', `/api/v2/clients/${clientId}/rotate-secret`);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const fresh = rotated.body.client_secret as string;
    secrets.push(fresh);
    expect(fresh).not.toBe(secret);
    const refresh = (clientSecret: string) =>
      server.post('/oauth/token', {
        grant_type: 'refresh_token',
        client_id: clientId,
        client_secret: clientSecret,
        refresh_token: tokens.body.refresh_token,
      });
    expect((await refresh(secret)).status).toBe(401);
    const refreshed = await refresh(fresh);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);

    // Deleted: its refresh tokens stop working.
    expect((await call('DELETE', `/api/v2/clients/${clientId}`)).status).toBe(204);
    managementError(await call('GET', `/api/v2/clients/${clientId}`), 404);
    expect((await refresh(fresh)).status).toBe(401);
    const stillThere = await server.server.ctx.store.findRefreshToken('x');
    expect(stillThere).toBeUndefined();
  });

  it('is public by default for a spa (no secret, token_endpoint_auth_method none), and cannot be rotated', async () => {
    const spa = await create({ name: 'SPA', app_type: 'spa', allowed_origins: ['https://spa.example.com'] });
    expect(spa).not.toHaveProperty('client_secret');
    expect(spa.token_endpoint_auth_method).toBe('none');
    managementError(await call('POST', `/api/v2/clients/${spa.client_id}/rotate-secret`), 400);
    const tokens = await server.login(spa.client_id as string, { email: 'spa.user@example.com' });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  });

  it('is changed by PATCH (URLs, grants, lifetimes, leeway, branding), also in Auth0 nested form', async () => {
    const { client_id } = await create({ name: 'Patched', app_type: 'spa' });
    const patched = await call('PATCH', `/api/v2/clients/${client_id}`, {
      callbacks: ['https://a.example.com/cb'],
      allowed_origins: ['https://a.example.com'],
      web_origins: ['https://a.example.com'],
      allowed_logout_urls: ['https://a.example.com/'],
      grant_types: [OTP_GRANT, 'authorization_code'],
      access_token_lifetime: 600,
      logo_uri: 'https://a.example.com/logo.png',
      primary_color: '#123abc',
      jwt_configuration: { lifetime_in_seconds: 1200, alg: 'RS256' },
      refresh_token: { leeway: 30, token_lifetime: 7200 },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'Patched',
      callbacks: ['https://a.example.com/cb'],
      access_token_lifetime: 600,
      id_token_lifetime: 1200,
      refresh_token_leeway: 30,
      refresh_token_lifetime: 7200,
      primary_color: '#123abc',
      jwt_configuration: { lifetime_in_seconds: 1200, alg: 'RS256' },
      refresh_token: { leeway: 30, token_lifetime: 7200 },
    });
    // What a GET answers can be sent back unchanged.
    const { client_id: _, ...echo } = patched.body;
    expect((await call('PATCH', `/api/v2/clients/${client_id}`, echo)).status).toBe(200);
  });
});

describe('management_scopes', () => {
  it('change only with update:client_grants, and only to scopes the token carries', async () => {
    const body = { name: 'Machine', app_type: 'non_interactive', grant_types: ['client_credentials'] };
    const withScopes = { ...body, management_scopes: ['read:clients'] };
    managementError(await call('POST', '/api/v2/clients', withScopes, limited), 403);
    const plain = (await call('POST', '/api/v2/clients', body, limited)).body;
    secrets.push(plain.client_secret as string);
    managementError(
      await call(
        'PATCH',
        `/api/v2/clients/${plain.client_id}`,
        { management_scopes: ['read:clients'] },
        limited,
      ),
      403,
    );
    managementError(
      await call('PATCH', `/api/v2/clients/${plain.client_id}`, { management_scopes: ['read:users'] }),
      403,
    );
    const granted = await call('PATCH', `/api/v2/clients/${plain.client_id}`, {
      management_scopes: ['read:clients'],
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    const token = await server.managementToken(plain.client_id as string, plain.client_secret as string);
    expect((await call('GET', '/api/v2/clients', undefined, token)).status).toBe(200);
    managementError(await call('POST', '/api/v2/clients', body, token), 403);
  });

  it('stop reaching the Management API as soon as their client loses a scope or is deleted', async () => {
    const machine = await create({
      name: 'Short-lived machine',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
      management_scopes: ['read:clients', 'read:connections'],
    });
    const token = await server.managementToken(machine.client_id as string, machine.client_secret as string);
    expect((await call('GET', '/api/v2/connections', undefined, token)).status).toBe(200);
    const narrowed = await call('PATCH', `/api/v2/clients/${machine.client_id}`, {
      management_scopes: ['read:clients'],
    });
    expect(narrowed.status, JSON.stringify(narrowed.body)).toBe(200);
    managementError(await call('GET', '/api/v2/connections', undefined, token), 403);
    expect((await call('GET', '/api/v2/clients', undefined, token)).status).toBe(200);
    expect((await call('DELETE', `/api/v2/clients/${machine.client_id}`)).status).toBe(204);
    managementError(await call('GET', '/api/v2/clients', undefined, token), 401);
  });

  it("cannot be taken by rotating a stronger client's secret with update:client_keys alone", async () => {
    const strong = await create({
      name: 'Strong machine',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
      management_scopes: ['read:clients', 'update:client_grants'],
    });
    const keysOnly = await server.managementToken(KEYS, MANAGER_SECRET);
    const refused = managementError(
      await call('POST', `/api/v2/clients/${strong.client_id}/rotate-secret`, undefined, keysOnly),
      403,
    );
    expect(JSON.stringify(refused)).not.toContain('client_secret');
    // The old secret still works: nothing was rotated.
    await server.managementToken(strong.client_id as string, strong.client_secret as string);
    // A client without Management API scopes is rotated with update:client_keys alone.
    const plain = await create({ name: 'Plain web', app_type: 'regular_web', callbacks: [] });
    const rotated = await call(
      'POST',
      `/api/v2/clients/${plain.client_id}/rotate-secret`,
      undefined,
      keysOnly,
    );
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    secrets.push(rotated.body.client_secret as string);
  });
});

describe('bad input', () => {
  const cases: [string, unknown][] = [
    ['a name of the wrong type', { name: 7 }],
    ['no name', { app_type: 'spa' }],
    ['an unknown app_type', { name: 'x', app_type: 'mainframe' }],
    ['an unknown member', { name: 'x', addons: {} }],
    ['a client_id', { name: 'x', client_id: 'chosen-by-me-01' }],
    ['a client_secret', { name: 'x', client_secret: 'chosen-by-me-0123456789' }],
    ['a callback that is not an absolute URL', { name: 'x', callbacks: ['/callback'] }],
    ['a javascript: callback', { name: 'x', callbacks: ['javascript:alert(1)'] }],
    ['an origin with a path', { name: 'x', allowed_origins: ['https://a.example.com/path'] }],
    ['a hostile name', { name: `<script>${'x'.repeat(300)}</script>` }],
    ['a name with control characters', { name: 'evil\u0007' }],
    [
      'too many callbacks',
      { name: 'x', callbacks: Array.from({ length: 101 }, (_, i) => `https://a.example.com/${i}`) },
    ],
    ['a lifetime of the wrong type', { name: 'x', id_token_lifetime: '3600' }],
    ['a lifetime out of range', { name: 'x', access_token_lifetime: 1 }],
    ['an unknown nested member', { name: 'x', jwt_configuration: { scopes: {} } }],
    ['an unsupported rotation', { name: 'x', refresh_token: { rotation_type: 'non-rotating' } }],
    ['an unknown auth method', { name: 'x', token_endpoint_auth_method: 'private_key_jwt' }],
    ['a hostile member name', { name: 'x', 'a"b': 1 }],
  ];
  it.each(cases)('refuses %s with 400 and the Management error body', async (_what, body) => {
    const error = managementError(await call('POST', '/api/v2/clients', body), 400);
    expect(JSON.stringify(error)).not.toContain('<script>');
  });

  it('refuses a PATCH that would break the client, changing nothing', async () => {
    const { client_id } = await create({
      name: 'Kept',
      app_type: 'spa',
      callbacks: ['https://k.example.com/cb'],
    });
    managementError(await call('PATCH', `/api/v2/clients/${client_id}`, { callbacks: ['not a url'] }), 400);
    managementError(
      await call('PATCH', `/api/v2/clients/${client_id}`, { client_id: 'another-id-000' }),
      400,
    );
    managementError(
      await call('PATCH', `/api/v2/clients/${client_id}`, {
        token_endpoint_auth_method: 'client_secret_post',
      }),
      400,
    );
    expect((await call('GET', `/api/v2/clients/${client_id}`)).body.callbacks).toEqual([
      'https://k.example.com/cb',
    ]);
  });

  it('refuses bad paging with 400', async () => {
    for (const query of [
      'per_page=0',
      'per_page=500',
      'page=-2',
      'include_totals=1',
      `app_type=${'a'.repeat(300)}`,
    ])
      managementError(await call('GET', `/api/v2/clients?${query}`), 400);
  });
});

describe('paging and filters', () => {
  it('pages by offset with include_totals, and filters by app_type', async () => {
    for (let i = 0; i < 3; i++) await create({ name: `Native ${i}`, app_type: 'native' });
    const all = (await call('GET', '/api/v2/clients?per_page=100')).body as unknown as {
      client_id: string;
    }[];
    const page = (await call('GET', '/api/v2/clients?per_page=2&page=1&include_totals=true')).body;
    expect(page).toMatchObject({ start: 2, limit: 2, length: 2, total: all.length });
    expect((page.clients as { client_id: string }[]).map((c) => c.client_id)).toEqual(
      all.slice(2, 4).map((c) => c.client_id),
    );
    const natives = (await call('GET', '/api/v2/clients?app_type=native,regular_web')).body as unknown as {
      app_type: string;
    }[];
    expect(natives.length).toBeGreaterThanOrEqual(3);
    expect(new Set(natives.map((c) => c.app_type))).toEqual(new Set(['native', 'regular_web']));
  });
});

describe('a client the config file declares', () => {
  it('cannot be changed, rotated or deleted through the API (409 naming the file key)', async () => {
    const refused = managementError(
      await call('PATCH', `/api/v2/clients/${DECLARED}`, { name: 'Mine' }),
      409,
    );
    expect(refused.message).toContain('applications[0]');
    managementError(await call('DELETE', `/api/v2/clients/${DECLARED}`), 409);
    managementError(await call('POST', `/api/v2/clients/${MANAGER}/rotate-secret`), 409);
    expect((await call('GET', `/api/v2/clients/${DECLARED}`)).body.name).toBe('Declared');
  });
});

describe('secrets', () => {
  it('appear in no answer but the one that made them, and never in the log', async () => {
    expect(secrets.length).toBeGreaterThan(5);
    const log = lines.join('');
    expect(log).toContain('/api/v2/clients');
    for (const secret of [...secrets, MANAGER_SECRET]) {
      expect(answers.filter((a) => a.includes(secret)).length).toBeLessThanOrEqual(1);
      expect(log).not.toContain(secret);
    }
    const listed = JSON.stringify((await call('GET', '/api/v2/clients?per_page=100')).body);
    for (const secret of secrets) expect(listed).not.toContain(secret);
  });
});
