import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.ts';

// Per-IP limits count an IPv6 client by its /64: one host or subscriber holds a whole /64, and
// would otherwise get a fresh budget from each of its addresses.
describe('per-IP limits for IPv6 clients', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start({
      config: { trust_proxy: true, rate_limits: { start_per_ip_per_hour: 2 } },
    });
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  const start = (ip: string, n: number) =>
    server.post(
      '/passwordless/start',
      { client_id: clientId, connection: 'email', send: 'code', email: `v6-${n}@example.com` },
      { headers: { 'x-forwarded-for': ip } },
    );

  it('share one budget across the addresses of a /64, not across /64s', async () => {
    expect((await start('2001:db8:1:2::1', 1)).status).toBe(200);
    expect((await start('2001:db8:1:2::2', 2)).status).toBe(200);
    const third = await start('2001:db8:1:2:ffff::3', 3);
    expect(third.status).toBe(429);
    expect(third.body.error).toBe('too_many_requests');
    expect((await start('2001:db8:1:3::1', 4)).status).toBe(200);
  });
});
