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

// /api/v2/connections as Auth0 answers it, over the stored connections: made, changed and removed
// through the API, checked by the config file's schema, credentials sealed and never shown back.

const MANAGER = 'conn-manager-0001';
const READER = 'conn-reader-0001';
const APP = 'conn-user-app-0001';
const TWILIO_SID = `AC${'0'.repeat(32)}`;
const TWILIO_TOKEN = 'twilio-token-never-shown-8f2c1e';
const NEW_TOKEN = 'twilio-token-replaced-4b9d0a';

let server: TestServer;
let manager = '';
let reader = '';
const lines: string[] = [];
/** Every answer body, to look for a credential in. */
const answers: string[] = [];

async function call(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  token = manager,
) {
  const answer = await api(server, method, path, token, body);
  answers.push(JSON.stringify(answer.body));
  return answer;
}

const twilioConnection = (name: string) => ({
  name,
  strategy: 'sms',
  options: { provider: 'twilio', twilio_sid: TWILIO_SID, twilio_token: TWILIO_TOKEN, from: '+14155550000' },
});

beforeAll(async () => {
  server = await TestServer.start({
    logger: capturedLogger(lines),
    config: {
      connections: [{ name: 'email', strategy: 'email' }],
      applications: [
        { client_id: APP, name: 'User App', grant_types: [OTP_GRANT] },
        managementApp(MANAGER, CONFIGURATION_SCOPES),
        managementApp(READER, ['read:connections']),
      ],
    },
  });
  manager = await server.managementToken(MANAGER, MANAGER_SECRET);
  reader = await server.managementToken(READER, MANAGER_SECRET);
});
afterAll(() => server.close());

describe('tokens and scopes', () => {
  const routes: [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, scope: string, body?: unknown][] =
    [
      ['GET', '/api/v2/connections', 'read:connections'],
      ['GET', '/api/v2/connections/ID', 'read:connections'],
      ['POST', '/api/v2/connections', 'create:connections', { name: 'acl-new', strategy: 'email' }],
      ['PATCH', '/api/v2/connections/ID', 'update:connections', { enabled_clients: [] }],
      ['DELETE', '/api/v2/connections/ID', 'delete:connections'],
      ['POST', '/api/v2/connections/ID/test', 'update:connections', { to: 'acl@example.com' }],
    ];
  it.each(routes)('%s %s: 401 without a token, 403 without %s', async (method, path, scope, body) => {
    const name = `acl-${Math.random().toString(36).slice(2, 8)}`;
    const target = (await call('POST', '/api/v2/connections', { name, strategy: 'email' })).body;
    const url = path.replace('ID', target.id as string);
    managementError(await api(server, method, url, undefined, body), 401);
    managementError(await api(server, method, url, 'not.a.token', body), 401);
    if (scope !== 'read:connections') {
      const refused = managementError(await api(server, method, url, reader, body), 403);
      expect(refused.message).toContain(scope);
    }
    // Nothing changed: the connection is still there, as it was, and no other was made.
    expect((await call('GET', `/api/v2/connections/${target.id}`)).body).toEqual(target);
    expect((await call('GET', '/api/v2/connections?name=acl-new')).body).toEqual([]);
    expect(await server.inbox('acl@example.com')).toEqual([]);
  });
});

