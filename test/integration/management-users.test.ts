import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, OTP_GRANT, TestServer } from '../helpers/server.ts';
import { testDatabaseUrl, uniqueSchema } from '../helpers/services.ts';
import { dropSchema } from '../helpers/stores.ts';

// The Management API's users (`/api/v2/users*`) as Auth0 documents them: list with offset paging,
// search with `q` (Lucene syntax, user search v3), sort, users-by-email, PATCH with Auth0's
// metadata merge, DELETE. The same file runs on SQLite and on the real PostgreSQL.

const ADMIN = 'mgmt-users-admin';
const NOBODY = 'mgmt-users-noscope';
const APP = 'mgmt-users-app';
const SECRET = 'mgmt-users-secret-0123456789abcdef';
const HOUR = 3_600_000;

const management = (client_id: string, management_scopes: string[]) => ({
  client_id,
  client_secret: SECRET,
  name: client_id,
  app_type: 'non_interactive',
  grant_types: ['client_credentials'],
  management_scopes,
});

const config = {
  connections: [
    { name: 'email', strategy: 'email' },
    { name: 'sms', strategy: 'sms' },
  ],
  applications: [
    management(ADMIN, ['read:users', 'create:users', 'update:users', 'delete:users']),
    management(NOBODY, ['read:clients']),
    {
      client_id: APP,
      name: 'Users App',
      callbacks: ['https://app.example.com/callback'],
      grant_types: [OTP_GRANT],
    },
  ],
};

const databaseUrl = testDatabaseUrl();
const kinds = [
  { name: 'sqlite', config: {} as Record<string, unknown>, schema: undefined as string | undefined },
  ...(databaseUrl
    ? [
        (() => {
          const schema = uniqueSchema('mu');
          return {
            name: 'postgres',
            schema,
            config: {
              database_url: databaseUrl,
              database_schema: schema,
              master_key: randomBytes(32).toString('base64'),
            },
          };
        })(),
      ]
    : []),
];

