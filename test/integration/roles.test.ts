import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, TestServer } from '../helpers/server.ts';

// The Management API's roles, users' roles and permissions, and resource servers, as Auth0's
// answer them: shapes, status codes, scopes, paging, and refusals in the Management error body.

const ADMIN = 'roles-admin-0001';
const NOBODY = 'roles-nobody-0001';
const SECRET = 'roles-secret-0123456789abcdef';
const API = 'https://orders.example.com/';
const ALL_SCOPES = [
  'create:users',
  'read:users',
  'update:users',
  'read:roles',
  'create:roles',
  'update:roles',
  'delete:roles',
  'read:resource_servers',
];

const app = (client_id: string, management_scopes: string[]) => ({
  client_id,
  client_secret: SECRET,
  name: client_id,
  app_type: 'non_interactive',
  grant_types: ['client_credentials'],
  management_scopes,
});

let server: TestServer;
let token: string;
let weak: string;
let userId: string;
let roleId: string;

function call(method: string, path: string, body?: unknown, bearer = token): Promise<Answer> {
  const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  return server.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function expectError(answer: Answer, status: number, error?: string): void {
  const context = JSON.stringify(answer.body);
  expect(answer.status, context).toBe(status);
  expect(answer.body, context).toMatchObject({
    statusCode: status,
    error: expect.any(String),
    errorCode: error ?? expect.any(String),
    message: expect.any(String),
  });
}

const perm = (permission_name: string, resource_server_identifier = API) => ({
  resource_server_identifier,
  permission_name,
});

beforeAll(async () => {
  server = await TestServer.start({
    config: {
      connections: [{ name: 'email', strategy: 'email' }],
      apis: [
        {
          identifier: API,
          name: 'Orders',
          enforce_policies: true,
          scopes: [
            { value: 'read:orders', description: 'Read orders' },
            { value: 'write:orders', description: 'Write orders' },
          ],
        },
      ],
      applications: [app(ADMIN, ALL_SCOPES), app(NOBODY, ['read:clients'])],
    },
  });
  token = await server.managementToken(ADMIN, SECRET);
  weak = await server.managementToken(NOBODY, SECRET);
  const user = await call('POST', '/api/v2/users', { connection: 'email', email: 'member@example.com' });
  userId = encodeURIComponent(user.body.user_id as string);
  roleId = (await call('POST', '/api/v2/roles', { name: 'fixture' })).body.id as string;
});
afterAll(() => server?.close());

describe('every route', () => {
  const routes = () =>
    [
      ['GET', '/api/v2/roles'],
      ['POST', '/api/v2/roles', { name: 'x' }],
      ['GET', `/api/v2/roles/${roleId}`],
      ['PATCH', `/api/v2/roles/${roleId}`, { name: 'x' }],
      ['DELETE', `/api/v2/roles/${roleId}`],
      ['GET', `/api/v2/roles/${roleId}/permissions`],
      ['POST', `/api/v2/roles/${roleId}/permissions`, { permissions: [perm('read:orders')] }],
      ['DELETE', `/api/v2/roles/${roleId}/permissions`, { permissions: [perm('read:orders')] }],
      ['GET', `/api/v2/roles/${roleId}/users`],
      ['POST', `/api/v2/roles/${roleId}/users`, { users: [decodeURIComponent(userId)] }],
      ['GET', `/api/v2/users/${userId}/roles`],
      ['POST', `/api/v2/users/${userId}/roles`, { roles: [roleId] }],
      ['DELETE', `/api/v2/users/${userId}/roles`, { roles: [roleId] }],
      ['GET', `/api/v2/users/${userId}/permissions`],
      ['POST', `/api/v2/users/${userId}/permissions`, { permissions: [perm('read:orders')] }],
      ['DELETE', `/api/v2/users/${userId}/permissions`, { permissions: [perm('read:orders')] }],
      ['GET', '/api/v2/resource-servers'],
      ['GET', `/api/v2/resource-servers/${encodeURIComponent(API)}`],
    ] as [string, string, unknown?][];

  it('is 401 without a token, 403 without the scope, and changes nothing', async () => {
    for (const [method, path, body] of routes()) {
      expectError(await call(method, path, body, ''), 401);
      expectError(await call(method, path, body, 'not.a.token'), 401);
      const refused = await call(method, path, body, weak);
      expectError(refused, 403, 'insufficient_scope');
      expect(refused.body.message).toMatch(/^Insufficient scope, expected any of: /);
    }
    // The role is still there with its name; nobody was given it.
    expect((await call('GET', `/api/v2/roles/${roleId}`)).body).toEqual({
      id: roleId,
      name: 'fixture',
      description: '',
    });
    expect((await call('GET', `/api/v2/users/${userId}/roles`)).body).toEqual([]);
  });
});

describe('roles', () => {
  it('creates, reads, updates and deletes a role as Auth0 answers', async () => {
    const created = await call('POST', '/api/v2/roles', { name: 'editors', description: 'Edit things' });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^rol_[A-Za-z0-9]{16}$/),
      name: 'editors',
      description: 'Edit things',
    });
    const id = created.body.id as string;
    expectError(await call('POST', '/api/v2/roles', { name: 'editors' }), 409, 'conflict');
    expect((await call('PATCH', `/api/v2/roles/${id}`, { description: 'Edit' })).body).toEqual({
      id,
      name: 'editors',
      description: 'Edit',
    });
    expectError(await call('PATCH', `/api/v2/roles/${id}`, { name: 'fixture' }), 409, 'conflict');
    const deleted = await call('DELETE', `/api/v2/roles/${id}`);
    expect(deleted.status).toBe(200);
    expectError(await call('GET', `/api/v2/roles/${id}`), 404, 'inexistent_role');
    expectError(await call('DELETE', `/api/v2/roles/${id}`), 404, 'inexistent_role');
    expectError(await call('PATCH', `/api/v2/roles/${id}`, { name: 'x' }), 404, 'inexistent_role');
  });

  it('pages roles, with totals on asking, and filters by name ignoring case', async () => {
    for (const name of ['Paged A', 'paged b', 'Paged C']) await call('POST', '/api/v2/roles', { name });
    const page = await call('GET', '/api/v2/roles?name_filter=PAGED&per_page=2&page=1&include_totals=true');
    expect(page.body).toEqual({
      start: 2,
      limit: 2,
      length: 1,
      total: 3,
      roles: [{ id: expect.any(String), name: 'paged b', description: '' }],
    });
    const plain = await call('GET', '/api/v2/roles?name_filter=paged&per_page=2');
    expect((plain.body as unknown as unknown[]).length).toBe(2);
    expect((await call('GET', '/api/v2/roles?name_filter=%25')).body).toEqual([]);
  });

  it('refuses bad input with the Management error body', async () => {
    const bad: [string, string, unknown][] = [
      ['POST', '/api/v2/roles', {}],
      ['POST', '/api/v2/roles', { name: 42 }],
      ['POST', '/api/v2/roles', { name: '' }],
      ['POST', '/api/v2/roles', { name: 'x'.repeat(201) }],
      ['POST', '/api/v2/roles', { name: 'bad\u0000name' }],
      ['POST', '/api/v2/roles', { name: 'ok', description: 'x'.repeat(501) }],
      ['POST', '/api/v2/roles', '{"name":'],
      ['POST', '/api/v2/roles', ['name']],
      ['PATCH', `/api/v2/roles/${roleId}`, { name: ['x'] }],
      ['GET', '/api/v2/roles/rol_%27%3B%20drop%20table%20roles', undefined],
      ['GET', '/api/v2/roles/not-a-role', undefined],
      ['GET', `/api/v2/roles/rol_${'a'.repeat(40)}`, undefined],
      ['GET', '/api/v2/roles?per_page=101', undefined],
      ['GET', '/api/v2/roles?page=abc', undefined],
      ['GET', '/api/v2/roles?include_totals=yes', undefined],
      ['GET', `/api/v2/roles?name_filter=${'x'.repeat(201)}`, undefined],
      ['POST', `/api/v2/roles/${roleId}/permissions`, { permissions: [] }],
      ['POST', `/api/v2/roles/${roleId}/permissions`, { permissions: 'read:orders' }],
      ['POST', `/api/v2/roles/${roleId}/permissions`, { permissions: [{ permission_name: 'read:orders' }] }],
      ['POST', `/api/v2/roles/${roleId}/permissions`, { permissions: [perm('delete:everything')] }],
      [
        'POST',
        `/api/v2/roles/${roleId}/permissions`,
        { permissions: [perm('read:orders', 'https://nope/')] },
      ],
      ['POST', `/api/v2/roles/${roleId}/permissions`, { permissions: Array(1001).fill(perm('a', 'a')) }],
      ['POST', `/api/v2/roles/${roleId}/users`, { users: [] }],
      ['POST', `/api/v2/roles/${roleId}/users`, { users: [1] }],
      ['GET', `/api/v2/roles/${roleId}/users?take=0`, undefined],
      ['GET', `/api/v2/roles/${roleId}/users?from=%00`, undefined],
      ['POST', `/api/v2/users/${userId}/roles`, { roles: ['not-a-role'] }],
      ['POST', `/api/v2/users/${userId}/permissions`, { permissions: [perm('write:orders\u0000')] }],
      ['DELETE', `/api/v2/users/${userId}/permissions`, {}],
    ];
    for (const [method, path, body] of bad) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path} ${String(JSON.stringify(body)).slice(0, 80)}`).toBe(400);
      expectError(answer, 400);
    }
    // Past the body limit: refused before it is parsed.
    const huge = { permissions: Array(5000).fill(perm('read:orders')) };
    expectError(await call('POST', `/api/v2/roles/${roleId}/permissions`, huge), 413);
    expect((await call('GET', `/api/v2/roles/${roleId}/permissions`)).body).toEqual([]);
  });
});

describe("a role's permissions and users, a user's roles and permissions", () => {
  it('gives and takes permissions, showing each with its API', async () => {
    const id = (await call('POST', '/api/v2/roles', { name: 'order staff' })).body.id as string;
    const path = `/api/v2/roles/${id}/permissions`;
    expect(
      (await call('POST', path, { permissions: [perm('read:orders'), perm('write:orders')] })).status,
    ).toBe(201);
    expect((await call('POST', path, { permissions: [perm('read:orders')] })).status).toBe(201);
    expect((await call('GET', `${path}?include_totals=true&per_page=1`)).body).toEqual({
      start: 0,
      limit: 1,
      length: 1,
      total: 2,
      permissions: [{ ...perm('read:orders'), resource_server_name: 'Orders', description: 'Read orders' }],
    });
    expect((await call('DELETE', path, { permissions: [perm('read:orders')] })).status).toBe(200);
    expect((await call('GET', path)).body).toEqual([
      { ...perm('write:orders'), resource_server_name: 'Orders', description: 'Write orders' },
    ]);
    expectError(await call('GET', '/api/v2/roles/rol_0000000000000000/permissions'), 404, 'inexistent_role');
    expectError(
      await call('POST', '/api/v2/roles/rol_0000000000000000/permissions', {
        permissions: [perm('read:orders')],
      }),
      404,
      'inexistent_role',
    );
  });

  it("assigns a role to users and lists them by offset and by checkpoint; a user's permissions show their sources", async () => {
    const id = (await call('POST', '/api/v2/roles', { name: 'members' })).body.id as string;
    await call('POST', `/api/v2/roles/${id}/permissions`, { permissions: [perm('read:orders')] });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const made = await call('POST', '/api/v2/users', {
        connection: 'email',
        email: `m${n}@example.com`,
        name: `M ${n}`,
      });
      ids.push(made.body.user_id as string);
    }
    expect((await call('POST', `/api/v2/roles/${id}/users`, { users: ids })).status).toBe(200);
    expectError(
      await call('POST', `/api/v2/roles/${id}/users`, { users: ['email|nobody'] }),
      404,
      'inexistent_user',
    );

    const sorted = [...ids].sort();
    const first = await call('GET', `/api/v2/roles/${id}/users?take=2`);
    expect(first.body).toEqual({
      users: sorted
        .slice(0, 2)
        .map((user_id) => ({ user_id, email: expect.any(String), name: expect.any(String) })),
      next: expect.any(String),
    });
    const second = await call(
      'GET',
      `/api/v2/roles/${id}/users?take=2&from=${first.body.next}&include_totals=true`,
    );
    expect(second.body).toEqual({ users: [expect.objectContaining({ user_id: sorted[2] })] });
    const offset = await call('GET', `/api/v2/roles/${id}/users?per_page=1&page=2&include_totals=true`);
    expect(offset.body).toMatchObject({
      start: 2,
      limit: 1,
      length: 1,
      total: 3,
      users: [{ user_id: sorted[2] }],
    });

    const user = encodeURIComponent(ids[0] as string);
    expect(
      (
        await call('POST', `/api/v2/users/${user}/permissions`, {
          permissions: [perm('read:orders'), perm('write:orders')],
        })
      ).status,
    ).toBe(201);
    expect((await call('GET', `/api/v2/users/${user}/roles`)).body).toEqual([
      { id, name: 'members', description: '' },
    ]);
    const held = await call('GET', `/api/v2/users/${user}/permissions?include_totals=true`);
    expect(held.body).toMatchObject({ total: 2, start: 0, limit: 50, length: 2 });
    const [read, write] = held.body.permissions as { sources: unknown[] }[];
    expect(read).toMatchObject({
      ...perm('read:orders'),
      resource_server_name: 'Orders',
      description: 'Read orders',
    });
    expect(read?.sources).toEqual(
      expect.arrayContaining([
        { source_id: '', source_name: '', source_type: 'DIRECT' },
        { source_id: id, source_name: 'members', source_type: 'ROLE' },
      ]),
    );
    expect(write?.sources).toEqual([{ source_id: '', source_name: '', source_type: 'DIRECT' }]);

    expect(
      (await call('DELETE', `/api/v2/users/${user}/permissions`, { permissions: [perm('read:orders')] }))
        .status,
    ).toBe(204);
    expect((await call('DELETE', `/api/v2/users/${user}/roles`, { roles: [id] })).status).toBe(204);
    expect((await call('GET', `/api/v2/users/${user}/permissions`)).body).toMatchObject([
      perm('write:orders'),
    ]);
    expect((await call('GET', `/api/v2/users/${user}/roles`)).body).toEqual([]);
  });

  it('is 404 for a user or role that does not exist', async () => {
    const nobody = encodeURIComponent('email|nobody');
    for (const [method, path, body] of [
      ['GET', `/api/v2/users/${nobody}/roles`],
      ['POST', `/api/v2/users/${nobody}/roles`, { roles: [roleId] }],
      ['DELETE', `/api/v2/users/${nobody}/roles`, { roles: [roleId] }],
      ['GET', `/api/v2/users/${nobody}/permissions`],
      ['POST', `/api/v2/users/${nobody}/permissions`, { permissions: [perm('read:orders')] }],
      ['DELETE', `/api/v2/users/${nobody}/permissions`, { permissions: [perm('read:orders')] }],
    ] as [string, string, unknown?][])
      expectError(await call(method, path, body), 404, 'inexistent_user');
    expectError(
      await call('POST', `/api/v2/users/${userId}/roles`, { roles: ['rol_0000000000000000'] }),
      404,
      'inexistent_role',
    );
    expectError(await call('GET', '/api/v2/roles/rol_0000000000000000/users'), 404, 'inexistent_role');
  });
});

describe('resource servers', () => {
  it('lists the Management API and the configured APIs in Auth0’s shape, and finds one by id or identifier', async () => {
    const list = await call('GET', '/api/v2/resource-servers?include_totals=true');
    expect(list.body).toMatchObject({ start: 0, limit: 50, length: 2, total: 2 });
    const [management, orders] = list.body.resource_servers as Record<string, unknown>[];
    expect(management).toMatchObject({ is_system: true, identifier: `${server.issuer}api/v2/` });
    expect(management?.scopes).toEqual(expect.arrayContaining([{ value: 'read:roles', description: '' }]));
    expect(orders).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      name: 'Orders',
      is_system: false,
      identifier: API,
      scopes: [
        { value: 'read:orders', description: 'Read orders' },
        { value: 'write:orders', description: 'Write orders' },
      ],
      signing_alg: 'RS256',
      allow_offline_access: true,
      skip_consent_for_verifiable_first_party_clients: true,
      token_lifetime: 86_400,
      token_lifetime_for_web: 86_400,
      enforce_policies: true,
      token_dialect: 'access_token',
    });
    expect((await call('GET', `/api/v2/resource-servers/${orders?.id}`)).body).toEqual(orders);
    expect((await call('GET', `/api/v2/resource-servers/${encodeURIComponent(API)}`)).body).toEqual(orders);
    expect((await call('GET', '/api/v2/resource-servers?per_page=1&page=1')).body).toEqual([orders]);
    expectError(
      await call('GET', '/api/v2/resource-servers/ffffffffffffffffffffffff'),
      404,
      'inexistent_resource_server',
    );
  });
});