describe('create, read, update, delete', () => {
  it('creates a connection with an id, and lists, reads, changes and deletes it by that id', async () => {
    const created = await call('POST', '/api/v2/connections', {
      name: 'crud-email',
      strategy: 'email',
      options: { totp: { length: 8 }, disable_signup: true },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^con_[0-9a-f]{16}$/);
    expect(created.body).toMatchObject({ name: 'crud-email', strategy: 'email', enabled_clients: ['*'] });
    expect(created.body.options).toMatchObject({ totp: { length: 8, time_step: 300 }, disable_signup: true });

    const read = await call('GET', `/api/v2/connections/${id}`, undefined, reader);
    expect(read.body).toEqual(created.body);
    const listed = await call('GET', '/api/v2/connections?strategy=email&name=crud-email', undefined, reader);
    expect(listed.body).toEqual([created.body]);

    const patched = await call('PATCH', `/api/v2/connections/${id}`, {
      options: { totp: { length: 4 } },
      enabled_clients: [APP],
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ id, enabled_clients: [APP] });
    // options replace the stored ones whole, as on Auth0: disable_signup is back to its default.
    expect(patched.body.options).toMatchObject({ totp: { length: 4 }, disable_signup: false });

    expect((await call('DELETE', `/api/v2/connections/${id}`)).status).toBe(202);
    managementError(await call('GET', `/api/v2/connections/${id}`), 404);
    managementError(await call('DELETE', `/api/v2/connections/${id}`), 404);
  });

  it('refuses a second connection of the same name with 409', async () => {
    await call('POST', '/api/v2/connections', { name: 'twice', strategy: 'sms' });
    const again = managementError(
      await call('POST', '/api/v2/connections', { name: 'twice', strategy: 'sms' }),
      409,
    );
    expect(again.errorCode).toBe('connection_conflict');
  });

  it('refuses to change the name or the strategy', async () => {
    const { id } = (await call('POST', '/api/v2/connections', { name: 'fixed', strategy: 'sms' })).body;
    managementError(await call('PATCH', `/api/v2/connections/${id}`, { name: 'renamed' }), 400);
    managementError(await call('PATCH', `/api/v2/connections/${id}`, { strategy: 'email' }), 400);
  });
});

describe('a connection made through the API', () => {
  it('logs a user in at once (start, then the OTP grant)', async () => {
    const created = await call('POST', '/api/v2/connections', {
      name: 'api-email',
      strategy: 'email',
      enabled_clients: [APP],
    });
    expect(created.status).toBe(201);
    const email = 'api.connection@example.com';
    const code = await server.startCode(APP, { email }, 'api-email');
    const tokens = await server.otpGrant(APP, 'api-email', email, code, { scope: 'openid' });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body.id_token).toBeTruthy();
  });

  it('sends a test message through its provider (POST /api/v2/connections/{id}/test)', async () => {
    const { id } = (await call('POST', '/api/v2/connections', { name: 'tested', strategy: 'email' })).body;
    const sent = await call('POST', `/api/v2/connections/${id}/test`, { to: 'Tested@Example.com' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body).toEqual({ connection: 'tested', provider: 'dev_inbox', to: 'tested@example.com' });
    const [message] = await server.inbox('tested@example.com');
    expect(message?.code).toMatch(/^\d{6}$/);
  });
});

describe('provider credentials', () => {
  it('are never shown back, say whether they are set, and are kept by a PATCH without them', async () => {
    const created = await call('POST', '/api/v2/connections', twilioConnection('twilio-sms'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(created.body.options).not.toHaveProperty('twilio_token');
    expect(created.body.options).toMatchObject({ provider: 'twilio', twilio_sid: TWILIO_SID });
    expect(created.body.credentials_set).toEqual({ twilio_token: true });

    // Sealed at rest: the row does not hold the token.
    const row = await server.server.ctx.store.getConnectionById(id);
    expect(row?.options).toMatchObject({ twilio_token: TWILIO_TOKEN });
    const stored = JSON.stringify(await storedRow('twilio-sms'));
    expect(stored).not.toContain(TWILIO_TOKEN);

    const { twilio_token: _, ...withoutToken } = twilioConnection('twilio-sms').options;
    const patched = await call('PATCH', `/api/v2/connections/${id}`, {
      options: { ...withoutToken, from: '+14155550001' },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.credentials_set).toEqual({ twilio_token: true });
    expect((await server.server.ctx.store.getConnectionById(id))?.options).toMatchObject({
      twilio_token: TWILIO_TOKEN,
      from: '+14155550001',
    });

    await call('PATCH', `/api/v2/connections/${id}`, {
      options: { ...withoutToken, twilio_token: NEW_TOKEN },
    });
    expect((await server.server.ctx.store.getConnectionById(id))?.options).toMatchObject({
      twilio_token: NEW_TOKEN,
    });

    // Pointed at another address without the token: refused, so that no stored credential goes
    // where the caller chose; with the token given again, accepted.
    const moved = await call('PATCH', `/api/v2/connections/${id}`, {
      options: { ...withoutToken, twilio_base_url: 'http://127.0.0.1:9/' },
    });
    expect(managementError(moved, 400).message).toContain('twilio_token');
    expect((await server.server.ctx.store.getConnectionById(id))?.options).not.toHaveProperty(
      'twilio_base_url',
      'http://127.0.0.1:9/',
    );
    const movedWithToken = await call('PATCH', `/api/v2/connections/${id}`, {
      options: { ...withoutToken, twilio_base_url: 'http://127.0.0.1:9/', twilio_token: NEW_TOKEN },
    });
    expect(movedWithToken.status, JSON.stringify(movedWithToken.body)).toBe(200);

    // null removes it, and then the provider cannot send: refused.
    const removed = await call('PATCH', `/api/v2/connections/${id}`, {
      options: { ...withoutToken, twilio_token: null },
    });
    expect(managementError(removed, 400).message).toContain('twilio_token');

    const listed = await call('GET', '/api/v2/connections?per_page=100');
    expect(JSON.stringify(listed.body)).toContain('twilio-sms');
    for (const secret of [TWILIO_TOKEN, NEW_TOKEN]) {
      for (const answer of answers) expect(answer).not.toContain(secret);
      expect(lines.join('')).not.toContain(secret);
    }
  });
});

describe('bad input', () => {
  const cases: [string, unknown][] = [
    ['a name of the wrong type', { name: 5, strategy: 'email' }],
    ['no name', { strategy: 'email' }],
    ['an unknown strategy', { name: 'x-ldap', strategy: 'ldap' }],
    ['an unknown member', { name: 'x-extra', strategy: 'email', display_name: 'X' }],
    ['an unknown option', { name: 'x-opt', strategy: 'email', options: { totp: { lenght: 6 } } }],
    ['an option out of range', { name: 'x-range', strategy: 'email', options: { totp: { length: 99 } } }],
    ['options of the wrong type', { name: 'x-type', strategy: 'email', options: 'all' }],
    ['a hostile name', { name: '<script>alert(1)</script>', strategy: 'email' }],
    ['a name with control characters', { name: 'evil\u0000\n', strategy: 'email' }],
    ['an oversized name', { name: 'n'.repeat(300), strategy: 'email' }],
    ['a hostile member name', { name: 'x-key', strategy: 'email', '<img src=x>': 1 }],
    ['an unknown provider', { name: 'x-prov', strategy: 'sms', options: { provider: 'pigeon' } }],
    [
      'a provider without its settings',
      { name: 'x-twilio', strategy: 'sms', options: { provider: 'twilio' } },
    ],
    [
      'a template that does not render',
      {
        name: 'x-tpl',
        strategy: 'sms',
        options: { syntax: 'liquid', template: '{{ code | nosuchfilter }}' },
      },
    ],
    [
      'too many enabled clients',
      { name: 'x-many', strategy: 'email', enabled_clients: Array(1001).fill('c') },
    ],
    ['an array body', [{ name: 'x', strategy: 'email' }]],
  ];
  it.each(cases)('refuses %s with 400 and the Management error body', async (_what, body) => {
    const answer = await call('POST', '/api/v2/connections', body);
    const error = managementError(answer, 400);
    expect(JSON.stringify(error)).not.toContain('<script>');
    expect(JSON.stringify(error)).not.toContain('<img');
  });

  it('refuses a body past the size limit with 413, and malformed JSON with 400', async () => {
    const big = { name: 'big', strategy: 'email', options: { template: 'x'.repeat(70_000) } };
    managementError(await call('POST', '/api/v2/connections', big), 413);
    managementError(await call('POST', '/api/v2/connections', '{"name": '), 400);
  });

  it('refuses bad paging and filters with 400', async () => {
    for (const query of [
      'per_page=0',
      'per_page=101',
      'page=-1',
      'page=x',
      'take=0',
      'from=abc',
      'include_totals=yes',
      `name=${'n'.repeat(200)}`,
    ])
      managementError(await call('GET', `/api/v2/connections?${query}`), 400);
  });
});

describe('paging', () => {
  it('pages by offset (page, per_page, include_totals) and by checkpoint (from, take)', async () => {
    for (let i = 0; i < 5; i++)
      await call('POST', '/api/v2/connections', { name: `page-${i}`, strategy: 'sms' });
    const names = async (query: string) => {
      const body = (await call('GET', `/api/v2/connections?strategy=sms&${query}`)).body as unknown;
      const list = Array.isArray(body) ? body : (body as { connections: { name: string }[] }).connections;
      return (list as { name: string }[]).map((c) => c.name).filter((n) => n.startsWith('page-'));
    };
    const all = (await call('GET', '/api/v2/connections?strategy=sms&per_page=100')).body as unknown as {
      name: string;
    }[];
    const paged = all.filter((c) => c.name.startsWith('page-')).map((c) => c.name);
    expect(paged).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);

    const totals = (
      await call('GET', '/api/v2/connections?strategy=sms&per_page=2&page=1&include_totals=true')
    ).body;
    expect(totals).toMatchObject({ start: 2, limit: 2, length: 2, total: all.length });

    const first = (await call('GET', '/api/v2/connections?strategy=sms&take=2')).body;
    expect((first.connections as unknown[]).length).toBe(2);
    expect(first.next).toBe('2');
    const seen: string[] = [];
    let from: string | undefined = '';
    while (from !== undefined) {
      const page = (await call('GET', `/api/v2/connections?strategy=sms&take=2&from=${from}`)).body;
      seen.push(...(page.connections as { name: string }[]).map((c) => c.name));
      from = page.next as string | undefined;
    }
    expect(seen).toEqual(all.map((c) => c.name));
    expect(await names('per_page=1&page=200')).toEqual([]);
  });
});

describe('a connection the config file declares', () => {
  it('cannot be changed or deleted through the API (409 naming the file key)', async () => {
    const [declared] = (await call('GET', '/api/v2/connections?name=email')).body as unknown as {
      id: string;
    }[];
    const id = declared?.id as string;
    const refused = managementError(await call('PATCH', `/api/v2/connections/${id}`, { options: {} }), 409);
    expect(refused.message).toContain('connections[0]');
    expect(refused.message).toContain('config file');
    managementError(await call('DELETE', `/api/v2/connections/${id}`), 409);
    expect((await call('GET', `/api/v2/connections/${id}`)).status).toBe(200);
  });
});

async function storedRow(name: string) {
  const store = server.server.ctx.store as unknown as {
    db: {
      selectFrom(t: string): {
        selectAll(): { where(c: string, o: string, v: string): { executeTakeFirst(): Promise<unknown> } };
      };
    };
  };
  return store.db.selectFrom('connections').selectAll().where('name', '=', name).executeTakeFirst();
}
