import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CHALLENGE } from '../helpers/links.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

describe('a restart on the same data directory', () => {
  let server: TestServer;
  let clientId: string;

  // Everything issued before the restart.
  let kids: string[];
  let firstLogin: Record<string, string>;
  let pendingCode: string;
  let pendingLink: { link: string; cookie: string };

  beforeAll(async () => {
    server = await TestServer.start();
    clientId = await server.clientId();

    const jwks = await server.get<{ keys: { kid: string }[] }>('/.well-known/jwks.json');
    kids = jwks.body.keys.map((k) => k.kid);

    const code = await server.startCode(clientId, { email: 'survivor@example.com' });
    const login = await server.otpGrant(clientId, 'email', 'survivor@example.com', code, {
      scope: 'openid email offline_access',
    });
    expect(login.status).toBe(200);
    firstLogin = login.body;

    pendingCode = await server.startCode(clientId, { phone_number: '+14155550300' });

    const start = await server.post('/passwordless/start', {
      client_id: clientId,
      connection: 'email',
      email: 'pending.link@example.com',
      send: 'link',
      authParams: {
        redirect_uri: server.callback,
        response_type: 'code',
        state: 'before-restart',
        code_challenge: TEST_CHALLENGE,
        code_challenge_method: 'S256',
      },
    });
    expect(start.status).toBe(200);
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('tessera_link='));
    const [message] = await server.inbox('pending.link@example.com');
    pendingLink = { link: message?.link as string, cookie: cookie?.split(';')[0] as string };

    // A restart takes a moment; messages sent after it must sort after those sent before.
    server.clock.advance(1000);
    server = await server.restart();
  });
  afterAll(() => server.close());

  it('keeps the Default App', async () => {
    expect(await server.clientId()).toBe(clientId);
  });

  it('keeps the signing keys, so tokens issued before still verify', async () => {
    const jwks = await server.get<{ keys: { kid: string }[] }>('/.well-known/jwks.json');
    expect(jwks.body.keys.map((k) => k.kid)).toEqual(kids);
    const { protectedHeader } = await jwtVerify(
      firstLogin.id_token as string,
      createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)),
      { issuer: server.issuer, audience: clientId },
    );
    expect(kids).toContain(protectedHeader.kid);
  });

  it('keeps the user and accepts the access token issued before', async () => {
    const sub = decodeJwt(firstLogin.id_token as string).sub;
    const userinfo = await server.get('/userinfo', { authorization: `Bearer ${firstLogin.access_token}` });
    expect(userinfo.status).toBe(200);
    expect(userinfo.body).toMatchObject({ sub, email: 'survivor@example.com', email_verified: true });

    const code = await server.startCode(clientId, { email: 'survivor@example.com' });
    const again = await server.otpGrant(clientId, 'email', 'survivor@example.com', code, { scope: 'openid' });
    expect(again.status).toBe(200);
    expect(decodeJwt(again.body.id_token as string).sub).toBe(sub);
  });

  it('verifies a code sent before the restart', async () => {
    const token = await server.otpGrant(clientId, 'sms', '+14155550300', pendingCode, {
      scope: 'openid phone',
    });
    expect(token.status).toBe(200);
    expect(decodeJwt(token.body.id_token as string)).toMatchObject({
      phone_number: '+14155550300',
      phone_number_verified: true,
    });
  });

  it('completes a magic link sent before the restart in the browser that asked', async () => {
    const url = new URL(pendingLink.link);
    const opened = await server.get(`${url.pathname}${url.search}`, { cookie: pendingLink.cookie });
    expect(opened.status).toBe(302);
    const target = new URL(opened.headers.get('location') as string);
    expect(target.searchParams.get('state')).toBe('before-restart');
    expect(target.searchParams.get('code')).toBeTruthy();
  });

  it('exchanges a refresh token issued before the restart', async () => {
    const refreshed = await server.post('/oauth/token', {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: firstLogin.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toEqual(expect.any(String));
    expect(decodeJwt(refreshed.body.id_token as string).sub).toBe(
      decodeJwt(firstLogin.id_token as string).sub,
    );
  });
});

describe('a config file that drops an application or connection', () => {
  it('retires them at the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-retire-'));
    const keep = { client_id: 'kept-app-000001', name: 'Kept', grant_types: [OTP_GRANT] };
    const drop = { client_id: 'dropped-app-0001', name: 'Dropped', grant_types: [OTP_GRANT] };
    let server = await TestServer.start({
      dataDir,
      config: {
        applications: [keep, drop],
        connections: [
          { name: 'email', strategy: 'email' },
          { name: 'old-sms', strategy: 'sms' },
        ],
      },
    });
    await server.close();
    server = await TestServer.start({
      dataDir,
      config: { applications: [keep], connections: [{ name: 'email', strategy: 'email' }] },
    });
    try {
      const start = (client_id: string, connection: string, identifier: Record<string, string>) =>
        server.post('/passwordless/start', { client_id, connection, send: 'code', ...identifier });
      expect((await start('kept-app-000001', 'email', { email: 'a@example.com' })).status).toBe(200);
      expect((await start('dropped-app-0001', 'email', { email: 'a@example.com' })).body.error).toBe(
        'bad.client_id',
      );
      expect((await start('kept-app-000001', 'old-sms', { phone_number: '+14155550100' })).body.error).toBe(
        'bad.connection',
      );
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('an application stored by an earlier version', () => {
  it('gets the defaults of settings added since at the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-upgrade-'));
    let server = await TestServer.start({ dataDir });
    const clientId = await server.clientId();
    await server.close();
    // As a version before refresh_token_leeway left the Default App.
    const db = new Database(join(dataDir, 'tessera.db'));
    const row = db.prepare('select data from applications where client_id = ?').get(clientId) as {
      data: string;
    };
    const { refresh_token_leeway: _, ...older } = JSON.parse(row.data) as Record<string, unknown>;
    db.prepare('update applications set data = ? where client_id = ?').run(JSON.stringify(older), clientId);
    db.close();

    server = await TestServer.start({ dataDir });
    try {
      const email = 'upgraded@example.com';
      const login = await server.login(clientId, { email }, { scope: 'openid offline_access' });
      const refresh = () =>
        server.post('/oauth/token', {
          grant_type: 'refresh_token',
          client_id: clientId,
          refresh_token: login.body.refresh_token as string,
        });
      // Within the default leeway, a refresh sent twice keeps the session.
      expect((await Promise.all([refresh(), refresh()])).map((a) => a.status)).toEqual([200, 200]);
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
