import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.ts';

describe('GET /userinfo', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start();
  });
  afterAll(() => server.close());

  it('answers 401 invalid_token once the user is blocked', async () => {
    const clientId = await server.clientId();
    const email = 'blocked.later@example.com';
    const otp = await server.startCode(clientId, { email });
    const token = await server.otpGrant(clientId, 'email', email, otp, { scope: 'openid email' });
    expect(token.status).toBe(200);
    const bearer = { authorization: `Bearer ${token.body.access_token}` };
    const before = await server.get('/userinfo', bearer);
    expect(before.status).toBe(200);

    // The Management API cannot block a user yet: block it in the store, as an admin tool would.
    await server.server.ctx.store.updateUser(before.body.sub as string, { blocked: true });
    for (const answer of [
      await server.get('/userinfo', bearer),
      await server.post('/userinfo', {}, { headers: bearer }),
    ]) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
      expect(answer.headers.get('www-authenticate')).toContain('invalid_token');
    }
  });
});
