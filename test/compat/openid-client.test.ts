import * as client from 'openid-client';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser, hostedEmailLogin, location } from '../helpers/form-browser.ts';
import { LiveClock, OTP_GRANT, TestServer } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';

const PUBLIC = 'compat-openid-client-public';
const CONFIDENTIAL = 'compat-openid-client-secret';
const SECRET = 'openid-client-secret-0123456789abcdef';
const CALLBACK = 'https://app.example/callback';

/** openid-client 6 (a certified OpenID relying party) against Tessera over HTTPS. */
describe('openid-client over HTTPS: discovery, code + PKCE, id_token, userinfo, refresh', () => {
  let cert: TestCertificate;
  let server: TestServer;
  let agent: Agent;
  let config: client.Configuration;

  beforeAll(async () => {
    cert = makeCertificate();
    agent = new Agent({ connect: { ca: cert.pem } });
    const grants = [OTP_GRANT, 'authorization_code', 'refresh_token'];
    server = await TestServer.start({
      clock: new LiveClock(),
      ca: cert.pem,
      config: {
        tls: { cert: cert.certFile, key: cert.keyFile },
        applications: [
          { client_id: PUBLIC, name: 'RP', callbacks: [CALLBACK], grant_types: grants },
          {
            client_id: CONFIDENTIAL,
            client_secret: SECRET,
            name: 'Confidential RP',
            app_type: 'regular_web',
            callbacks: [CALLBACK],
            grant_types: grants,
          },
        ],
      },
    });
    config = await discover(PUBLIC, client.None());
  });
  afterAll(async () => {
    await server?.close();
    await agent?.close();
    cert?.remove();
  });

  /** Discovery with a fetch that trusts the test certificate (and nothing weaker: no allowInsecureRequests). */
  function discover(clientId: string, auth: client.ClientAuth) {
    return client.discovery(new URL(server.url), clientId, undefined, auth, {
      [client.customFetch]: (url, options) => fetch(url, { ...options, dispatcher: agent } as RequestInit),
    });
  }

  /** A fresh authorization request: its URL's path and query, and the checks the RP keeps. */
  async function authorization(rp: client.Configuration, extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(rp, {
      redirect_uri: CALLBACK,
      scope: 'openid email offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    expect(url.origin).toBe(server.url);
    return { path: url.pathname + url.search, verifier, state, nonce };
  }

  /** Logs in on the hosted page; returns the callback URL the browser was sent to. */
  async function login(browser: FormBrowser, path: string, email: string): Promise<URL> {
    const back = location(await hostedEmailLogin(server, browser, path, email));
    expect(back.origin + back.pathname).toBe(CALLBACK);
    return back;
  }

  it('discovers the issuer and its endpoints over HTTPS', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(`https://127.0.0.1:${server.port}/`);
    expect(metadata.authorization_endpoint).toBe(`${metadata.issuer}authorize`);
    expect(metadata.code_challenge_methods_supported).toContain('S256');
    expect(metadata.response_modes_supported).toContain('web_message');
  });

  it('logs in with code + PKCE, validates the id_token, reads userinfo and refreshes', async () => {
    const browser = new FormBrowser(server);
    const request = await authorization(config);
    const callback = await login(browser, request.path, 'rp@example.com');

    // Over HTTPS the session cookie is SameSite=None; Secure, so silent auth works in a cross-site iframe.
    // Over HTTPS every Tessera cookie is a __Host- one.
    const session = browser.setCookies.find((line) => line.startsWith('__Host-tessera_session='));
    expect(session).toMatch(/;\s*Secure/i);
    expect(session).toMatch(/SameSite=None/i);
    expect(session).toMatch(/HttpOnly/i);

    // openid-client checks state, PKCE, and the id_token: signature (JWKS), iss, aud, exp, iat, nonce.
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims).toMatchObject({
      iss: config.serverMetadata().issuer,
      aud: PUBLIC,
      nonce: request.nonce,
      email: 'rp@example.com',
      email_verified: true,
    });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims?.sub as string);
    expect(userinfo).toMatchObject({ sub: claims?.sub, email: 'rp@example.com' });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.claims()?.sub).toBe(claims?.sub);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    // Reused refresh token, past the reuse leeway: refused, and the whole family (the rotated
    // token too) is revoked.
    server.clock.advance(6000);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
      status: 403,
    });
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });

    // The same code again: refused.
    await expect(
      client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    // The session is reused: a second authorization needs no login page, and prompt=none works.
    const silent = await authorization(config, { prompt: 'none' });
    const again = await client.authorizationCodeGrant(config, location(await browser.get(silent.path)), {
      pkceCodeVerifier: silent.verifier,
      expectedState: silent.state,
      expectedNonce: silent.nonce,
    });
    expect(again.claims()?.sub).toBe(claims?.sub);
  });

  it('refuses a wrong PKCE verifier', async () => {
    const browser = new FormBrowser(server);
    const request = await authorization(config);
    const callback = await login(browser, request.path, 'rp.verifier@example.com');
    await expect(
      client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: request.state,
        expectedNonce: request.nonce,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'Failed to verify code verifier' });
  });

  it('leaves the state check to the client: a wrong state is refused before any token request', async () => {
    const browser = new FormBrowser(server);
    const request = await authorization(config);
    const callback = await login(browser, request.path, 'rp.state@example.com');
    expect(callback.searchParams.get('state')).toBe(request.state);
    await expect(
      client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: client.randomState(),
        expectedNonce: request.nonce,
      }),
    ).rejects.toMatchObject({ cause: { message: 'unexpected "state" response parameter value' } });
    // The code was never sent: it still works for the right state.
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  it('reports errors sent to the callback, such as login_required for prompt=none', async () => {
    const request = await authorization(config, { prompt: 'none' });
    const callback = location(await new FormBrowser(server).get(request.path));
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    await expect(
      client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      }),
    ).rejects.toMatchObject({ error: 'login_required' });
  });

  it('shows an error page, without redirecting, for an unregistered redirect_uri', async () => {
    const request = await authorization(config, { redirect_uri: 'https://evil.example/callback' });
    const answer = await new FormBrowser(server).get(request.path);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    expect(answer.body).toContain('allowed callback URLs');
  });

  it('authenticates a confidential client with client_secret_basic', async () => {
    const rp = await discover(CONFIDENTIAL, client.ClientSecretBasic(SECRET));
    const browser = new FormBrowser(server);
    const request = await authorization(rp);
    const callback = await login(browser, request.path, 'rp.confidential@example.com');
    const tokens = await client.authorizationCodeGrant(rp, callback, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()?.aud).toBe(CONFIDENTIAL);
    await client.tokenRevocation(rp, tokens.refresh_token as string);
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const wrong = await discover(CONFIDENTIAL, client.ClientSecretBasic('not-the-secret-0123456789'));
    // A 401 with a Basic challenge, as RFC 6749 asks when the client authenticated with Basic.
    await expect(client.refreshTokenGrant(wrong, 'anything')).rejects.toMatchObject({
      name: 'WWWAuthenticateChallengeError',
      status: 401,
      cause: [expect.objectContaining({ scheme: 'basic' })],
    });
  });
});
