import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

// Behind a proxy every request comes from the proxy's address (here 127.0.0.1, the test's own);
// each form of trust_proxy must make Tessera count and record the client's address from
// X-Forwarded-For instead, and a list that does not name the peer must leave the header unread.

const SPA = 'proxy-test-spa-01';
const BACKEND = { client_id: 'proxy-test-backend', client_secret: 'proxy-test-backend-secret-000001' };

async function startBehindProxy(trustProxy: unknown): Promise<TestServer> {
  return TestServer.start({
    config: {
      trust_proxy: trustProxy,
      rate_limits: { start_per_ip_per_hour: 2 },
      applications: [
        { client_id: SPA, name: 'Proxy SPA', grant_types: [OTP_GRANT] },
        {
          ...BACKEND,
          name: 'Proxy backend',
          app_type: 'non_interactive',
          grant_types: ['client_credentials'],
          management_scopes: ['read:users'],
        },
      ],
    },
  });
}

let sent = 0;
function start(server: TestServer, forwardedFor: string, email = `proxy-${++sent}@example.com`) {
  return server.post(
    '/passwordless/start',
    { client_id: SPA, connection: 'email', send: 'code', email },
    { headers: { 'x-forwarded-for': forwardedFor } },
  );
}

/** Logs `email` in with a code, the requests carrying `forwardedFor`; returns the user's last_ip. */
async function lastIpAfterLogin(server: TestServer, forwardedFor: string, email: string): Promise<unknown> {
  expect((await start(server, forwardedFor, email)).status).toBe(200);
  const [message] = await server.inbox(email);
  const token = await server.post(
    '/oauth/token',
    {
      grant_type: OTP_GRANT,
      client_id: SPA,
      realm: 'email',
      username: email,
      otp: message?.code,
      scope: 'openid',
    },
    { headers: { 'x-forwarded-for': forwardedFor } },
  );
  expect(token.status).toBe(200);
  const sub = JSON.parse(Buffer.from(String(token.body.id_token).split('.')[1] ?? '', 'base64url').toString())
    .sub as string;
  const management = await server.managementToken(BACKEND.client_id, BACKEND.client_secret);
  const user = await server.get(`/api/v2/users/${encodeURIComponent(sub)}`, {
    authorization: `Bearer ${management}`,
  });
  expect(user.status).toBe(200);
  return user.body.last_ip;
}

const TRUSTING = [
  { form: 'true', value: true },
  { form: 'a hop count (1)', value: 1 },
  { form: 'a list of addresses and ranges naming the proxy', value: ['10.0.0.0/8', '127.0.0.1'] },
  { form: 'a named range (loopback)', value: ['loopback'] },
];

describe.each(TRUSTING)('trust_proxy as $form', ({ value }) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startBehindProxy(value);
  });
  afterAll(() => server.close());

  it('gives two clients behind the proxy a start budget each', async () => {
    expect((await start(server, '203.0.113.1')).status).toBe(200);
    expect((await start(server, '203.0.113.1')).status).toBe(200);
    const third = await start(server, '203.0.113.1');
    expect(third.status).toBe(429);
    expect(third.body.error).toBe('too_many_requests');
    expect((await start(server, '203.0.113.2')).status).toBe(200);
  });

  it("records the client's address as the user's last_ip, not the proxy's", async () => {
    expect(await lastIpAfterLogin(server, '198.51.100.7', 'proxied@example.com')).toBe('198.51.100.7');
  });
});

describe('trust_proxy as a hop count', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startBehindProxy(1);
  });
  afterAll(() => server.close());

  it('takes the address the proxy added, not one the client wrote before it', async () => {
    // nginx's $proxy_add_x_forwarded_for appends the peer it saw to what the client sent.
    expect(await lastIpAfterLogin(server, '192.0.2.66, 198.51.100.8', 'chained@example.com')).toBe(
      '198.51.100.8',
    );
  });
});

describe('trust_proxy as a list that does not name the peer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startBehindProxy(['10.0.0.0/8', '192.168.0.0/16']);
  });
  afterAll(() => server.close());

  it('ignores X-Forwarded-For: every client counts as the peer', async () => {
    expect((await start(server, '203.0.113.1')).status).toBe(200);
    expect((await start(server, '203.0.113.2')).status).toBe(200);
    expect((await start(server, '203.0.113.3')).status).toBe(429);
  });

  it("records the peer's address as last_ip", async () => {
    // The start budget is spent: a server of its own for the login.
    const fresh = await startBehindProxy(['10.0.0.0/8']);
    try {
      expect(await lastIpAfterLogin(fresh, '198.51.100.9', 'direct@example.com')).toBe('127.0.0.1');
    } finally {
      await fresh.close();
    }
  });
});
