import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';
import { testDatabaseUrl, uniqueSchema } from '../helpers/services.ts';
import { dropSchema } from '../helpers/stores.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

// PostgreSQL out of reach (here: the connection cut by a proxy between Tessera and the real
// server): requests get a 503 the client may retry, never a 500 or a crash, and Tessera recovers
// by itself once the database answers again.
const databaseUrl = testDatabaseUrl();
const CLIENT = 'outage-app-000001';

describe.skipIf(!databaseUrl)('PostgreSQL out of reach', () => {
  const schema = uniqueSchema('outage');
  let proxy: TcpProxy;
  let server: TestServer;

  beforeAll(async () => {
    const target = new URL(databaseUrl as string);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(databaseUrl as string);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    server = await TestServer.start({
      config: {
        database_url: viaProxy.toString(),
        database_schema: schema,
        master_key: randomBytes(32).toString('base64'),
        applications: [{ client_id: CLIENT, name: 'Outage', grant_types: [OTP_GRANT] }],
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.cut();
    if (databaseUrl) await dropSchema(databaseUrl, schema);
  });

  it('answers 503 with Retry-After while the database is out of reach, then recovers', async () => {
    const email = 'outage@example.com';
    expect((await server.get('/readyz')).status).toBe(200);
    const code = await server.startCode(CLIENT, { email });

    await proxy.cut();
    const during = await server.otpGrant(CLIENT, 'email', email, code);
    expect(during.status).toBe(503);
    expect(during.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The service is unavailable. Try again shortly.',
    });
    expect(during.headers.get('retry-after')).toBe('5');
    const start = await server.post('/passwordless/start', {
      client_id: CLIENT,
      connection: 'email',
      send: 'code',
      email: 'other@example.com',
    });
    expect(start.status).toBe(503);
    expect((await server.get('/readyz')).status).toBe(503);
    expect((await server.get('/healthz')).status).toBe(200);

    await proxy.restore();
    await expect.poll(async () => (await server.get('/readyz')).status, { timeout: 15_000 }).toBe(200);
    // The code was not spent by the failed attempt: it still works.
    const after = await server.otpGrant(CLIENT, 'email', email, code);
    expect(after.status).toBe(200);
  }, 40_000);
});
