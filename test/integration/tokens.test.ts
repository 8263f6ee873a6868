import { request } from 'node:http';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { location, openLink, startLink, TEST_CHALLENGE } from '../helpers/links.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

/** fetch() always sends the real Host; node:http lets a test send a forged one. */
function requestWithHost(
  server: TestServer,
  method: 'GET' | 'POST',
  path: string,
  host: string,
  body?: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        headers: {
          host,
          'x-forwarded-host': host,
          'x-forwarded-proto': 'https',
          ...(payload !== undefined && {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(payload)),
          }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Past the applications' default refresh_token_leeway (5 s). */
const LEEWAY_MS = 5001;

describe('tokens', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start();
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  async function login(email: string, scope = 'openid profile email offline_access') {
    const token = await server.login(clientId, { email }, { scope });
    expect(token.status).toBe(200);
    return token.body;
  }

  function refresh(refreshToken: string) {
    return server.post<Record<string, string>>('/oauth/token', {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: refreshToken,
    });
  }

  it('gives a refresh token only with offline_access', async () => {
    const without = await login('no.offline@example.com', 'openid email');
    expect(without.refresh_token).toBeUndefined();
    const withOffline = await login('offline@example.com');
    expect(withOffline.refresh_token).toEqual(expect.any(String));
    expect(withOffline.scope).toBe('openid profile email offline_access');
  });

  it('rotates refresh tokens, and a reused one revokes the whole family', async () => {
    const first = await login('rotation@example.com');
    const rotated = await refresh(first.refresh_token as string);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
    });
    expect(rotated.body.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(rotated.body.id_token as string).sub).toBe(decodeJwt(first.id_token as string).sub);

    server.clock.advance(LEEWAY_MS);
    const reused = await refresh(first.refresh_token as string);
    expect(reused.status).toBe(403);
    expect(reused.body.error).toBe('invalid_grant');

    const afterReuse = await refresh(rotated.body.refresh_token as string);
    expect(afterReuse.status).toBe(403);
    expect(afterReuse.body.error).toBe('invalid_grant');
  });

  it('keeps unrelated refresh token families alive when one is revoked for reuse', async () => {
    const victim = await login('family.a@example.com');
    const bystander = await login('family.b@example.com');
    await refresh(victim.refresh_token as string);
    server.clock.advance(LEEWAY_MS);
    expect((await refresh(victim.refresh_token as string)).status).toBe(403);
    expect((await refresh(bystander.refresh_token as string)).status).toBe(200);
  });

  it('gives every one of concurrent refreshes of the same token new tokens, and keeps the family', async () => {
    const first = await login('double.submit@example.com');
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => refresh(first.refresh_token as string)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    // Each of them goes on working: nothing was taken for a replay.
    for (const answer of answers) {
      expect((await refresh(answer.body.refresh_token as string)).status).toBe(200);
    }
  });

  it('counts a refresh token used again past the leeway as a replay, revoking what came of it', async () => {
    const first = await login('late.replay@example.com');
    const rotated = await refresh(first.refresh_token as string);
    server.clock.advance(4000);
    expect((await refresh(first.refresh_token as string)).status).toBe(200);
    server.clock.advance(2000);
    const replay = await refresh(first.refresh_token as string);
    expect(replay.status).toBe(403);
    expect((await refresh(rotated.body.refresh_token as string)).status).toBe(403);
  });

  it('revokes the refresh token of an authorization code exchanged twice (RFC 6749 §4.1.2)', async () => {
    const email = 'code.reuse@example.com';
    const started = await startLink(server, clientId, email, server.callback, {
      scope: 'openid email offline_access',
    });
    const opened = await openLink(server, started.link, started.cookie);
    const code = location(opened).searchParams.get('code') as string;
    const exchange = () =>
      server.post<Record<string, string>>('/oauth/token', {
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        code_verifier: started.verifier,
        redirect_uri: server.callback,
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toEqual(expect.any(String));

    const second = await exchange();
    expect(second.status).toBe(403);
    expect(second.body.error).toBe('invalid_grant');
    expect((await refresh(first.body.refresh_token as string)).status).toBe(403);
  });

  it('refuses a refresh token after /oauth/revoke', async () => {
    const tokens = await login('revoke@example.com');
    const revoked = await server.post('/oauth/revoke', {
      client_id: clientId,
      token: tokens.refresh_token,
    });
    expect(revoked.status).toBe(200);
    const answer = await refresh(tokens.refresh_token as string);
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe('invalid_grant');

    const unknown = await server.post(
      '/oauth/revoke',
      { client_id: clientId, token: 'never-issued' },
      { form: true },
    );
    expect(unknown.status).toBe(200);
  });

  it('answers userinfo for the opaque access token and 401 for anything else', async () => {
    const tokens = await login('userinfo@example.com');
    const userinfo = await server.get('/userinfo', { authorization: `Bearer ${tokens.access_token}` });
    expect(userinfo.status).toBe(200);
    expect(userinfo.body).toMatchObject({
      sub: decodeJwt(tokens.id_token as string).sub,
      email: 'userinfo@example.com',
      email_verified: true,
      nickname: 'userinfo',
    });

    const garbage = await server.get('/userinfo', { authorization: 'Bearer not-a-token' });
    expect(garbage.status).toBe(401);
    expect(garbage.body.error).toBe('invalid_token');
    expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const missing = await server.get('/userinfo');
    expect(missing.status).toBe(401);

    // An id_token is not an access token.
    const idToken = await server.get('/userinfo', { authorization: `Bearer ${tokens.id_token}` });
    expect(idToken.status).toBe(401);
  });

  it('refuses an access token once it has expired', async () => {
    const tokens = await login('expiring@example.com', 'openid email');
    server.clock.advance((Number(tokens.expires_in) + 1) * 1000);
    const userinfo = await server.get('/userinfo', { authorization: `Bearer ${tokens.access_token}` });
    expect(userinfo.status).toBe(401);
  });

  it('signs id_tokens that verify against the published JWKS', async () => {
    const tokens = await login('jwks@example.com', 'openid profile email');
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token as string, jwks, {
      issuer: server.issuer,
      audience: clientId,
      currentDate: new Date(server.clock.now()),
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    expect(payload).toMatchObject({
      iss: server.issuer,
      aud: clientId,
      azp: clientId,
      sub: expect.stringMatching(/^email\|/),
      sid: expect.any(String),
      auth_time: expect.any(Number),
      email: 'jwks@example.com',
      name: 'jwks@example.com',
      updated_at: expect.any(String),
    });
    expect(payload.exp).toBeGreaterThan(payload.iat as number);
    expect(payload.nonce).toBeUndefined();

    const published = await server.get<{ keys: Record<string, unknown>[] }>('/.well-known/jwks.json');
    for (const key of published.body.keys) {
      expect(key.d).toBeUndefined();
      expect(key.p).toBeUndefined();
    }
  });

  it('publishes a discovery document pointing at the issuer', async () => {
    const discovery = await server.get('/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    const issuer = server.issuer;
    expect(discovery.body).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}authorize`,
      token_endpoint: `${issuer}oauth/token`,
      userinfo_endpoint: `${issuer}userinfo`,
      jwks_uri: `${issuer}.well-known/jwks.json`,
      revocation_endpoint: `${issuer}oauth/revoke`,
    });
    const body = discovery.body as Record<string, string[]>;
    expect(body.response_types_supported).toContain('code');
    expect(body.grant_types_supported).toEqual(expect.arrayContaining([OTP_GRANT, 'refresh_token']));
    expect(body.code_challenge_methods_supported).toContain('S256');
    expect(body.id_token_signing_alg_values_supported).toContain('RS256');
    expect(body.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'email', 'phone', 'offline_access']),
    );
  });
});

describe('the configured issuer', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start({ config: { issuer: 'https://login.example.com', dev_inbox: true } });
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  it('gets a trailing slash', () => {
    expect(server.issuer).toBe('https://login.example.com/');
  });

  it('is what discovery and tokens say, whatever Host the request carries', async () => {
    const discovery = await requestWithHost(
      server,
      'GET',
      '/.well-known/openid-configuration',
      'evil.example',
    );
    expect(discovery.status).toBe(200);
    expect(discovery.body.issuer).toBe('https://login.example.com/');
    expect(discovery.body.jwks_uri).toBe('https://login.example.com/.well-known/jwks.json');

    const start = await requestWithHost(server, 'POST', '/passwordless/start', 'evil.example', {
      client_id: clientId,
      connection: 'email',
      email: 'host@example.com',
      send: 'code',
    });
    expect(start.status).toBe(200);
    const [message] = await server.inbox('host@example.com');
    const token = await requestWithHost(server, 'POST', '/oauth/token', 'evil.example', {
      grant_type: OTP_GRANT,
      client_id: clientId,
      realm: 'email',
      username: 'host@example.com',
      otp: message?.code as string,
      scope: 'openid',
    });
    expect(token.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token.body.id_token as string, jwks, {
      issuer: 'https://login.example.com/',
      audience: clientId,
    });
    expect(payload.iss).toBe('https://login.example.com/');

    const userinfo = await server.get('/userinfo', { authorization: `Bearer ${token.body.access_token}` });
    expect(userinfo.status).toBe(200);
  });

  it('starts magic links, whatever Host the request carries', async () => {
    const start = await requestWithHost(server, 'POST', '/passwordless/start', 'evil.example', {
      client_id: clientId,
      connection: 'email',
      email: 'host.link@example.com',
      send: 'link',
      authParams: { code_challenge: TEST_CHALLENGE, code_challenge_method: 'S256' },
    });
    expect(start.status).toBe(200);
    const [message] = await server.inbox('host.link@example.com');
    expect(message?.link?.startsWith('https://login.example.com/passwordless/verify_redirect?')).toBe(true);
  });
});
