import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProvider } from '../contract/sms-fake-provider.ts';
import { type Answer, OTP_GRANT, TestServer } from '../helpers/server.ts';
import { testDatabaseUrl, uniqueSchema } from '../helpers/services.ts';
import { dropSchema } from '../helpers/stores.ts';

// The tenant log as an operator reads it: what each login step wrote, through GET /api/v2/logs,
// on SQLite and on PostgreSQL. Events are written a moment after they happen (in batches), so
// each read waits until what it looks for is there.

const USER_APP = 'logs-user-app-0001';
const MANAGER = 'logs-manager-0001';
const READER = 'logs-reader-0001';
const SECRET = 'logs-secret-0123456789abcdef';
const TWILIO_TOKEN = 'twilio-token-that-must-not-leak';
const TWILIO_OK = { status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } };
const databaseUrl = testDatabaseUrl();

type LogRow = Record<string, unknown> & { log_id: string; type: string; description: string };

const kinds = [
  { name: 'SQLite', config: () => ({}), dispose: async () => {} },
  ...(databaseUrl
    ? [
        (() => {
          const schema = uniqueSchema('logs');
          return {
            name: 'PostgreSQL',
            config: () => ({
              database_url: databaseUrl,
              database_schema: schema,
              master_key: randomBytes(32).toString('base64'),
            }),
            dispose: () => dropSchema(databaseUrl, schema),
          };
        })(),
      ]
    : []),
];

