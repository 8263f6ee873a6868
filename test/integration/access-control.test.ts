import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../helpers/error-body.ts';
import { CONFIGURATION_SCOPES } from '../helpers/management.ts';
import { type Answer, OTP_GRANT, TestServer } from '../helpers/server.ts';

// Every route the running app serves is either public (with a reason) or demands a token. The list
// comes from the router itself, so a new route that is in neither table fails this file until
// someone decides, and writes down, which it is.

const USER_APP = 'acl-user-app-0001';
const MANAGER = 'acl-manager-0001';
const READER = 'acl-reader-0001';
const WRITER = 'acl-writer-0001';
const SECRET = 'acl-secret-0123456789abcdef';
const API = 'https://api.example.com/';
const LIFETIME = 600;

const managementApp = (client_id: string, management_scopes: string[]) => ({
  client_id,
  client_secret: SECRET,
  name: client_id,
  app_type: 'non_interactive',
  grant_types: ['client_credentials'],
  management_scopes,
  access_token_lifetime: LIFETIME,
});

const config = {
  apis: [{ identifier: API, scopes: [{ value: 'read:things' }] }],
  // Every route logs the same users in again: the per-identifier start limit is not under test here.
  connections: [
    { name: 'email', strategy: 'email', options: { start_limits: { per_identifier: { points: 1000 } } } },
  ],
  applications: [
    {
      client_id: USER_APP,
      name: 'User App',
      callbacks: ['https://app.example.com/callback'],
      grant_types: [OTP_GRANT],
      access_token_lifetime: LIFETIME,
    },
    managementApp(MANAGER, [
      'create:users',
      'read:users',
      'update:users',
      'delete:users',
      'read:sessions',
      'delete:sessions',
      'read:refresh_tokens',
      'delete:refresh_tokens',
      'read:logs',
      ...CONFIGURATION_SCOPES,
      'read:roles',
      'create:roles',
      'update:roles',
      'delete:roles',
      'read:resource_servers',
    ]),
    managementApp(READER, ['read:users']),
    managementApp(WRITER, ['create:users']),
  ],
};

/** Routes anyone may call, each with why. `METHOD path` as the router prints it. */
const PUBLIC: Record<string, string> = {
  'GET /.well-known/openid-configuration': 'OIDC discovery is public by definition',
  'GET /.well-known/jwks.json': 'public keys, so clients can verify tokens',
  'GET /openapi.json': 'the API description; no data',
  'GET /api/v2/openapi.json': 'the Management API description; no data',
  'GET /api/v2/docs': 'the Management API reference page (Swagger UI); no data',
  'GET /api/v2/docs/': 'the same page',
  'GET /api/v2/docs/static/index.html': 'the same page',
  'GET /api/v2/docs/static/swagger-initializer.js': "the page's start script, naming the document's URL",
  'GET /api/v2/docs/*': "Swagger UI's own files (its package's static folder, nothing else)",
  'GET /api/v2/docs/json': 'the Management API description again, as the page reads it',
  'GET /api/v2/docs/yaml': 'the same, in YAML',
  'GET /healthz': 'liveness probe for load balancers',
  'GET /readyz': 'readiness probe for load balancers; says only which dependency is down, never why',
  'GET /metrics':
    'Prometheus scrape of counts only (no identifiers); metrics.token puts it behind a bearer token',
  'OPTIONS *': 'CORS preflight; carries no credentials and does nothing',
  'POST /passwordless/start': 'starts a login; the app is identified by client_id (and secret)',
  'POST /passwordless/verify': 'checks a code the user holds; the code is the credential',
  'GET /passwordless/verify_redirect': 'a magic link; the link secret is the credential',
  'POST /passwordless/verify_redirect': 'the link confirmation form; link secret + anti-forgery cookie',
  'POST /oauth/token': 'token endpoint; authenticates the client and the grant itself',
  'POST /oauth/ro': 'legacy token endpoint; authenticates the client and the code itself',
  'POST /oauth/revoke': 'revocation; authenticates the client itself (RFC 7009)',
  'GET /authorize': 'OIDC authorization endpoint; starts a browser login',
  'POST /authorize': 'the same as a form post (OIDC)',
  'POST /co/authenticate': 'auth0.js cross-origin login; the code is the credential',
  'GET /u/login': 'hosted login page, bound to a login transaction',
  'POST /u/login': 'hosted login page: identifier step',
  'GET /u/login/code': 'hosted login page: enter-the-code step',
  'POST /u/login/code': 'hosted login page: the code is the credential',
  'GET /u/login/link': 'hosted login page: check-your-email step',
  'POST /u/login/resend': 'hosted login page: resend, rate-limited',
  'GET /ui/style.css': 'static stylesheet',
  'GET /ui/brand.css': 'an application brand stylesheet; public branding only',
  'GET /ui/login.js': 'static script of the hosted pages (one route per file in src/ui/assets)',
  'GET /ui/pow.js': 'static script of the hosted pages',
  'GET /ui/co-verify.js': 'static script of the hosted pages',
  'GET /ui/web-message.js': 'static script of the hosted pages',
  'GET /v2/logout': 'logout ends the caller’s own session only',
  'GET /callback': 'dev-only landing page for the Default App’s callback',
  'GET /dev/inbox': 'dev inbox page; registered only in development/test',
  'GET /dev/inbox/messages': 'dev inbox JSON; registered only in development/test',
};

