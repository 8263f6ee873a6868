import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveClock, OTP_GRANT, TestServer } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';
import type { SdkRequest } from './auth0-node-client.ts';
import { NodeSdk } from './auth0-node-sdk.ts';

// Auth0's ManagementClient (`import { ManagementClient } from 'auth0'`, unchanged) against
// Tessera over HTTPS: it takes its own token by client_credentials, then lists, searches, gets,
// updates and deletes users, and reads Tessera's errors into its own error type.

const ADMIN = 'compat-management-admin';
const APP = 'compat-management-app';
const SECRET = 'compat-management-secret-0123456789abcdef';

describe('Auth0 ManagementClient over HTTPS', () => {
  let cert: TestCertificate;
  let server: TestServer;
  let sdk: NodeSdk;
  let management: NonNullable<SdkRequest['management']>;

  const ok = async <T = Record<string, unknown>>(call: string, ...args: unknown[]): Promise<T> => {
    const answer = await sdk.manage(management, call, ...args);
    if (!answer.ok) throw new Error(`${call} failed: ${JSON.stringify(answer.error)}`);
    return answer.data as T;
  };
  const fails = async (call: string, ...args: unknown[]) => {
    const answer = await sdk.manage(management, call, ...args);
    if (answer.ok) throw new Error(`${call} succeeded: ${JSON.stringify(answer.data)}`);
    return answer.error;
  };

  beforeAll(async () => {
    cert = makeCertificate();
    [server, sdk] = await Promise.all([
      TestServer.start({
        clock: new LiveClock(),
        ca: cert.pem,
        config: {
          tls: { cert: cert.certFile, key: cert.keyFile },
          connections: [{ name: 'email', strategy: 'email' }],
          applications: [
            {
              client_id: ADMIN,
              client_secret: SECRET,
              name: 'Back office',
              app_type: 'non_interactive',
              grant_types: ['client_credentials'],
              management_scopes: ['read:users', 'create:users', 'update:users', 'delete:users'],
            },
            {
              client_id: APP,
              name: 'App',
              callbacks: ['https://app.example.com/cb'],
              grant_types: [OTP_GRANT],
            },
          ],
        },
      }),
      NodeSdk.start(cert.certFile),
    ]);
    management = { domain: `127.0.0.1:${server.port}`, clientId: ADMIN, clientSecret: SECRET };
  });
  afterAll(async () => {
    sdk?.close();
    await server?.close();
    cert?.remove();
  });

  it('creates, lists, searches, gets, updates and deletes users', async () => {
    const ada = await ok<{ user_id: string }>('users.create', {
      connection: 'email',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      app_metadata: { plan: 'gold' },
    });
    await ok('users.create', { connection: 'email', email: 'alan@example.com', name: 'Alan Turing' });
    expect((await server.login(APP, { email: 'ada@example.com' })).status).toBe(200);

    type Listed = { items: { email: string; user_id: string }[]; response: { total?: number } };
    const all = await ok<Listed>('users.list', {});
    expect(all.items.map((u) => u.email)).toEqual(['ada@example.com', 'alan@example.com']);
    const page = await ok<Listed>('users.list', {
      q: 'app_metadata.plan:"gold" AND logins_count:[1 TO *]',
      search_engine: 'v3',
      include_totals: true,
      per_page: 10,
      page: 0,
      sort: 'created_at:1',
    });
    expect(page.response.total).toBe(1);
    expect(page.items.map((u) => u.email)).toEqual(['ada@example.com']);
    const byEmail = await ok<{ user_id: string }[]>('users.listUsersByEmail', { email: 'ADA@example.com' });
    expect(byEmail.map((u) => u.user_id)).toEqual([ada.user_id]);

    const got = await ok<{ name: string; logins_count: number }>('users.get', ada.user_id);
    expect(got).toMatchObject({ name: 'Ada Lovelace', logins_count: 1 });
    const updated = await ok<{ name: string; app_metadata: unknown; blocked: boolean }>(
      'users.update',
      ada.user_id,
      {
        name: 'Ada King',
        blocked: true,
        app_metadata: { plan: null, seats: 3 },
      },
    );
    expect(updated).toMatchObject({ name: 'Ada King', blocked: true, app_metadata: { seats: 3 } });

    await ok('users.delete', ada.user_id);
    const gone = await fails('users.get', ada.user_id);
    expect(gone).toMatchObject({
      name: 'NotFoundError',
      statusCode: 404,
      body: {
        statusCode: 404,
        error: 'Not Found',
        errorCode: 'inexistent_user',
        message: 'The user does not exist.',
      },
    });
  });

  it('reads a refused query and a refused body into its errors', async () => {
    const query = await fails('users.list', { q: 'password:hunter2', search_engine: 'v3' });
    expect(query).toMatchObject({
      name: 'BadRequestError',
      statusCode: 400,
      body: { errorCode: 'invalid_query_string', message: expect.stringMatching(/password/) },
    });
    const listed = await ok<{ items: { user_id: string }[] }>('users.list', {
      q: 'email:"alan@example.com"',
    });
    const [user] = listed.items;
    const body = await fails('users.update', user?.user_id, { email: 'not-an-address' });
    expect(body).toMatchObject({
      name: 'BadRequestError',
      statusCode: 400,
      body: { errorCode: 'invalid_body' },
    });
  });
});
