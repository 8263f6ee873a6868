import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { api, CONFIGURATION_SCOPES, MANAGER_SECRET, managementApp } from '../helpers/management.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';
import { testDatabaseUrl, uniqueSchema } from '../helpers/services.ts';
import { dropSchema } from '../helpers/stores.ts';

// What the API makes survives a restart, on the same SQLite file and on PostgreSQL; with
// `management_api.config_objects: seed` the file only creates what is missing, so the API's changes
// to what it declares stand across restarts too.

const databaseUrl = testDatabaseUrl();
const MANAGER = 'own-manager-0001';
const DECLARED = 'own-declared-0001';

function config(extra: Record<string, unknown>) {
  return {
    management_api: { config_objects: 'seed' },
    connections: [{ name: 'email', strategy: 'email' }],
    applications: [
      { client_id: DECLARED, name: 'From the file', grant_types: [OTP_GRANT] },
      managementApp(MANAGER, CONFIGURATION_SCOPES),
    ],
    ...extra,
  };
}

/** Makes a client and a connection through the API, and changes the file's application and connection. */
async function writeThroughApi(server: TestServer) {
  const token = await server.managementToken(MANAGER, MANAGER_SECRET);
  const client = await api(server, 'POST', '/api/v2/clients', token, {
    name: 'Made by the API',
    app_type: 'spa',
  });
  expect(client.status, JSON.stringify(client.body)).toBe(201);
  const connection = await api(server, 'POST', '/api/v2/connections', token, {
    name: 'api-sms',
    strategy: 'sms',
    options: { totp: { length: 8 } },
  });
  expect(connection.status, JSON.stringify(connection.body)).toBe(201);
  const renamed = await api(server, 'PATCH', `/api/v2/clients/${DECLARED}`, token, {
    name: 'Renamed by the API',
  });
  expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
  const [email] = (await api(server, 'GET', '/api/v2/connections?name=email', token)).body as unknown as {
    id: string;
  }[];
  const changed = await api(server, 'PATCH', `/api/v2/connections/${email?.id}`, token, {
    options: { disable_signup: true },
  });
  expect(changed.status, JSON.stringify(changed.body)).toBe(200);
  return { clientId: client.body.client_id as string, connectionId: connection.body.id as string };
}

/** After a restart: all of it is still there, as the API left it, and usable for a login. */
async function expectKept(server: TestServer, made: { clientId: string; connectionId: string }) {
  const token = await server.managementToken(MANAGER, MANAGER_SECRET);
  const client = await api(server, 'GET', `/api/v2/clients/${made.clientId}`, token);
  expect(client.body.name).toBe('Made by the API');
  const connection = await api(server, 'GET', `/api/v2/connections/${made.connectionId}`, token);
  expect(connection.body).toMatchObject({ name: 'api-sms', options: { totp: { length: 8 } } });
  expect((await api(server, 'GET', `/api/v2/clients/${DECLARED}`, token)).body.name).toBe(
    'Renamed by the API',
  );
  const [email] = (await api(server, 'GET', '/api/v2/connections?name=email', token)).body as unknown as {
    options: { disable_signup: boolean };
  }[];
  expect(email?.options.disable_signup).toBe(true);
  const phone = '+14155550142';
  const code = await server.startCode(made.clientId, { phone_number: phone }, 'api-sms');
  expect(code).toMatch(/^\d{8}$/);
  const tokens = await server.otpGrant(made.clientId, 'api-sms', phone, code);
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
}

describe('on SQLite, restarted on the same file', () => {
  let server: TestServer | undefined;
  afterAll(() => server?.close());

  it("keeps what the API made, and in seed mode the API's changes to the file's objects", async () => {
    server = await TestServer.start({ config: config({}) });
    const made = await writeThroughApi(server);
    server = await server.restart();
    await expectKept(server, made);
  });
});

describe.skipIf(!databaseUrl)('on PostgreSQL, restarted on the same database', () => {
  const schema = uniqueSchema('own');
  const pg = {
    database_url: databaseUrl,
    database_schema: schema,
    master_key: randomBytes(32).toString('base64'),
  };
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.close();
    if (databaseUrl) await dropSchema(databaseUrl, schema);
  });

  it("keeps what the API made, and in seed mode the API's changes to the file's objects", async () => {
    server = await TestServer.start({ config: config(pg) });
    const made = await writeThroughApi(server);
    server = await server.restart();
    await expectKept(server, made);
  });

  it('shows a change made on one instance on another within the configuration cache time', async () => {
    const other = await TestServer.start({ config: config(pg) });
    try {
      const token = await other.managementToken(MANAGER, MANAGER_SECRET);
      const created = await api(other, 'POST', '/api/v2/clients', token, {
        name: 'Seen elsewhere',
        app_type: 'spa',
      });
      const clientId = created.body.client_id as string;
      // The first instance was never asked for it, so it has nothing kept: it sees it at once.
      const phone = '+14155550143';
      const code = await (server as TestServer).startCode(clientId, { phone_number: phone }, 'api-sms');
      const tokens = await (server as TestServer).otpGrant(clientId, 'api-sms', phone, code);
      expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
      expect((await api(other, 'DELETE', `/api/v2/clients/${clientId}`, token)).status).toBe(204);
      // Within CONFIG_CACHE_MS (2 s) the first instance no longer knows the client.
      const start = () =>
        (server as TestServer).post('/passwordless/start', {
          client_id: clientId,
          connection: 'email',
          email: 'elsewhere@example.com',
          send: 'code',
        });
      await expect
        .poll(async () => (await start()).body.error, { timeout: 5000, interval: 250 })
        .toBe('bad.client_id');
    } finally {
      await other.close();
    }
  });
});

describe('in file mode (the default)', () => {
  let server: TestServer | undefined;
  afterAll(() => server?.close());

  it('writes the file over what is stored at every start', async () => {
    server = await TestServer.start({ config: config({ management_api: { config_objects: 'file' } }) });
    const token = await server.managementToken(MANAGER, MANAGER_SECRET);
    expect((await api(server, 'PATCH', `/api/v2/clients/${DECLARED}`, token, { name: 'x' })).status).toBe(
      409,
    );
    const made = await api(server, 'POST', '/api/v2/clients', token, {
      name: 'Made by the API',
      app_type: 'spa',
    });
    server = await server.restart();
    const again = await server.managementToken(MANAGER, MANAGER_SECRET);
    const kept = await api(server, 'GET', `/api/v2/clients/${made.body.client_id}`, again);
    expect(kept.body.name).toBe('Made by the API');
  });
});