/**
 * Routes that need a bearer token, with the Management API scope each needs (none for userinfo),
 * the body to send, the path to call (default: the route with `:id` the existing user) and what a
 * good token gets (default: any success; 404 where the id names nothing, which still proves the
 * token passed).
 */
interface Protected {
  scope?: string;
  body?: () => Record<string, unknown>;
  path?: () => Promise<string> | string;
  /** The `:id` to call it with, when not the existing user's. */
  id?: () => string;
  answers?: number;
}

const permission = () => ({
  permissions: [{ resource_server_identifier: API, permission_name: 'read:things' }],
});
let roleCount = 0;
const rolePath =
  (rest = '') =>
  () =>
    `/api/v2/roles/${existingRoleId}${rest}`;

const PROTECTED: Record<string, Protected> = {
  'POST /api/v2/users': { scope: 'create:users', body: () => ({ connection: 'email', email: victim }) },
  'GET /api/v2/users': { scope: 'read:users' },
  'GET /api/v2/users-by-email': {
    scope: 'read:users',
    path: async () => '/api/v2/users-by-email?email=a%40b.co',
  },
  'GET /api/v2/users/:id': { scope: 'read:users' },
  'PATCH /api/v2/users/:id': { scope: 'update:users', body: () => ({ name: 'Renamed' }) },
  // Each call deletes a user of its own, so that the first good call leaves the others theirs.
  'DELETE /api/v2/users/:id': { scope: 'delete:users', path: throwawayUser },
  'GET /api/v2/users/:id/sessions': { scope: 'read:sessions' },
  'DELETE /api/v2/users/:id/sessions': { scope: 'delete:sessions' },
  'GET /api/v2/users/:id/refresh-tokens': { scope: 'read:refresh_tokens' },
  'DELETE /api/v2/users/:id/refresh-tokens': { scope: 'delete:refresh_tokens' },
  'GET /api/v2/sessions/:id': { scope: 'read:sessions', answers: 404 },
  'DELETE /api/v2/sessions/:id': { scope: 'delete:sessions' },
  'GET /api/v2/refresh-tokens/:id': { scope: 'read:refresh_tokens', answers: 404 },
  'DELETE /api/v2/refresh-tokens/:id': { scope: 'delete:refresh_tokens' },
  'GET /api/v2/logs': { scope: 'read:logs' },
  // A user id is no log id: past the token, the answer is 404.
  'GET /api/v2/logs/:id': { scope: 'read:logs', answers: 404 },
  'GET /api/v2/users/:id/logs': { scope: 'read:logs' },
  'GET /api/v2/connections': { scope: 'read:connections' },
  'POST /api/v2/connections': {
    scope: 'create:connections',
    body: () => ({ name: 'acl-made', strategy: 'email' }),
  },
  'GET /api/v2/connections/:id': { scope: 'read:connections', id: () => made.connection },
  'PATCH /api/v2/connections/:id': {
    scope: 'update:connections',
    body: () => ({ enabled_clients: ['*'] }),
    id: () => made.connection,
  },
  'DELETE /api/v2/connections/:id': { scope: 'delete:connections', id: () => made.doomedConnection },
  'POST /api/v2/connections/:id/test': {
    scope: 'update:connections',
    body: () => ({ to: 'acl.test@example.com' }),
    id: () => made.connection,
  },
  'GET /api/v2/clients': { scope: 'read:clients' },
  'POST /api/v2/clients': { scope: 'create:clients', body: () => ({ name: 'ACL made' }) },
  'GET /api/v2/clients/:id': { scope: 'read:clients', id: () => made.client },
  'PATCH /api/v2/clients/:id': {
    scope: 'update:clients',
    body: () => ({ name: 'ACL patched' }),
    id: () => made.client,
  },
  'DELETE /api/v2/clients/:id': { scope: 'delete:clients', id: () => made.doomedClient },
  'POST /api/v2/clients/:id/rotate-secret': { scope: 'update:client_keys', id: () => made.client },
  'POST /api/users': { scope: 'create:users', body: () => ({ connection: 'email', email: victim }) },
  'GET /api/v2/roles': { scope: 'read:roles' },
  'POST /api/v2/roles': { scope: 'create:roles', body: () => ({ name: `acl role ${++roleCount}` }) },
  'GET /api/v2/roles/:id': { scope: 'read:roles', path: rolePath() },
  'PATCH /api/v2/roles/:id': { scope: 'update:roles', path: rolePath(), body: () => ({ description: 'x' }) },
  'DELETE /api/v2/roles/:id': {
    scope: 'delete:roles',
    // Its own role each time, so that the other routes keep theirs.
    path: async () => `/api/v2/roles/${await newRole()}`,
  },
  'GET /api/v2/roles/:id/permissions': { scope: 'read:roles', path: rolePath('/permissions') },
  'POST /api/v2/roles/:id/permissions': {
    scope: 'update:roles',
    path: rolePath('/permissions'),
    body: permission,
  },
  'DELETE /api/v2/roles/:id/permissions': {
    scope: 'update:roles',
    path: rolePath('/permissions'),
    body: permission,
  },
  'GET /api/v2/roles/:id/users': { scope: 'read:users', path: rolePath('/users') },
  'POST /api/v2/roles/:id/users': {
    scope: 'update:roles',
    path: rolePath('/users'),
    body: () => ({ users: [existingUserId] }),
  },
  'GET /api/v2/users/:id/roles': { scope: 'read:users' },
  'POST /api/v2/users/:id/roles': { scope: 'update:users', body: () => ({ roles: [existingRoleId] }) },
  'DELETE /api/v2/users/:id/roles': { scope: 'update:users', body: () => ({ roles: [existingRoleId] }) },
  'GET /api/v2/users/:id/permissions': { scope: 'read:users' },
  'POST /api/v2/users/:id/permissions': { scope: 'update:users', body: permission },
  'DELETE /api/v2/users/:id/permissions': { scope: 'update:users', body: permission },
  'GET /api/v2/resource-servers': { scope: 'read:resource_servers' },
  'GET /api/v2/resource-servers/:id': {
    scope: 'read:resource_servers',
    path: () => `/api/v2/resource-servers/${encodeURIComponent(API)}`,
  },
  'GET /userinfo': {},
  'POST /userinfo': {},
};

