import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.ts';

describe('email code login', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start();
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  it('starts, delivers a code to the dev inbox, and exchanges it for verified tokens', async () => {
    const start = await server.post('/passwordless/start', {
      client_id: clientId,
      connection: 'email',
      email: '  Ann.Lee@Example.COM ',
      send: 'code',
    });
    expect(start.status).toBe(200);
    expect(start.body).toEqual({
      _id: expect.any(String),
      email: 'ann.lee@example.com',
      email_verified: false,
    });

    const [message] = await server.inbox('ann.lee@example.com');
    expect(message?.channel).toBe('email');
    expect(message?.code).toMatch(/^\d{6}$/);
    expect(message?.html).toContain(message?.code);
    expect(message?.text).toContain(message?.code);

    const token = await server.otpGrant(clientId, 'email', 'ann.lee@example.com', message?.code as string, {
      scope: 'openid profile email',
    });
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({
      token_type: 'Bearer',
      scope: 'openid profile email',
      expires_in: 86400,
    });

    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token.body.id_token as string, jwks, {
      issuer: server.issuer,
      audience: clientId,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      sub: expect.stringMatching(/^email\|[0-9a-f]{24}$/),
      email: 'ann.lee@example.com',
      email_verified: true,
      azp: clientId,
      name: 'ann.lee@example.com',
      nickname: 'ann.lee',
    });

    const userinfo = await server.get('/userinfo', { authorization: `Bearer ${token.body.access_token}` });
    expect(userinfo.status).toBe(200);
    expect(userinfo.body).toMatchObject({
      sub: payload.sub,
      email: 'ann.lee@example.com',
      email_verified: true,
    });
  });
});