describe.each(kinds)('the tenant log on $name', (kind) => {
  let server: TestServer;
  let twilio: FakeProvider;
  let manager: string;
  let reader: string;
  let phone = 14155550100 + Math.floor(Math.random() * 1000) * 10;
  const nextPhone = () => `+${++phone}`;

  const managementApp = (client_id: string, management_scopes: string[]) => ({
    client_id,
    client_secret: SECRET,
    name: client_id,
    app_type: 'non_interactive',
    grant_types: ['client_credentials'],
    management_scopes,
  });

  beforeAll(async () => {
    twilio = await FakeProvider.start();
    server = await TestServer.start({
      config: {
        ...kind.config(),
        applications: [
          { client_id: USER_APP, name: 'Logs App', grant_types: [OTP_GRANT] },
          managementApp(MANAGER, ['read:logs', 'create:users']),
          managementApp(READER, ['read:users']),
        ],
        connections: [
          {
            name: 'sms',
            strategy: 'sms',
            options: {
              provider: 'twilio',
              twilio_sid: `AC${'0123456789abcdef'.repeat(2)}`,
              twilio_token: TWILIO_TOKEN,
              from: '+15005550006',
              twilio_base_url: twilio.url,
              start_limits: { resend_cooldown_s: 60 },
            },
          },
        ],
      },
    });
    [manager, reader] = await Promise.all([
      server.managementToken(MANAGER, SECRET),
      server.managementToken(READER, SECRET),
    ]);
  });
  afterAll(async () => {
    await server?.close();
    await twilio?.close();
    await kind.dispose();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const start = (phone_number: string) =>
    server.post('/passwordless/start', {
      client_id: USER_APP,
      connection: 'sms',
      phone_number,
      send: 'code',
    });
  const logs = (query: Record<string, string>, token = manager) =>
    server.get<LogRow[]>(`/api/v2/logs?${new URLSearchParams(query)}`, bearer(token));

  /** The events `q` finds, once at least `count` of them are written. */
  async function logged(q: string, count = 1): Promise<LogRow[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await logs({ q, per_page: '100' });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      if (answer.body.length >= count || Date.now() > deadline) return answer.body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('writes a sent code, a wrong code, a delivery failure and a rate-limit hit, and never the code', async () => {
    const sent = nextPhone();
    twilio.willAnswer(TWILIO_OK);
    expect((await start(sent)).status).toBe(200);
    const code = /\b(\d{6})\b/.exec(decodeURIComponent(twilio.requests.at(-1)?.body ?? ''))?.[1] as string;
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await server.otpGrant(USER_APP, 'sms', sent, wrong)).status).toBe(403);
    expect((await start(sent)).status).toBe(429);

    const failing = nextPhone();
    twilio.willAnswer({
      status: 400,
      body: { code: 21211, message: 'The To number is not valid.', status: 400 },
    });
    expect((await start(failing)).status).toBe(400);

    const [cs] = await logged(`type:cs AND user_name:"${sent}"`);
    expect(cs).toMatchObject({
      type: 'cs',
      description: 'Code Sent',
      client_id: USER_APP,
      client_name: 'Logs App',
      connection: 'sms',
    });
    expect(cs?.ip).toBeTypeOf('string');
    const [f] = await logged(`type:f AND user_name:"${sent}"`);
    expect(f?.description).toBe('Wrong phone number or verification code.');
    const [limit] = await logged(`type:api_limit AND user_name:"${sent}"`);
    expect(limit?.description).toContain('Wait before asking for another');
    const [fn] = await logged(`type:fn AND user_name:"${failing}"`);
    expect(fn?.description).toContain('The message could not be sent');
    expect(fn).toMatchObject({ connection: 'sms' });

    const everything = JSON.stringify((await logs({ per_page: '100' })).body);
    expect(everything).not.toContain(code);
    expect(everything).not.toContain(TWILIO_TOKEN);
    expect(everything).not.toContain(SECRET);
  });

  it('writes a login, reads it by id and among the user’s own events', async () => {
    const number = nextPhone();
    twilio.willAnswer(TWILIO_OK);
    expect((await start(number)).status).toBe(200);
    const code = /\b(\d{6})\b/.exec(decodeURIComponent(twilio.requests.at(-1)?.body ?? ''))?.[1] as string;
    const tokens = await server.otpGrant(USER_APP, 'sms', number, code);
    expect(tokens.status).toBe(200);
    const [signup] = await logged(`type:ss AND user_name:"${number}"`);
    const [login] = await logged(`type:s AND user_name:"${number}"`);
    expect(login?.user_id).toBe(signup?.user_id);
    expect(login?.user_id).toMatch(/^sms\|/);

    const one = await server.get(`/api/v2/logs/${login?.log_id}`, bearer(manager));
    expect(one.body).toEqual(login);
    expect((await server.get('/api/v2/logs/0000000000000000000000000000000', bearer(manager))).status).toBe(
      404,
    );
    const own = await server.get<LogRow[]>(
      `/api/v2/users/${encodeURIComponent(login?.user_id as string)}/logs`,
      bearer(manager),
    );
    expect(own.status).toBe(200);
    expect(own.body.map((e) => e.type).sort()).toEqual(['s', 'ss']);
    const stringified = JSON.stringify(own.body);
    expect(stringified).not.toContain(code);
    expect(stringified).not.toContain(tokens.body.access_token as string);
  });

  it('writes a Management API write as sapi, a refused one as fapi, naming the route and not the body', async () => {
    const email = `logs-${phone}@example.com`;
    const created = await server.post(
      '/api/v2/users',
      { connection: 'sms', phone_number: nextPhone(), name: email },
      { headers: bearer(manager) },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const refused = await server.post(
      '/api/v2/users',
      { connection: 'sms', phone_number: nextPhone(), name: email },
      { headers: bearer(reader) },
    );
    expect(refused.status).toBe(403);

    const [sapi] = await logged(`type:sapi AND client_id:${MANAGER}`);
    expect(sapi).toMatchObject({
      description: 'Success API Operation: POST /api/v2/users',
      client_name: MANAGER,
    });
    expect(sapi?.details).toEqual({
      request: { method: 'POST', path: '/api/v2/users' },
      response: { statusCode: 201 },
    });
    const [fapi] = await logged(`type:fapi AND client_id:${READER}`);
    expect(fapi?.description).toBe('Failed API Operation: POST /api/v2/users');
    expect(JSON.stringify([sapi, fapi])).not.toContain(email);
  });

  it('pages by checkpoint (from/take, oldest first) and by offset (page/per_page, include_totals)', async () => {
    const all = await logged('type:*'.replace('type:*', 'NOT type:nothing'), 3);
    const newestFirst = all.map((e) => e.log_id);
    expect([...newestFirst].sort().reverse()).toEqual(newestFirst);
    const oldest = newestFirst.at(-1) as string;
    const after = await logs({ from: oldest, take: '2' });
    expect(after.body.map((e) => e.log_id)).toEqual(newestFirst.slice(-3, -1).reverse());
    // A well-formed id no event has (one purged) still marks its place in the order.
    expect((await logs({ from: '9'.repeat(15) + '0'.repeat(16) })).body).toEqual([]);
    const page = await server.get<Record<string, unknown>>(
      '/api/v2/logs?per_page=2&page=1&include_totals=true&sort=date:1',
      bearer(manager),
    );
    expect(page.body).toMatchObject({ start: 2, limit: 2, length: 2, total: all.length });
    const picked = await logs({ per_page: '1', fields: 'type,log_id' });
    expect(Object.keys(picked.body[0] ?? {}).sort()).toEqual(['log_id', 'type']);
  });

  it.each([
    [{ take: '0' }, 'take'],
    [{ take: '101' }, 'take'],
    [{ from: 'not-a-log-id' }, 'from'],
    [{ q: 'jane' }, 'needs a field'],
    [{ q: 'password:x' }, 'cannot be searched'],
    [{ q: 'type:(f' }, 'not a valid query'],
    [{ q: 'date:[yesterday TO *]' }, 'not a date'],
    [{ sort: 'ip:1' }, 'sort'],
    [{ per_page: '101' }, 'per_page'],
    [{ fields: 'secret' }, 'fields'],
    [{ q: `type:${'x'.repeat(2000)}` }, 'q'],
  ])('refuses case %# with 400 and the Management error body', async (query, words) => {
    const answer = await logs(query as Record<string, string>);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ statusCode: 400, error: expect.any(String) });
    expect(String((answer.body as unknown as { message: string }).message)).toContain(words);
  });

  it('answers 401 without a token and 403 without read:logs', async () => {
    const without = await server.get('/api/v2/logs');
    expect(without.status).toBe(401);
    expect(without.body).toMatchObject({ statusCode: 401 });
    const unscoped: Answer = await server.get('/api/v2/logs', bearer(reader));
    expect(unscoped.status).toBe(403);
    expect(unscoped.body).toMatchObject({
      statusCode: 403,
      message: 'Insufficient scope, expected any of: read:logs',
    });
    expect((await server.get('/api/v2/logs/x', bearer(reader))).status).toBe(403);
    expect((await server.get('/api/v2/users/sms%7C1/logs', bearer(reader))).status).toBe(403);
  });
});
