import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

const APPS = [
  { client_id: 'rs256-app-000001', name: 'RS', grant_types: [OTP_GRANT] },
  { client_id: 'es256-app-000001', name: 'ES', grant_types: [OTP_GRANT], id_token_signing_alg: 'ES256' },
  {
    client_id: 'hs256-app-000001',
    name: 'HS',
    app_type: 'regular_web',
    client_secret: 'a-long-enough-client-secret-for-hs256',
    grant_types: [OTP_GRANT],
    id_token_signing_alg: 'HS256',
  },
];

describe('id_token signing algorithms', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({ config: { applications: APPS } });
  });
  afterAll(() => server.close());

  const login = async (clientId: string, email: string, secret?: string) => {
    await server.post('/passwordless/start', {
      client_id: clientId,
      client_secret: secret,
      connection: 'email',
      email,
      send: 'code',
    });
    const [message] = await server.inbox(email);
    const token = await server.otpGrant(clientId, 'email', email, message?.code as string, {
      scope: 'openid email',
      ...(secret && { client_secret: secret }),
    });
    expect(token.status).toBe(200);
    return token.body.id_token as string;
  };

  it('signs with RS256 by default and ES256 when the application asks, both verifiable from the JWKS', async () => {
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    for (const [clientId, alg] of [
      ['rs256-app-000001', 'RS256'],
      ['es256-app-000001', 'ES256'],
    ] as const) {
      const idToken = await login(clientId, `${alg.toLowerCase()}@example.com`);
      expect(decodeProtectedHeader(idToken).alg).toBe(alg);
      const { payload } = await jwtVerify(idToken, jwks, { issuer: server.issuer, audience: clientId });
      expect(payload.email).toBe(`${alg.toLowerCase()}@example.com`);
    }
    const keys = (await server.get<{ keys: { alg: string }[] }>('/.well-known/jwks.json')).body.keys;
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
  });

  it('signs with the client secret for HS256 applications', async () => {
    const secret = 'a-long-enough-client-secret-for-hs256';
    const idToken = await login('hs256-app-000001', 'hs256@example.com', secret);
    expect(decodeProtectedHeader(idToken).alg).toBe('HS256');
    const { payload } = await jwtVerify(idToken, new TextEncoder().encode(secret), {
      audience: 'hs256-app-000001',
    });
    expect(payload.sub).toMatch(/^email\|/);
  });
});
