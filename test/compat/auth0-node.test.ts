import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveClock, OTP_GRANT, TestServer } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';
import type { SdkRequest } from './auth0-node-client.ts';
import { NodeSdk } from './auth0-node-sdk.ts';

const NODE_APP = 'compat-auth0-node-rs256';
const NODE_SECRET = 'node-sdk-secret-0123456789abcdef';
const HS_APP = 'compat-auth0-node-hs256';
const HS_SECRET = 'hs256-secret-0123456789abcdef-0123456789';

type ClientOptions = SdkRequest['client'];

/** `auth0` (AuthenticationClient from `auth0/legacy`, the 4.x API) against Tessera over HTTPS. */
describe('Auth0 Node SDK (auth0 AuthenticationClient) over HTTPS', () => {
  let cert: TestCertificate;
  let server: TestServer;
  let sdk: NodeSdk;
  let rs256: ClientOptions;
  let hs256: ClientOptions;

  beforeAll(async () => {
    cert = makeCertificate();
    [server, sdk] = await Promise.all([
      TestServer.start({
        clock: new LiveClock(),
        ca: cert.pem,
        config: {
          tls: { cert: cert.certFile, key: cert.keyFile },
          applications: [
            {
              client_id: NODE_APP,
              client_secret: NODE_SECRET,
              name: 'Node backend',
              app_type: 'regular_web',
              grant_types: [OTP_GRANT, 'refresh_token'],
            },
            {
              client_id: HS_APP,
              client_secret: HS_SECRET,
              name: 'HS256 backend',
              app_type: 'regular_web',
              grant_types: [OTP_GRANT],
              id_token_signing_alg: 'HS256',
            },
          ],
        },
      }),
      NodeSdk.start(cert.certFile),
    ]);
    // The SDK calls https://<domain> and expects the id_token's iss to be https://<domain>/.
    const domain = `127.0.0.1:${server.port}`;
    expect(server.issuer).toBe(`https://${domain}/`);
    rs256 = { domain, clientId: NODE_APP, clientSecret: NODE_SECRET };
    hs256 = { domain, clientId: HS_APP, clientSecret: HS_SECRET, idTokenSigningAlg: 'HS256' };
  });
  afterAll(async () => {
    sdk?.close();
    await server?.close();
    cert?.remove();
  });

  async function latestCode(to: string): Promise<string> {
    const [message] = await server.inbox(to);
    if (!message?.code) throw new Error(`no code for ${to}`);
    return message.code;
  }

  it('sendEmail, loginWithEmail, userinfo, refresh with rotation and revocation', async () => {
    const email = 'node.sdk@example.com';
    await sdk.ok(rs256, 'passwordless.sendEmail', { email, send: 'code', authParams: { scope: 'openid' } });
    const code = await latestCode(email);

    // The SDK checks the RS256 signature against /.well-known/jwks.json, iss, aud, exp and iat.
    const tokens = await sdk.ok(rs256, 'passwordless.loginWithEmail', {
      email,
      code,
      scope: 'openid profile email offline_access',
    });
    expect(tokens).toMatchObject({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: expect.any(Number),
    });
    expect(decodeProtectedHeader(tokens.id_token as string).alg).toBe('RS256');
    expect(decodeJwt(tokens.id_token as string)).toMatchObject({
      iss: server.issuer,
      aud: NODE_APP,
      sub: expect.stringMatching(/^email\|/),
      email,
      email_verified: true,
    });

    const profile = await sdk.ok(rs256, 'userInfo.getUserInfo', tokens.access_token);
    expect(profile).toMatchObject({ sub: decodeJwt(tokens.id_token as string).sub, email });

    const refreshed = await sdk.ok(rs256, 'oauth.refreshTokenGrant', { refresh_token: tokens.refresh_token });
    expect(refreshed.access_token).toEqual(expect.any(String));
    expect(refreshed.id_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    // The old refresh token again, past the reuse leeway: refused, and the whole family (the
    // rotated one too) is revoked.
    server.clock.advance(6000);
    const reused = await sdk.fails(rs256, 'oauth.refreshTokenGrant', { refresh_token: tokens.refresh_token });
    expect(reused).toMatchObject({ name: 'AuthApiError', error: 'invalid_grant', statusCode: 403 });
    const family = await sdk.fails(rs256, 'oauth.refreshTokenGrant', {
      refresh_token: refreshed.refresh_token,
    });
    expect(family).toMatchObject({ error: 'invalid_grant' });

    // revokeRefreshToken (RFC 7009) on a fresh login's token.
    await sdk.ok(rs256, 'passwordless.sendEmail', { email, send: 'code' });
    const again = await sdk.ok(rs256, 'passwordless.loginWithEmail', {
      email,
      code: await latestCode(email),
      scope: 'openid offline_access',
    });
    await sdk.ok(rs256, 'oauth.revokeRefreshToken', { token: again.refresh_token });
    const revoked = await sdk.fails(rs256, 'oauth.refreshTokenGrant', { refresh_token: again.refresh_token });
    expect(revoked).toMatchObject({ error: 'invalid_grant' });
  });

  it('sendSMS and loginWithSMS, with an HS256 id_token checked against the client secret', async () => {
    const phone = '+14155550142';
    await sdk.ok(hs256, 'passwordless.sendSMS', { phone_number: phone });
    const tokens = await sdk.ok(hs256, 'passwordless.loginWithSMS', {
      phone_number: phone,
      code: await latestCode(phone),
      scope: 'openid phone',
    });
    expect(decodeProtectedHeader(tokens.id_token as string).alg).toBe('HS256');
    expect(decodeJwt(tokens.id_token as string)).toMatchObject({
      iss: server.issuer,
      aud: HS_APP,
      phone_number: phone,
      phone_number_verified: true,
    });
    // No refresh_token grant for this app: offline_access is dropped.
    expect(tokens.refresh_token).toBeUndefined();
  });

  it("surfaces Tessera's errors as the SDK's AuthApiError", async () => {
    const email = 'node.sdk.wrong@example.com';
    await sdk.ok(rs256, 'passwordless.sendEmail', { email, send: 'code' });
    const wrong = await sdk.fails(rs256, 'passwordless.loginWithEmail', { email, code: '000000' });
    expect(wrong).toMatchObject({
      name: 'AuthApiError',
      error: 'invalid_grant',
      error_description: 'Wrong email or verification code.',
      statusCode: 403,
    });
    const badEmail = await sdk.fails(rs256, 'passwordless.sendEmail', { email: 'not-an-email' });
    expect(badEmail).toMatchObject({ error: 'bad.email', statusCode: 400 });
    const badPhone = await sdk.fails(rs256, 'passwordless.sendSMS', { phone_number: '4155550100' });
    expect(badPhone).toMatchObject({ error: 'bad.phone_number', statusCode: 400 });
    const badSecret = await sdk.fails(
      { ...rs256, clientSecret: 'not-the-secret-0123456789' },
      'passwordless.sendEmail',
      { email },
    );
    expect(badSecret).toMatchObject({ error: 'unauthorized_client', statusCode: 401 });
  });

  it('is refused by the SDK when the id_token names another issuer than https://<domain>/', async () => {
    // Same server, reached as localhost: the certificate fits, the issuer (127.0.0.1) does not.
    const elsewhere = { ...rs256, domain: `localhost:${server.port}` };
    const email = 'node.sdk.issuer@example.com';
    await sdk.ok(elsewhere, 'passwordless.sendEmail', { email, send: 'code' });
    const refused = await sdk.fails(elsewhere, 'passwordless.loginWithEmail', {
      email,
      code: await latestCode(email),
    });
    expect(refused.message).toMatch(/Issuer \(iss\) claim mismatch/);
  });
});
