import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formFields,
  LINK_COOKIE,
  location,
  openLink,
  pkcePair,
  type StartedLink,
  startLink as startLinkTo,
  submitConfirmation,
} from '../helpers/links.ts';
import { TestServer } from '../helpers/server.ts';

function startLink(
  server: TestServer,
  clientId: string,
  email: string,
  authParams: Record<string, string> = {},
): Promise<StartedLink> {
  return startLinkTo(server, clientId, email, server.callback, authParams);
}

function exchangeCode(
  server: TestServer,
  clientId: string,
  code: string,
  extra: Record<string, string> = {},
) {
  return server.post<Record<string, string>>('/oauth/token', {
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    redirect_uri: server.callback,
    ...extra,
  });
}

describe('email magic link', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start();
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  it('mails a link to the issuer carrying the authorize parameters', async () => {
    const { link } = await startLink(server, clientId, 'carry@example.com');
    expect(link.startsWith(`${server.issuer}passwordless/verify_redirect?`)).toBe(true);
    const params = new URL(link).searchParams;
    expect(Object.fromEntries(params)).toMatchObject({
      client_id: clientId,
      connection: 'email',
      email: 'carry@example.com',
      verification_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      redirect_uri: server.callback,
      response_type: 'code',
      scope: 'openid email',
      state: 'state-carry@example.com',
      nonce: 'nonce-carry@example.com',
    });
    const [message] = await server.inbox('carry@example.com');
    expect(message?.code).toBeNull();
    expect(message?.html).toContain(link.replaceAll('&', '&amp;'));
  });

  it('logs in the browser that asked, and the code exchanges for tokens with the nonce', async () => {
    const { link, cookie, verifier } = await startLink(server, clientId, 'same.browser@example.com');
    const opened = await openLink(server, link, cookie);
    expect(opened.status).toBe(302);
    const target = location(opened);
    expect(`${target.origin}${target.pathname}`).toBe(server.callback);
    expect(target.searchParams.get('state')).toBe('state-same.browser@example.com');
    expect(target.searchParams.get('error')).toBeNull();
    const code = target.searchParams.get('code');
    expect(code).toBeTruthy();

    const token = await exchangeCode(server, clientId, code as string, { code_verifier: verifier });
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({
      access_token: expect.any(String),
      id_token: expect.any(String),
      token_type: 'Bearer',
      scope: 'openid email',
    });
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token.body.id_token as string, jwks, {
      issuer: server.issuer,
      audience: clientId,
    });
    expect(payload).toMatchObject({
      nonce: 'nonce-same.browser@example.com',
      email: 'same.browser@example.com',
      email_verified: true,
      sub: expect.stringMatching(/^email\|/),
    });
  });

  it("refuses a link's secret anywhere but the link, so holding it never skips the browser check", async () => {
    const email = 'secret.reuse@example.com';
    const { link, cookie } = await startLink(server, clientId, email);
    const secret = new URL(link).searchParams.get('verification_code') as string;
    const token = await server.otpGrant(clientId, 'email', email, secret, { scope: 'openid' });
    expect(token.status).toBe(403);
    expect(token.body.error).toBe('invalid_grant');
    const verify = await server.post('/passwordless/verify', {
      client_id: clientId,
      connection: 'email',
      email,
      verification_code: secret,
    });
    expect(verify.status).toBe(403);
    // The link itself still works in the browser that asked for it.
    const opened = await openLink(server, link, cookie);
    expect(location(opened).searchParams.get('code')).toBeTruthy();
  });

  it('shows a scanner or another device a confirmation page without using the link up', async () => {
    const email = 'other.device@example.com';
    const { link, verifier } = await startLink(server, clientId, email);

    const first = await openLink(server, link);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/html/);
    expect(first.headers.get('location')).toBeNull();
    expect(first.body).toContain(email);
    expect(first.body).toContain('action="/passwordless/verify_redirect"');

    const again = await openLink(server, link);
    expect(again.status).toBe(200);
    expect(again.headers.get('location')).toBeNull();

    const { confirm_token, ...fields } = formFields(again.body);
    expect(fields).toEqual(Object.fromEntries(new URL(link).searchParams));
    expect(confirm_token).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    // A form on another site can copy the fields, but not the page's SameSite=Strict cookie.
    const forged = await server.post(
      '/passwordless/verify_redirect',
      { ...fields, confirm_token },
      { form: true },
    );
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();

    const confirmed = await submitConfirmation(server, again);
    expect(confirmed.status).toBe(303);
    const target = location(confirmed);
    expect(`${target.origin}${target.pathname}`).toBe(server.callback);
    expect(target.searchParams.get('state')).toBe(`state-${email}`);
    const token = await exchangeCode(server, clientId, target.searchParams.get('code') as string, {
      code_verifier: verifier,
    });
    expect(token.status).toBe(200);
  });

  it('sends a replayed link back to the app with access_denied', async () => {
    const { link, cookie } = await startLink(server, clientId, 'replay@example.com');
    expect(location(await openLink(server, link, cookie)).searchParams.get('code')).toBeTruthy();

    const replay = await openLink(server, link, cookie);
    expect(replay.status).toBe(302);
    const target = location(replay);
    expect(`${target.origin}${target.pathname}`).toBe(server.callback);
    expect(target.searchParams.get('error')).toBe('access_denied');
    expect(target.searchParams.get('code')).toBeNull();
    expect(target.searchParams.get('state')).toBe('state-replay@example.com');

    const page = await openLink(server, link);
    const posted = await submitConfirmation(server, page);
    expect(posted.status).toBe(303);
    expect(location(posted).searchParams.get('error')).toBe('access_denied');
  });

  it('puts tokens in the fragment for response_type token', async () => {
    const { link, cookie } = await startLink(server, clientId, 'implicit@example.com', {
      response_type: 'token',
      nonce: 'implicit-nonce',
    });
    const opened = await openLink(server, link, cookie);
    expect(opened.status).toBe(302);
    const target = location(opened);
    expect(`${target.origin}${target.pathname}`).toBe(server.callback);
    expect(target.search).toBe('');
    const fragment = new URLSearchParams(target.hash.slice(1));
    expect(fragment.get('token_type')).toBe('Bearer');
    expect(fragment.get('state')).toBe('state-implicit@example.com');
    expect(fragment.get('code')).toBeNull();
    const accessToken = fragment.get('access_token');
    expect(accessToken).toBeTruthy();

    const userinfo = await server.get('/userinfo', { authorization: `Bearer ${accessToken}` });
    expect(userinfo.status).toBe(200);
    expect(userinfo.body).toMatchObject({ email: 'implicit@example.com', email_verified: true });
  });

  it('puts an id_token with the nonce in the fragment for response_type "id_token token"', async () => {
    const { link, cookie } = await startLink(server, clientId, 'hybrid@example.com', {
      response_type: 'id_token token',
      nonce: 'hybrid-nonce',
    });
    const target = location(await openLink(server, link, cookie));
    const fragment = new URLSearchParams(target.hash.slice(1));
    expect(fragment.get('access_token')).toBeTruthy();
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(fragment.get('id_token') as string, jwks, {
      issuer: server.issuer,
      audience: clientId,
    });
    expect(payload.nonce).toBe('hybrid-nonce');
  });

  it('cannot be used up by someone who only knows the address: wrong secrets spend no attempts', async () => {
    const email = 'victim.link@example.com';
    const { link, cookie } = await startLink(server, clientId, email);
    // Without the link, anyone can open a copy with a made-up secret and post its confirmation form.
    const forged = new URL(link);
    forged.searchParams.set('verification_code', randomBytes(32).toString('base64url'));
    for (let i = 0; i < 5; i++) {
      const page = await openLink(server, forged.toString());
      expect(page.status).toBe(200);
      const posted = await submitConfirmation(server, page);
      expect(posted.status).toBe(303);
      expect(location(posted).searchParams.get('error')).toBe('access_denied');
    }
    const opened = await openLink(server, link, cookie);
    expect(opened.status).toBe(302);
    expect(location(opened).searchParams.get('code')).toBeTruthy();
  });

  it.each([
    ['a page on another site', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, false],
    ['a sandboxed frame (Origin: null)', { origin: 'null', 'sec-fetch-site': 'cross-site' }, false],
    ['a cross-site browser request without Origin', { 'sec-fetch-site': 'cross-site' }, false],
    ["Tessera's own pages", { origin: 'ISSUER', 'sec-fetch-site': 'same-origin' }, true],
    ['no browser at all (a server-side SDK)', {}, true],
  ])('binds the browser of a start from %s: %s', async (_, site, binds) => {
    const headers = Object.fromEntries(
      Object.entries(site).map(([name, value]) => [name, value === 'ISSUER' ? server.url : value]),
    );
    const email = `site.${Object.keys(headers).join('.') || 'none'}.${String(binds)}.${headers.origin?.length ?? 0}@example.com`;
    const { link, cookie } = await startLinkTo(server, clientId, email, server.callback, {}, headers);
    expect(cookie !== '').toBe(binds);
    if (!binds) {
      // Whatever cookie the browser holds, the link asks before it logs anyone in.
      expect(
        (await openLink(server, link, `${LINK_COOKIE}=${randomBytes(24).toString('base64url')}`)).status,
      ).toBe(200);
    }
  });

  describe('PKCE for applications without a secret', () => {
    it('refuses at start a code-flow link without a code_challenge, as /authorize refuses it', async () => {
      const email = 'no.pkce@example.com';
      const start = await server.post('/passwordless/start', {
        client_id: clientId,
        connection: 'email',
        email,
        send: 'link',
        authParams: { redirect_uri: server.callback, response_type: 'code', state: 's' },
      });
      expect(start.status).toBe(400);
      expect(start.body).toEqual({
        error: 'bad.authParams',
        error_description:
          'authParams: code_challenge is required (PKCE with S256) for applications without a client_secret',
      });
      expect(await server.inbox(email)).toEqual([]);

      const authorize = await server.get(
        `/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: server.callback, response_type: 'code', state: 's' })}`,
      );
      expect(authorize.status).toBe(302);
      expect(location(authorize).searchParams.get('error_description')).toMatch(/code_challenge is required/);
    });

    it('sends no code back for a typed code redeemed at verify_redirect without a code_challenge', async () => {
      const email = 'typed.no.pkce@example.com';
      const start = await server.post('/passwordless/start', {
        client_id: clientId,
        connection: 'email',
        email,
        send: 'code',
      });
      const cookie = (start.headers.getSetCookie().find((c) => c.startsWith(`${LINK_COOKIE}=`)) ?? '').split(
        ';',
      )[0] as string;
      const [message] = await server.inbox(email);
      const query = new URLSearchParams({
        client_id: clientId,
        connection: 'email',
        email,
        verification_code: message?.code as string,
        redirect_uri: server.callback,
        response_type: 'code',
      });
      const opened = await server.get(`/passwordless/verify_redirect?${query}`, { cookie });
      expect(opened.status).toBe(302);
      const target = location(opened);
      expect(target.searchParams.get('code')).toBeNull();
      expect(target.searchParams.get('error')).toBe('invalid_request');
    });
  });

  describe('PKCE', () => {
    async function codeWithChallenge(email: string, challenge: string): Promise<string> {
      const { link, cookie } = await startLink(server, clientId, email, {
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const code = location(await openLink(server, link, cookie)).searchParams.get('code');
      expect(code).toBeTruthy();
      return code as string;
    }

    it('refuses an exchange without the code_verifier', async () => {
      const { challenge } = pkcePair();
      const code = await codeWithChallenge('pkce.none@example.com', challenge);
      const token = await exchangeCode(server, clientId, code);
      expect(token.status).toBe(403);
      expect(token.body.error).toBe('invalid_grant');
      expect(token.body.access_token).toBeUndefined();
    });

    it('refuses an exchange with a wrong code_verifier', async () => {
      const { challenge } = pkcePair();
      const code = await codeWithChallenge('pkce.wrong@example.com', challenge);
      const token = await exchangeCode(server, clientId, code, { code_verifier: pkcePair().verifier });
      expect(token.status).toBe(403);
      expect(token.body.error).toBe('invalid_grant');
    });

    it('exchanges with the right code_verifier, once', async () => {
      const { verifier, challenge } = pkcePair();
      const code = await codeWithChallenge('pkce.right@example.com', challenge);
      const token = await exchangeCode(server, clientId, code, { code_verifier: verifier });
      expect(token.status).toBe(200);
      expect(token.body.id_token).toEqual(expect.any(String));

      const reused = await exchangeCode(server, clientId, code, { code_verifier: verifier });
      expect(reused.status).toBe(403);
      expect(reused.body.error).toBe('invalid_grant');
    });

    it('refuses a code exchanged with another redirect_uri (form-encoded)', async () => {
      const { link, cookie } = await startLink(server, clientId, 'redirect.mismatch@example.com');
      const code = location(await openLink(server, link, cookie)).searchParams.get('code') as string;
      const token = await server.post(
        '/oauth/token',
        {
          grant_type: 'authorization_code',
          client_id: clientId,
          code,
          redirect_uri: 'http://localhost:3000/other',
        },
        { form: true },
      );
      expect(token.status).toBe(403);
      expect(token.body.error).toBe('invalid_grant');
    });
  });

  describe('redirect_uri', () => {
    it('refuses an unregistered redirect_uri at start', async () => {
      const start = await server.post('/passwordless/start', {
        client_id: clientId,
        connection: 'email',
        email: 'unregistered@example.com',
        send: 'link',
        authParams: { redirect_uri: 'https://evil.example/callback', response_type: 'code' },
      });
      expect(start.status).toBe(400);
      expect(start.body).toMatchObject({ error: 'bad.authParams', error_description: expect.any(String) });
      expect(await server.inbox('unregistered@example.com')).toEqual([]);
    });

    it('shows an error page, never a redirect, for a link with a tampered redirect_uri', async () => {
      const { link, cookie } = await startLink(server, clientId, 'tampered@example.com');
      const tampered = new URL(link);
      tampered.searchParams.set('redirect_uri', 'https://evil.example/callback');

      for (const withCookie of [cookie, undefined]) {
        const opened = await openLink(server, tampered.toString(), withCookie);
        expect(opened.status).toBe(400);
        expect(opened.headers.get('content-type')).toMatch(/^text\/html/);
        expect(opened.headers.get('location')).toBeNull();
        expect(opened.body).not.toContain('evil.example');
      }

      const posted = await server.post(
        '/passwordless/verify_redirect',
        Object.fromEntries(tampered.searchParams),
        {
          form: true,
        },
      );
      expect(posted.status).toBe(403);
      expect(posted.headers.get('location')).toBeNull();

      // The genuine link was not used up by the tampered attempts.
      const genuine = await openLink(server, link, cookie);
      expect(genuine.status).toBe(302);
      expect(location(genuine).searchParams.get('code')).toBeTruthy();
    });
  });
});

describe('email magic link without cross-device completion', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        connections: [{ name: 'email', strategy: 'email', options: { cross_device_links: false } }],
      },
    });
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  it('refuses a browser without the cookie with a 403 page, and still logs in the one that asked', async () => {
    const { link, cookie } = await startLink(server, clientId, 'bound@example.com');

    const refused = await openLink(server, link);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(refused.headers.get('location')).toBeNull();
    expect(refused.body).not.toContain('<form');

    const wrongCookie = await openLink(
      server,
      link,
      `${LINK_COOKIE}=${randomBytes(24).toString('base64url')}`,
    );
    expect(wrongCookie.status).toBe(403);

    // Posting the confirmation form directly is no way around the binding.
    const posted = await server.post(
      '/passwordless/verify_redirect',
      Object.fromEntries(new URL(link).searchParams),
      {
        form: true,
      },
    );
    expect(posted.status).toBe(403);
    expect(posted.headers.get('location')).toBeNull();

    const opened = await openLink(server, link, cookie);
    expect(opened.status).toBe(302);
    expect(location(opened).searchParams.get('code')).toBeTruthy();
  });
});