let throwaways = 0;
async function throwawayUser(): Promise<string> {
  const created = await server.post(
    '/api/v2/users',
    { connection: 'email', email: `acl.throwaway.${throwaways++}@example.com` },
    { headers: { authorization: `Bearer ${await clientToken(MANAGER)}` } },
  );
  return `/api/v2/users/${encodeURIComponent(created.body.user_id as string)}`;
}

let server: TestServer;
let victim = '';
let existingUserId = '';
/** Connections and clients (made through the API) the routes on them name. */
const made = { connection: '', doomedConnection: '', client: '', doomedClient: '' };

let existingRoleId = '';

async function newRole(): Promise<string> {
  const answer = await server.post(
    '/api/v2/roles',
    { name: `acl role ${++roleCount}` },
    { headers: { authorization: `Bearer ${await clientToken(MANAGER)}` } },
  );
  expect(answer.status).toBe(200);
  return answer.body.id as string;
}

/** `METHOD path` for every route the router holds (HEAD is Fastify's twin of each GET). */
function routesOf(printed: string): string[] {
  const routes: string[] = [];
  const parents: string[] = [];
  for (const line of printed.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) throw new Error(`cannot read the route line ${JSON.stringify(line)}`);
    const depth = (match[1] as string).length / 4;
    const path = (parents[depth - 1] ?? '') + (match[2] as string);
    parents[depth] = path;
    parents.length = depth + 1;
    for (const method of match[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes;
}

function clientToken(clientId: string): Promise<string> {
  return server.managementToken(clientId, SECRET);
}

/** Logs a user in by email code and returns the access token asked with `extra`. */
async function userToken(email: string, extra: Record<string, string>): Promise<string> {
  const otp = await server.startCode(USER_APP, { email });
  const answer = await server.otpGrant(USER_APP, 'email', email, otp, extra);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.access_token as string;
}

/** A token shaped exactly like a good Management token, signed by a key the server never saw. */
async function foreignToken(): Promise<string> {
  const jwks = (await server.get<{ keys: { kid: string }[] }>('/.well-known/jwks.json')).body;
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(server.clock.now() / 1000);
  return new SignJWT({ scope: 'create:users read:users read:logs', azp: MANAGER, gty: 'client-credentials' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwks.keys[0]?.kid ?? 'x' })
    .setIssuer(server.issuer)
    .setSubject(`${MANAGER}@clients`)
    .setAudience([`${server.issuer}api/v2/`, `${server.issuer}userinfo`])
    .setIssuedAt(now)
    .setExpirationTime(now + LIFETIME)
    .sign(privateKey);
}

async function call(route: string, authorization: string | undefined): Promise<Answer> {
  const [method, pattern] = route.split(' ') as [string, string];
  const entry = PROTECTED[route];
  const path =
    (await entry?.path?.()) ?? pattern.replace(':id', encodeURIComponent(entry?.id?.() ?? existingUserId));
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  const body = entry?.body?.();
  if (method === 'GET') return server.get(path, headers);
  if (method === 'POST') return server.post(path, body ?? {}, { headers });
  return server.request(path, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function expectRefused(route: string, answer: Answer, what: string, status?: number): void {
  const context = `${route} with ${what}: ${answer.status} ${JSON.stringify(answer.body)}`;
  if (status !== undefined) expect(answer.status, context).toBe(status);
  else expect([401, 403], context).toContain(answer.status);
  expect(answer.headers.get('content-type') ?? '', context).toMatch(/^application\/json/);
  const { code, description } = errorOf(answer.body);
  expect(code, context).toEqual(expect.stringMatching(/\S/));
  expect(description, context).toEqual(expect.stringMatching(/\S/));
  if (route.includes(' /api/')) {
    expect(answer.body, context).toMatchObject({ statusCode: answer.status, error: expect.any(String) });
  }
  const body = JSON.stringify(answer.body);
  expect(body, context).not.toContain(victim);
  expect(body, context).not.toContain('"user_id"');
}

beforeAll(async () => {
  server = await TestServer.start({ config });
  // A user whose id the read routes ask for, so a refusal cannot be a mere 404.
  const created = await server.post(
    '/api/v2/users',
    { connection: 'email', email: 'acl.existing@example.com' },
    { headers: { authorization: `Bearer ${await clientToken(MANAGER)}` } },
  );
  expect(created.status).toBe(201);
  existingUserId = created.body.user_id as string;
  const manage = { authorization: `Bearer ${await clientToken(MANAGER)}` };
  for (const [key, name] of [
    ['connection', 'acl-target'],
    ['doomedConnection', 'acl-doomed'],
  ] as const)
    made[key] = (await server.post('/api/v2/connections', { name, strategy: 'email' }, { headers: manage }))
      .body.id as string;
  for (const key of ['client', 'doomedClient'] as const)
    made[key] = (
      await server.post('/api/v2/clients', { name: key, app_type: 'regular_web' }, { headers: manage })
    ).body.client_id as string;
  existingRoleId = await newRole();
});

afterAll(() => server.close());

describe('the route list', () => {
  it('holds only routes classified as public or protected', () => {
    const routes = routesOf(server.server.app.printRoutes({ commonPrefix: false }));
    // The parser found the routes this file knows are there (so it is not silently reading nothing).
    expect(routes).toEqual(expect.arrayContaining(['POST /api/v2/users', 'GET /userinfo', 'GET /healthz']));
    const unclassified = routes.filter((route) => !(route in PUBLIC) && !(route in PROTECTED));
    expect(unclassified, 'routes in neither PUBLIC nor PROTECTED').toEqual([]);
    for (const route of Object.keys(PUBLIC)) expect(PROTECTED, route).not.toHaveProperty(route);
    // Stale entries would hide a removed or renamed route.
    const stale = [...Object.keys(PUBLIC), ...Object.keys(PROTECTED)].filter((r) => !routes.includes(r));
    expect(stale, 'classified routes the app does not serve').toEqual([]);
  });
});

describe.each(Object.keys(PROTECTED))('%s', (route) => {
  const { scope, answers } = PROTECTED[route] ?? {};
  const management = route.includes(' /api/');

  it('refuses every bad credential and changes nothing', async () => {
    const slug = route.replace(/\W+/g, '-').toLowerCase();
    victim = `acl.${slug.slice(1)}@example.com`;
    const bad: [string, string | undefined, number?][] = [
      ['no token', undefined, 401],
      ['an empty bearer', 'Bearer ', 401],
      ['a malformed token', 'Bearer not.a.jwt', 401],
      ['garbage', 'Bearer %%%%', 401],
      ['another scheme', `Basic ${Buffer.from(`${MANAGER}:${SECRET}`).toString('base64')}`, 401],
      ['a foreign key', `Bearer ${await foreignToken()}`, 401],
      [
        'another audience (a user API token)',
        `Bearer ${await userToken(`acl.api.${slug}@example.com`, { audience: API, scope: 'read:things' })}`,
        401,
      ],
    ];
    if (management) {
      // A user's own userinfo token must not open the Management API either.
      bad.push([
        'a user userinfo token',
        `Bearer ${await userToken(`acl.oidc.${slug}@example.com`, { scope: 'openid profile email' })}`,
        401,
      ]);
      const lacking = scope === 'read:users' ? WRITER : READER;
      bad.push([`a token without ${scope}`, `Bearer ${await clientToken(lacking)}`, 403]);
    } else {
      // A Management token is for another audience than userinfo.
      bad.push(['a Management API token', `Bearer ${await clientToken(MANAGER)}`, 401]);
    }
    const expiring = management
      ? await clientToken(MANAGER)
      : await userToken(`acl.expiring.${slug}@example.com`, { scope: 'openid profile email' });
    // The same token works before it expires, so the refusal below is its age alone.
    const good = await call(route, `Bearer ${expiring}`);
    if (answers === undefined) expect(good.status, JSON.stringify(good.body)).toBeLessThan(300);
    else expect(good.status, JSON.stringify(good.body)).toBe(answers);
    if (route.startsWith('POST /api')) victim = victim.replace('acl.', 'acl.second.');

    for (const [what, authorization, status] of bad) {
      expectRefused(route, await call(route, authorization), what, status);
    }
    server.clock.advance((LIFETIME + 60) * 1000);
    expectRefused(route, await call(route, `Bearer ${expiring}`), 'an expired token', 401);

    if (route.startsWith('POST /api')) {
      // Nothing was created and nothing was sent: the address is still free and its inbox empty.
      expect(await server.inbox(victim)).toEqual([]);
      const good = `Bearer ${await clientToken(MANAGER)}`;
      const created = await server.post(
        '/api/v2/users',
        { connection: 'email', email: victim },
        { headers: { authorization: good } },
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
  });

  it('answers HEAD like GET: refused without a token', async () => {
    if (!route.startsWith('GET ')) return;
    const path =
      (await PROTECTED[route]?.path?.()) ?? (route.split(' ')[1] as string).replace(':id', existingUserId);
    const answer = await server.request(path, { method: 'HEAD' });
    expect(answer.status).toBe(401);
  });
});