describe.each(kinds)('Management API users on $name', (kind) => {
  let server: TestServer;
  let token = '';
  let weak = '';
  const ids: Record<string, string> = {};

  const auth = (bearer = token) => ({ authorization: `Bearer ${bearer}` });
  const get = <T = Record<string, unknown>>(path: string, bearer = token) =>
    server.get<T>(path, auth(bearer));
  const send = (method: string, path: string, body?: unknown, bearer = token) =>
    server.request<Record<string, unknown>>(path, {
      method,
      headers: { ...auth(bearer), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const search = (q: string, extra = '') =>
    get<{ user_id: string }[]>(`/api/v2/users?search_engine=v3&q=${encodeURIComponent(q)}${extra}`);
  const found = async (q: string, extra = '') => {
    const answer = await search(q, extra);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.map((u) => u.user_id).sort();
  };
  const who = (...names: string[]) => names.map((n) => ids[n] as string).sort();

  async function create(name: string, body: Record<string, unknown>) {
    const answer = await send('POST', '/api/v2/users', { connection: 'email', ...body });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    ids[name] = answer.body.user_id as string;
    server.clock.advance(HOUR);
  }

  beforeAll(async () => {
    server = await TestServer.start({ config: { ...config, ...kind.config } });
    [token, weak] = await Promise.all([
      server.managementToken(ADMIN, SECRET),
      server.managementToken(NOBODY, SECRET),
    ]);
    // Made an hour apart, from 2026-01-01T00:00Z of the test clock on.
    server.clock.advance(Date.parse('2026-01-01T00:00:00Z') - server.clock.now());
    await create('jane', {
      email: 'Jane.Doe@example.com',
      name: 'Jane Doe',
      nickname: 'janie',
      app_metadata: { plan: 'gold', seats: 5, roles: ['admin', 'billing'], beta: true },
    });
    await create('john', {
      email: 'john.smith@example.com',
      name: 'John Smith',
      app_metadata: { plan: 'silver', seats: 12, profile: { tier: 'gold' } },
      user_metadata: { color: 'blue' },
      blocked: true,
    });
    await create('joan', { email: 'joan@example.org', name: 'Joan Smith', email_verified: true });
    await create('phone', {
      connection: 'sms',
      phone_number: '+14155550100',
      app_metadata: { plan: 'gold' },
    });
    // Two logins for Joan, one for Jane: logins_count and last_login to search by.
    for (const email of ['joan@example.org', 'joan@example.org', 'jane.doe@example.com']) {
      expect((await server.login(APP, { email })).status).toBe(200);
      server.clock.advance(60_000);
    }
  });
  afterAll(async () => {
    await server?.close();
    if (kind.schema && databaseUrl) await dropSchema(databaseUrl, kind.schema);
  });

  describe('GET /api/v2/users', () => {
    it('lists every user, oldest first, and pages them as Auth0 does', async () => {
      const all = await get<{ user_id: string }[]>('/api/v2/users');
      expect(all.status).toBe(200);
      expect(all.body.map((u) => u.user_id)).toEqual([ids.jane, ids.john, ids.joan, ids.phone]);

      const page = await get('/api/v2/users?page=1&per_page=2&include_totals=true');
      expect(page.body).toMatchObject({ start: 2, limit: 2, length: 2, total: 4 });
      expect((page.body.users as { user_id: string }[]).map((u) => u.user_id)).toEqual([ids.joan, ids.phone]);

      const past = await get('/api/v2/users?page=7&per_page=3&include_totals=true');
      expect(past.body).toEqual({ start: 21, limit: 3, length: 0, total: 4, users: [] });
      expect((await get('/api/v2/users?page=3&per_page=2')).body).toEqual([]);
    });

    it('sorts by each documented field, both ways, users without a value last', async () => {
      const order = async (sort: string) =>
        (await get<{ user_id: string }[]>(`/api/v2/users?sort=${sort}`)).body.map((u) => u.user_id);
      expect(await order('created_at:-1')).toEqual([ids.phone, ids.joan, ids.john, ids.jane]);
      expect(await order('email:1')).toEqual([ids.jane, ids.joan, ids.john, ids.phone]);
      expect(await order('name:-1')).toEqual([ids.john, ids.joan, ids.jane, ids.phone]);
      expect((await order('logins_count:-1')).slice(0, 2)).toEqual([ids.joan, ids.jane]);
      expect(await order('last_login:1')).toEqual([ids.joan, ids.jane, ids.john, ids.phone]);
      expect(await order('last_login:-1')).toEqual([ids.jane, ids.joan, ids.john, ids.phone]);
      expect((await order('updated_at:-1'))[0]).toBe(ids.jane);
    });

    it('searches each field, case-insensitively where Auth0 does', async () => {
      expect(await found('email:"jane.doe@example.com"')).toEqual(who('jane'));
      expect(await found('email:JANE.DOE@EXAMPLE.COM')).toEqual(who('jane'));
      expect(await found('name:"jane doe"')).toEqual(who('jane'));
      expect(await found('nickname:janie')).toEqual(who('jane'));
      expect(await found('phone_number:"+14155550100"')).toEqual(who('phone'));
      expect(await found(`user_id:"${ids.john}"`)).toEqual(who('john'));
      expect(await found('blocked:true')).toEqual(who('john'));
      expect(await found('email_verified:true')).toEqual(who('jane', 'joan'));
      expect(await found('logins_count:2')).toEqual(who('joan'));
      expect(await found('identities.connection:"sms"')).toEqual(who('phone'));
      expect(await found('jane.doe@example.com')).toEqual(who('jane'));
    });

    it('searches ranges, open ends and presence', async () => {
      expect(await found('logins_count:[1 TO *]')).toEqual(who('jane', 'joan'));
      expect(await found('logins_count:{1 TO *]')).toEqual(who('joan'));
      expect(await found('logins_count:[* TO 1}')).toEqual(who('john', 'phone'));
      expect(await found('created_at:[2026-01-01T01:00:00Z TO 2026-01-01T02:00:00Z]')).toEqual(
        who('john', 'joan'),
      );
      expect(await found('created_at:{2026-01-01T01:00:00Z TO 2026-01-01T02:00:00Z]')).toEqual(who('joan'));
      expect(await found('created_at:[2026-01-01 TO *]')).toHaveLength(4);
      expect(await found('created_at:2026-01-01')).toHaveLength(4);
      expect(await found('created_at:[2027-01-01 TO *]')).toEqual([]);
      expect(await found('last_login:[2026-01-01 TO *]')).toEqual(who('jane', 'joan'));
      expect(await found('last_login:*')).toEqual(who('jane', 'joan'));
      expect(await found('phone_number:*')).toEqual(who('phone'));
    });

    it('combines terms with AND, OR, NOT, groups and prefixes', async () => {
      expect(await found('name:jo*')).toEqual(who('john', 'joan'));
      expect(await found('email:JO*')).toEqual(who('john', 'joan'));
      expect(await found('name:jo* AND blocked:false')).toEqual(who('joan'));
      expect(await found('name:jo* AND NOT blocked:true')).toEqual(who('joan'));
      expect(await found('NOT name:jo*')).toEqual(who('jane', 'phone'));
      expect(await found('email:"jane.doe@example.com" OR email:"joan@example.org"')).toEqual(
        who('jane', 'joan'),
      );
      expect(await found('(name:jane* OR name:john*) AND logins_count:[1 TO *]')).toEqual(who('jane'));
      expect(await found('name:(jane* OR joan*)')).toEqual(who('jane', 'joan'));
      expect(await found('email:"jo*"')).toEqual([]);
    });

    it('searches app_metadata: strings, numbers, flags, arrays, nested keys, prefixes and ranges', async () => {
      expect(await found('app_metadata.plan:"gold"')).toEqual(who('jane', 'phone'));
      expect(await found('app_metadata.plan:gold AND identities.connection:email')).toEqual(who('jane'));
      expect(await found('app_metadata.seats:5')).toEqual(who('jane'));
      expect(await found('app_metadata.seats:[6 TO 20]')).toEqual(who('john'));
      expect(await found('app_metadata.seats:{* TO 12}')).toEqual(who('jane'));
      expect(await found('app_metadata.beta:true')).toEqual(who('jane'));
      expect(await found('app_metadata.roles:billing')).toEqual(who('jane'));
      expect(await found('app_metadata.profile.tier:gold')).toEqual(who('john'));
      expect(await found('app_metadata.plan:sil*')).toEqual(who('john'));
      expect(await found('app_metadata.plan:GOLD')).toEqual([]);
      expect(await found('app_metadata.profile:gold')).toEqual([]);
      expect(await found('app_metadata.seats:*')).toEqual(who('jane', 'john'));
      expect(await found('user_metadata.color:blue')).toEqual(who('john'));
    });

    it('reads v1 and v2 queries as v3, and answers only the fields asked for', async () => {
      for (const engine of ['v1', 'v2']) {
        const answer = await get<{ user_id: string }[]>(
          `/api/v2/users?search_engine=${engine}&q=blocked:true`,
        );
        expect(answer.body.map((u) => u.user_id)).toEqual(who('john'));
      }
      const some = await get<Record<string, unknown>[]>(
        `/api/v2/users?q=${encodeURIComponent('blocked:true')}&fields=user_id,email`,
      );
      expect(some.body).toEqual([{ user_id: ids.john, email: 'john.smith@example.com' }]);
      const without = await get<Record<string, unknown>[]>(
        `/api/v2/users?q=blocked:true&fields=app_metadata,user_metadata,identities&include_fields=false`,
      );
      expect(Object.keys(without.body[0] ?? {})).not.toContain('app_metadata');
      expect(without.body[0]).toMatchObject({ user_id: ids.john, blocked: true });
    });

    it.each([
      ['per_page=0', /per_page/],
      ['per_page=101', /per_page/],
      ['per_page=abc', /per_page/],
      ['page=-1', /page/],
      ['page=10&per_page=100', /first 1000/],
      ['include_totals=yes', /include_totals/],
      ['sort=password:1', /sort cannot use password/],
      ['sort=created_at', /sort must be/],
      ['search_engine=v4', /search_engine/],
      [`q=${encodeURIComponent('password:secret')}`, /field "password"/],
      [`q=${encodeURIComponent('-password:x')}`, /field "password"/],
      [`q=${encodeURIComponent('email:(a OR b')}`, /not a valid query/],
      [`q=${encodeURIComponent('name:[a TO b')}`, /not a valid query/],
      [`q=${encodeURIComponent('email:"unterminated')}`, /not a valid query/],
      [`q=${encodeURIComponent('name:/jo.*/')}`, /regular expression/],
      [`q=${encodeURIComponent('name:jo~')}`, /fuzzy/],
      [`q=${encodeURIComponent('name:*ohn')}`, /wildcard/],
      [`q=${encodeURIComponent('name:[a TO b]')}`, /range on name/],
      [`q=${encodeURIComponent('logins_count:many')}`, /whole number/],
      [`q=${encodeURIComponent('created_at:[yesterday TO *]')}`, /date/],
      [`q=${encodeURIComponent('blocked:maybe')}`, /true or false/],
      [`q=${encodeURIComponent('user_metadata.color:bl*')}`, /user_metadata by prefix/],
      [`q=${encodeURIComponent("app_metadata.x'y:1")}`, /key/],
      [`q=${encodeURIComponent(`${'('.repeat(40)}a${')'.repeat(40)}`)}`, /deep/],
      [`q=${encodeURIComponent(Array.from({ length: 80 }, (_, i) => `name:a${i}`).join(' OR '))}`, /terms/],
      [`q=${'a'.repeat(10_240)}`, /at most 2048/],
      ['q=a&q=b', /q/],
    ])('refuses %s with a 400 in the Management shape', async (query, message) => {
      const answer = await get(`/api/v2/users?${query}`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(message),
        errorCode: 'invalid_query_string',
      });
    });

    it('takes SQL-ish text as text', async () => {
      for (const q of [
        `email:"x' OR 1=1 --"`,
        `name:"'); drop table users; --"`,
        'app_metadata.plan:"\\" OR 1=1"',
        'name:%_*',
      ])
        expect(await found(q)).toEqual([]);
      expect((await get('/api/v2/users')).body).toHaveLength(4);
    });
  });

  describe('GET /api/v2/users-by-email', () => {
    it('finds the user whatever the case, and nobody for an unknown address', async () => {
      const answer = await get<{ user_id: string }[]>('/api/v2/users-by-email?email=JANE.Doe%40Example.com');
      expect(answer.status).toBe(200);
      expect(answer.body.map((u) => u.user_id)).toEqual([ids.jane]);
      expect((await get('/api/v2/users-by-email?email=nobody%40example.com')).body).toEqual([]);
      const fields = await get('/api/v2/users-by-email?email=jane.doe%40example.com&fields=email');
      expect(fields.body).toEqual([{ email: 'jane.doe@example.com' }]);
    });

    it.each(['', 'email=', 'email=not-an-address', `email=${'a'.repeat(600)}%40x.com`])(
      'refuses %j',
      async (query) => {
        const answer = await get(`/api/v2/users-by-email?${query}`);
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ statusCode: 400, errorCode: 'invalid_query_string' });
      },
    );
  });

  describe('access', () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/v2/users'],
      ['GET', '/api/v2/users-by-email?email=jane.doe%40example.com'],
      ['GET', '/api/v2/users/email%7Cx'],
      ['PATCH', '/api/v2/users/email%7Cx', { name: 'x' }],
      ['DELETE', '/api/v2/users/email%7Cx'],
    ];

    it.each(routes)('%s %s: 401 without a token, 403 without the scope', async (method, path, body) => {
      const none = await server.request<Record<string, unknown>>(path, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' } }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', errorCode: 'unauthorized' });
      const scopeless = await send(method, path, body, weak);
      expect(scopeless.status).toBe(403);
      expect(scopeless.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: expect.stringMatching(/Insufficient scope, expected any of: \w+:users/),
        errorCode: 'insufficient_scope',
      });
    });
  });

  describe('PATCH /api/v2/users/{id}', () => {
    let id = '';
    const patch = (body: unknown, target = id) =>
      send('PATCH', `/api/v2/users/${encodeURIComponent(target)}`, body);

    beforeAll(async () => {
      const made = await send('POST', '/api/v2/users', {
        connection: 'email',
        email: 'patch.me@example.com',
        user_metadata: { hobby: 'surfing' },
        app_metadata: { plan: 'full' },
      });
      id = made.body.user_id as string;
    });

    it("merges metadata as Auth0's documented examples do", async () => {
      // Adding a second-level property: the root key is added, the rest kept.
      const home = await patch({ user_metadata: { addresses: { home: '123 Main Street' } } });
      expect(home.status, JSON.stringify(home.body)).toBe(200);
      expect(home.body.user_metadata).toEqual({ hobby: 'surfing', addresses: { home: '123 Main Street' } });
      // Only the root level merges: a nested object is replaced whole.
      const work = await patch({ user_metadata: { addresses: { work: '100 Industrial Way' } } });
      expect(work.body.user_metadata).toEqual({
        hobby: 'surfing',
        addresses: { work: '100 Industrial Way' },
      });
      // A null removes its key; the other metadata object is untouched.
      const removed = await patch({ user_metadata: { hobby: null } });
      expect(removed.body.user_metadata).toEqual({ addresses: { work: '100 Industrial Way' } });
      expect(removed.body.app_metadata).toEqual({ plan: 'full' });
      // An empty object empties the metadata.
      const cleared = await patch({ app_metadata: {} });
      expect(cleared.body.app_metadata).toEqual({});
      expect((await get(`/api/v2/users/${encodeURIComponent(id)}`)).body.user_metadata).toEqual({
        addresses: { work: '100 Industrial Way' },
      });
    });

    it('merges concurrent patches without losing one', async () => {
      await Promise.all(Array.from({ length: 8 }, (_, i) => patch({ app_metadata: { [`k${i}`]: i } })));
      const user = await get(`/api/v2/users/${encodeURIComponent(id)}`);
      expect(Object.keys(user.body.app_metadata as object).sort()).toEqual(
        Array.from({ length: 8 }, (_, i) => `k${i}`),
      );
    });

    it('updates and unsets profile fields, and blocks', async () => {
      const before = await get(`/api/v2/users/${encodeURIComponent(id)}`);
      server.clock.advance(1000);
      const answer = await patch({
        name: 'Pat Smith',
        nickname: null,
        picture: 'https://example.com/p.png',
        blocked: true,
      });
      expect(answer.body).toMatchObject({
        name: 'Pat Smith',
        picture: 'https://example.com/p.png',
        blocked: true,
      });
      expect(answer.body).not.toHaveProperty('nickname');
      expect(Date.parse(answer.body.updated_at as string)).toBeGreaterThan(
        Date.parse(before.body.updated_at as string),
      );
      expect((await patch({ blocked: false })).body.blocked).toBe(false);
    });

    it('changes the email, normalised and unverified, and refuses one another user holds', async () => {
      const changed = await patch({ email: '  Pat.New@Example.COM ' });
      expect(changed.body).toMatchObject({ email: 'pat.new@example.com', email_verified: false });
      expect(await found('email:"pat.new@example.com"')).toEqual([id]);
      const verified = await patch({ email: 'pat.newer@example.com', email_verified: true });
      expect(verified.body).toMatchObject({ email: 'pat.newer@example.com', email_verified: true });
      const taken = await patch({ email: 'JANE.DOE@example.com' });
      expect(taken.status).toBe(409);
      expect(taken.body).toMatchObject({ statusCode: 409, error: 'Conflict', errorCode: 'conflict' });
      // Logging in with the new address finds the same user.
      const login = await server.login(APP, { email: 'pat.newer@example.com' });
      expect(login.status).toBe(200);
      expect((await get(`/api/v2/users/${encodeURIComponent(id)}`)).body.logins_count).toBe(1);
    });

    it('changes a phone number to E.164 and refuses one that is not a number', async () => {
      const phone = ids.phone as string;
      const changed = await patch({ phone_number: '+1 (415) 555-0199' }, phone);
      expect(changed.body).toMatchObject({ phone_number: '+14155550199', phone_verified: false });
      const bad = await patch({ phone_number: '4155550100' }, phone);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({
        errorCode: 'invalid_body',
        message: expect.stringMatching(/country code/),
      });
      const removed = await patch({ phone_number: null }, phone);
      expect(removed.status).toBe(400);
      expect(removed.body.message).toMatch(/cannot be removed/);
    });

    it.each([
      [{ blocked: 'yes' }, /blocked/],
      [{ name: 42 }, /name/],
      [{ email: 'not-an-address' }, /email/],
      [{ email: null }, /cannot be removed/],
      [{ app_metadata: 'gold' }, /app_metadata/],
      [{ app_metadata: { big: 'x'.repeat(20_000) } }, /too large/],
      [{ user_metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }, /too many/],
      [{ connection: 'sms' }, /no identity on that connection/],
      [{ name: 'x'.repeat(301) }, /at most 300/],
    ])('refuses %j with invalid_body', async (body, message) => {
      const answer = await patch(body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(message),
        errorCode: 'invalid_body',
      });
    });

    it('answers 404 inexistent_user for an unknown user, and refuses a body that is not JSON', async () => {
      const missing = await patch({ name: 'x' }, 'email|nobody');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'The user does not exist.',
        errorCode: 'inexistent_user',
      });
      const broken = await server.request<Record<string, unknown>>(
        `/api/v2/users/${encodeURIComponent(id)}`,
        {
          method: 'PATCH',
          headers: { ...auth(), 'content-type': 'application/json' },
          body: '{"name":',
        },
      );
      expect(broken.status).toBe(400);
      expect(broken.body).toMatchObject({ errorCode: 'invalid_body' });
    });
  });

  describe('DELETE /api/v2/users/{id}', () => {
    it('deletes the user (204), and a second delete is 404', async () => {
      const made = await send('POST', '/api/v2/users', { connection: 'email', email: 'gone@example.com' });
      const path = `/api/v2/users/${encodeURIComponent(made.body.user_id as string)}`;
      const deleted: Answer<unknown> = await send('DELETE', path);
      expect(deleted.status).toBe(204);
      expect((await get(path)).status).toBe(404);
      expect((await send('DELETE', path)).status).toBe(404);
      expect(await found('email:"gone@example.com"')).toEqual([]);
    });
  });
});
