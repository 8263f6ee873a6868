import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser as Browser, location } from '../helpers/form-browser.ts';
import { type Answer, OTP_GRANT, TestServer } from '../helpers/server.ts';

const SPA = 'hosted-spa-client-01';
const WEB = 'hosted-web-client-01';
const APP_ORIGIN = 'http://app.example';
const CALLBACK = `${APP_ORIGIN}/callback`;
const WEB_SECRET = 'web-secret-0123456789abcdef';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(params: Record<string, string>): string {
  return `/authorize?${new URLSearchParams({ client_id: SPA, redirect_uri: CALLBACK, ...params })}`;
}

describe('GET /authorize and the hosted login page', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        applications: [
          {
            client_id: SPA,
            name: 'Hosted Shop',
            callbacks: [CALLBACK],
            allowed_origins: [APP_ORIGIN],
            allowed_logout_urls: [`${APP_ORIGIN}/`, `${APP_ORIGIN}/bye`],
            grant_types: [OTP_GRANT, 'authorization_code', 'implicit', 'refresh_token'],
            cross_origin_loc: `${APP_ORIGIN}/co-verify`,
            primary_color: '#0f766e',
          },
          {
            client_id: WEB,
            client_secret: WEB_SECRET,
            name: 'Web App',
            callbacks: [CALLBACK],
            grant_types: ['authorization_code'],
          },
        ],
      },
    });
  });
  afterAll(() => server?.close());

  /** Runs the hosted page's email-code login; returns the callback URL. */
  async function emailLogin(browser: Browser, email: string, params: Record<string, string>): Promise<URL> {
    const start = await browser.get(authorizeUrl(params));
    expect(start.status).toBe(302);
    const page = location(start);
    expect(page.pathname).toBe('/u/login');
    const tx = page.searchParams.get('tx') as string;
    const sent = await browser.form('/u/login', { tx, connection: 'email', email, send: 'code' });
    expect(sent.status).toBe(303);
    expect(location(sent).pathname).toBe('/u/login/code');
    const [message] = await server.inbox(email);
    // The code page's URL carries the transaction sealed again, now with where the code went.
    const codeTx = location(sent).searchParams.get('tx') as string;
    const done = await browser.form('/u/login/code', { tx: codeTx, code: message?.code as string });
    expect(done.status).toBe(303);
    return location(done);
  }

  describe('requests it refuses', () => {
    it('shows an error page, never a redirect, for an unknown client or an unregistered redirect_uri', async () => {
      const browser = new Browser(server);
      for (const path of [
        authorizeUrl({ client_id: 'nobody-knows-me', response_type: 'code' }),
        authorizeUrl({ redirect_uri: 'https://evil.example/callback', response_type: 'code' }),
        authorizeUrl({ redirect_uri: `${CALLBACK}/extra`, response_type: 'code' }),
        `/authorize?client_id=${SPA}&response_type=code`,
      ]) {
        const answer = await browser.get(path);
        expect(answer.status).toBe(400);
        expect(answer.headers.get('location')).toBeNull();
        expect(answer.headers.get('content-type')).toContain('text/html');
        expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
      }
      const evil = await browser.get(
        authorizeUrl({ redirect_uri: 'https://evil.example/cb', response_type: 'code' }),
      );
      expect(evil.body).toContain('allowed callback URLs');
    });

    it('sends other errors back to the callback with the state', async () => {
      const browser = new Browser(server);
      const cases: [Record<string, string>, string][] = [
        [{ response_type: 'password' }, 'unsupported_response_type'],
        [{ response_type: 'code' }, 'invalid_request'], // a public client without PKCE
        [
          { response_type: 'code', code_challenge: 'short', code_challenge_method: 'S256' },
          'invalid_request',
        ],
        [{ response_type: 'id_token' }, 'invalid_request'], // no nonce
        [{ response_type: 'token', connection: 'no-such-connection' }, 'invalid_request'],
        [{ response_type: 'token', response_mode: 'form_post' }, 'invalid_request'],
        [{ response_type: 'token', prompt: 'none' }, 'login_required'],
        [{ response_type: 'token', audience: 'https://unknown.api/' }, 'access_denied'],
      ];
      for (const [params, error] of cases) {
        const answer = await browser.get(authorizeUrl({ ...params, state: 'st-1' }));
        expect(answer.status, JSON.stringify(params)).toBe(302);
        const back = location(answer);
        expect(back.origin + back.pathname).toBe(CALLBACK);
        const where = back.hash ? new URLSearchParams(back.hash.slice(1)) : back.searchParams;
        expect(where.get('error'), JSON.stringify(params)).toBe(error);
        expect(where.get('state')).toBe('st-1');
      }
    });

    it('lets a confidential client use the code flow without PKCE', async () => {
      const browser = new Browser(server);
      const answer = await browser.get(authorizeUrl({ client_id: WEB, response_type: 'code' }));
      expect(location(answer).pathname).toBe('/u/login');
    });
  });

  describe('the code flow through the hosted page', () => {
    it('logs in with an emailed code and exchanges the code with PKCE, once', async () => {
      const browser = new Browser(server);
      const { verifier, challenge } = pkce();
      const params = {
        response_type: 'code',
        scope: 'openid email offline_access',
        state: 'xyz',
        nonce: 'n-1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      };
      const back = await emailLogin(browser, 'pkce@example.com', params);
      expect(back.origin + back.pathname).toBe(CALLBACK);
      expect(back.searchParams.get('state')).toBe('xyz');
      const code = back.searchParams.get('code') as string;
      expect(browser.cookies.get('tessera_session')).toBeTruthy();

      const exchange = (codeVerifier: string, redirectUri = CALLBACK) =>
        server.post<Record<string, string>>('/oauth/token', {
          grant_type: 'authorization_code',
          client_id: SPA,
          code,
          code_verifier: codeVerifier,
          redirect_uri: redirectUri,
        });
      const tokens = await exchange(verifier);
      expect(tokens.status).toBe(200);
      const claims = decodeJwt(tokens.body.id_token as string);
      expect(claims).toMatchObject({
        aud: SPA,
        nonce: 'n-1',
        email: 'pkce@example.com',
        email_verified: true,
      });
      expect(claims.sid).toEqual(expect.any(String));
      const reused = await exchange(verifier);
      expect(reused.status).toBe(403);
      expect(reused.body.error).toBe('invalid_grant');

      // The code presented again revoked the refresh token its first exchange gave.
      const refreshed = await server.post<Record<string, string>>('/oauth/token', {
        grant_type: 'refresh_token',
        client_id: SPA,
        refresh_token: tokens.body.refresh_token as string,
      });
      expect(refreshed.status).toBe(403);
      expect(refreshed.body.error).toBe('invalid_grant');
    });

    it('refuses a wrong PKCE verifier and a code sent with another redirect_uri', async () => {
      const browser = new Browser(server);
      const { challenge } = pkce();
      const back = await emailLogin(browser, 'wrong.verifier@example.com', {
        response_type: 'code',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const answer = await server.post<Record<string, string>>('/oauth/token', {
        grant_type: 'authorization_code',
        client_id: SPA,
        code: back.searchParams.get('code') as string,
        code_verifier: pkce().verifier,
        redirect_uri: CALLBACK,
      });
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({
        error: 'invalid_grant',
        error_description: 'Failed to verify code verifier',
      });
    });

    it('says plainly when a code is wrong, then expired; and makes resends wait', async () => {
      const browser = new Browser(server);
      const start = location(await browser.get(authorizeUrl({ response_type: 'token', state: 's' })));
      const sent = await browser.form('/u/login', {
        tx: start.searchParams.get('tx') as string,
        connection: 'email',
        email: 'typo@example.com',
        send: 'code',
      });
      const tx = location(sent).searchParams.get('tx') as string;
      const wrong = await browser.form('/u/login/code', { tx, code: '000000' });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toContain('That code is not right');
      expect(wrong.body).toContain('aria-invalid="true"');

      const early = await browser.form('/u/login/resend', { tx });
      expect(early.status).toBe(429);
      expect(early.body).toMatch(/Wait 30 seconds/);

      server.clock.advance(301_000);
      const [message] = await server.inbox('typo@example.com');
      const expired = await browser.form('/u/login/code', { tx, code: message?.code as string });
      expect(expired.status).toBe(400);
      expect(expired.body).toContain('expired');

      const resent = await browser.form('/u/login/resend', { tx });
      expect(resent.status).toBe(303);
      expect(location(resent).searchParams.get('resent')).toBe('1');
      const [fresh] = await server.inbox('typo@example.com');
      expect(fresh?.code).not.toBe(message?.code);
      const done = await browser.form('/u/login/code', {
        tx: location(resent).searchParams.get('tx') as string,
        code: fresh?.code as string,
      });
      expect(done.status).toBe(303);
      expect(new URLSearchParams(location(done).hash.slice(1)).get('access_token')).toBeTruthy();
    });

    it('reads an SMS number in the chosen country', async () => {
      const browser = new Browser(server);
      const start = location(await browser.get(authorizeUrl({ response_type: 'token', connection: 'sms' })));
      const tx = start.searchParams.get('tx') as string;
      const page = await browser.get(`/u/login?tx=${tx}`, { 'accept-language': 'en-GB,en;q=0.8' });
      expect(page.body).toContain('<option value="GB" selected>');
      expect(page.body).toContain('inputmode="tel"');
      const sent = await browser.form('/u/login', {
        tx,
        connection: 'sms',
        country: 'GB',
        phone_number: '07400 123456',
      });
      expect(sent.status).toBe(303);
      const [message] = await server.inbox('+447400123456');
      expect(message?.code).toMatch(/^\d{6}$/);
      const codePage = await browser.get(location(sent).pathname + location(sent).search);
      expect(codePage.body).toContain('autocomplete="one-time-code"');
      expect(codePage.body).toContain('inputmode="numeric"');
    });

    it('fills the form from login_hint', async () => {
      const browser = new Browser(server);
      const phone = location(
        await browser.get(authorizeUrl({ response_type: 'token', login_hint: '+447400123456' })),
      );
      const phonePage = await browser.get(phone.pathname + phone.search);
      expect(phonePage.body).toContain('<option value="GB" selected>');
      expect(phonePage.body).toContain('value="7400123456"');
      const email = location(
        await browser.get(authorizeUrl({ response_type: 'token', login_hint: 'hint@example.com' })),
      );
      const emailPage = await browser.get(email.pathname + email.search);
      expect(emailPage.body).toContain('value="hint@example.com"');
    });

    it('sends a magic link from the page and starts a session when it is opened', async () => {
      const browser = new Browser(server);
      const { verifier, challenge } = pkce();
      const start = location(
        await browser.get(
          authorizeUrl({
            response_type: 'code',
            state: 'ml',
            code_challenge: challenge,
            code_challenge_method: 'S256',
          }),
        ),
      );
      const tx = start.searchParams.get('tx') as string;
      const sent = await browser.form('/u/login', {
        tx,
        connection: 'email',
        email: 'link@example.com',
        send: 'link',
      });
      expect(location(sent).pathname).toBe('/u/login/link');
      const linkPage = await browser.get(location(sent).pathname + location(sent).search);
      expect(linkPage.body).toContain('Check your email');
      const [message] = await server.inbox('link@example.com');
      const link = new URL(message?.link as string);
      const opened = await browser.get(link.pathname + link.search);
      expect(opened.status).toBe(302);
      const back = location(opened);
      expect(back.searchParams.get('state')).toBe('ml');
      expect(browser.cookies.get('tessera_session')).toBeTruthy();
      const tokens = await server.post('/oauth/token', {
        grant_type: 'authorization_code',
        client_id: SPA,
        code: back.searchParams.get('code') as string,
        code_verifier: verifier,
        redirect_uri: CALLBACK,
      });
      expect(tokens.status).toBe(200);
    });

    it('binds the page to the browser that opened it', async () => {
      const browser = new Browser(server);
      const start = location(await browser.get(authorizeUrl({ response_type: 'token' })));
      const other = new Browser(server);
      const stolen = await other.get(start.pathname + start.search);
      expect(stolen.status).toBe(400);
      expect(stolen.body).toContain('expired');
    });

    it('speaks the language of ui_locales, then of Accept-Language, and wears the app colour', async () => {
      const browser = new Browser(server);
      const es = location(
        await browser.get(authorizeUrl({ response_type: 'token', ui_locales: 'es-MX es' })),
      );
      const page = await browser.get(es.pathname + es.search, { 'accept-language': 'de' });
      expect(page.body).toContain('<html lang="es">');
      expect(page.body).toContain('Inicia sesión en Hosted Shop');
      expect(page.body).toContain(`/ui/brand.css?client_id=${SPA}`);
      const fr = location(await browser.get(authorizeUrl({ response_type: 'token' })));
      const frPage = await browser.get(fr.pathname + fr.search, {
        'accept-language': 'fr-CA,fr;q=0.9,en;q=0.5',
      });
      expect(frPage.body).toContain('Connectez-vous à Hosted Shop');
      const css = await server.get<string>(`/ui/brand.css?client_id=${SPA}`);
      expect(css.body).toContain('--accent: #0f766e');
    });
  });

  describe('sessions', () => {
    it('skip the page for a returning browser, honour prompt and max_age, and expire when idle', async () => {
      const browser = new Browser(server);
      await emailLogin(browser, 'returning@example.com', { response_type: 'token', state: 'a' });

      const again = await browser.get(authorizeUrl({ response_type: 'id_token', nonce: 'n2', state: 'b' }));
      expect(again.status).toBe(302);
      const fragment = new URLSearchParams(location(again).hash.slice(1));
      expect(decodeJwt(fragment.get('id_token') as string).sub).toMatch(/^email\|/);

      const silent = await browser.get(authorizeUrl({ response_type: 'token', prompt: 'none' }));
      expect(new URLSearchParams(location(silent).hash.slice(1)).get('access_token')).toBeTruthy();

      const forced = await browser.get(authorizeUrl({ response_type: 'token', prompt: 'login' }));
      expect(location(forced).pathname).toBe('/u/login');

      server.clock.advance(120_000);
      const tooOld = await browser.get(authorizeUrl({ response_type: 'token', max_age: '60' }));
      expect(location(tooOld).pathname).toBe('/u/login');

      server.clock.advance(259_200_000);
      const idle = await browser.get(authorizeUrl({ response_type: 'token', prompt: 'none' }));
      expect(new URLSearchParams(location(idle).hash.slice(1)).get('error')).toBe('login_required');
    });

    it('end at /v2/logout, which returns only to an allowed URL', async () => {
      const browser = new Browser(server);
      await emailLogin(browser, 'leaving@example.com', { response_type: 'token' });
      const token = browser.cookies.get('tessera_session') as string;

      const refused = await browser.get(
        `/v2/logout?client_id=${SPA}&returnTo=${encodeURIComponent('https://evil.example/')}`,
      );
      expect(refused.status).toBe(400);
      expect(refused.headers.get('location')).toBeNull();
      expect(browser.cookies.has('tessera_session')).toBe(false);

      // The server forgot the session: the old cookie, replayed, is worth nothing.
      browser.cookies.set('tessera_session', token);
      const replay = await browser.get(authorizeUrl({ response_type: 'token', prompt: 'none' }));
      expect(new URLSearchParams(location(replay).hash.slice(1)).get('error')).toBe('login_required');

      await emailLogin(browser, 'leaving@example.com', { response_type: 'token' });
      const out = await browser.get(
        `/v2/logout?client_id=${SPA}&returnTo=${encodeURIComponent(`${APP_ORIGIN}/bye`)}`,
      );
      expect(out.status).toBe(302);
      expect(out.headers.get('location')).toBe(`${APP_ORIGIN}/bye`);
      const after = await browser.get(authorizeUrl({ response_type: 'token', prompt: 'none' }));
      expect(new URLSearchParams(location(after).hash.slice(1)).get('error')).toBe('login_required');

      const bare = await browser.get(`/v2/logout?client_id=${SPA}`);
      expect(bare.headers.get('location')).toBe(`${APP_ORIGIN}/`);
      const page = await browser.get('/v2/logout');
      expect(page.status).toBe(200);
      expect(page.body).toContain('You are signed out');
    });
  });

  describe('response_mode=web_message (silent authentication and popups)', () => {
    /** The message a web-message page would post, and the origin it would post it to. */
    function webMessage(answer: Answer<string>) {
      const holder = /<main id="authorization-response" data-origin="([^"]*)" data-response="([^"]*)"/.exec(
        answer.body,
      );
      if (!holder) throw new Error(`not a web message page (status ${answer.status})`);
      const decodeHtml = (value: string) =>
        value.replace(/&#(\d+);|&quot;|&amp;|&lt;|&gt;/g, (entity, code: string | undefined) =>
          code
            ? String.fromCharCode(Number(code))
            : ({ '&quot;': '"', '&amp;': '&', '&lt;': '<', '&gt;': '>' }[entity] ?? entity),
        );
      return {
        origin: decodeHtml(holder[1] as string),
        response: JSON.parse(decodeHtml(holder[2] as string)) as Record<string, string>,
      };
    }

    it('posts login_required, then a code, to the app origin only, in a page only that origin may frame', async () => {
      const browser = new Browser(server);
      const { verifier, challenge } = pkce();
      const silent = {
        response_type: 'code',
        response_mode: 'web_message',
        prompt: 'none',
        state: 'st-wm',
        nonce: 'n-wm',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      };
      const anonymous = await browser.get(authorizeUrl(silent));
      expect(anonymous.status).toBe(200);
      expect(anonymous.headers.get('location')).toBeNull();
      expect(webMessage(anonymous)).toEqual({
        origin: APP_ORIGIN,
        response: { error: 'login_required', error_description: expect.any(String), state: 'st-wm' },
      });
      const csp = anonymous.headers.get('content-security-policy') ?? '';
      expect(csp).toContain(`frame-ancestors ${APP_ORIGIN}`);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(anonymous.headers.get('x-frame-options')).toBeNull();
      expect(anonymous.body).toContain('<script src="/ui/web-message.js"');
      expect(anonymous.body).not.toMatch(/<script>/);
      const script = await browser.get('/ui/web-message.js');
      expect(script.status).toBe(200);
      expect(script.body).toContain('authorization_response');

      await emailLogin(browser, 'silent@example.com', { response_type: 'token' });
      const answer = await browser.get(authorizeUrl(silent));
      const message = webMessage(answer);
      expect(message.origin).toBe(APP_ORIGIN);
      expect(message.response).toEqual({ code: expect.any(String), state: 'st-wm' });
      const tokens = await server.post<Record<string, string>>('/oauth/token', {
        grant_type: 'authorization_code',
        client_id: SPA,
        code: message.response.code,
        code_verifier: verifier,
        redirect_uri: CALLBACK,
      });
      expect(tokens.status).toBe(200);
      expect(decodeJwt(tokens.body.id_token as string)).toMatchObject({ nonce: 'n-wm' });

      // The implicit flow's tokens travel in the message too.
      const implicit = webMessage(
        await browser.get(
          authorizeUrl({
            response_type: 'token id_token',
            response_mode: 'web_message',
            nonce: 'n',
            state: 's',
          }),
        ),
      );
      expect(implicit.response).toMatchObject({
        access_token: expect.any(String),
        id_token: expect.any(String),
      });
    });

    it('ends the hosted page of a web-message login (a popup) with the message, keeping the opener', async () => {
      const browser = new Browser(server);
      const start = await browser.get(
        authorizeUrl({ response_type: 'token', response_mode: 'web_message', state: 'popup' }),
      );
      const tx = location(start).searchParams.get('tx') as string;
      const page = await browser.get(`/u/login?tx=${tx}`);
      expect(page.headers.get('cross-origin-opener-policy')).toBeNull();
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const codePage = await browser.form('/u/login', {
        tx,
        connection: 'email',
        email: 'popup@example.com',
        send: 'code',
      });
      const [sent] = await server.inbox('popup@example.com');
      const done = await browser.form('/u/login/code', {
        tx: location(codePage).searchParams.get('tx') as string,
        code: sent?.code as string,
      });
      expect(done.status).toBe(200);
      expect(webMessage(done).response).toMatchObject({ access_token: expect.any(String), state: 'popup' });
      // Other pages stay isolated from their opener.
      const normal = await browser.get(authorizeUrl({ response_type: 'token', prompt: 'login' }));
      const other = await browser.get(location(normal).pathname + location(normal).search);
      expect(other.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    });

    it('refuses, on a page, a redirect_uri whose origin the app does not list', async () => {
      const browser = new Browser(server);
      const answer = await browser.get(
        `/authorize?${new URLSearchParams({
          client_id: WEB,
          redirect_uri: CALLBACK,
          response_type: 'code',
          response_mode: 'web_message',
          prompt: 'none',
        })}`,
      );
      expect(answer.status).toBe(400);
      expect(answer.headers.get('location')).toBeNull();
      expect(answer.body).toContain('does not have a registered origin');
      expect(answer.body).not.toContain('authorization-response');
    });

    it('keeps the session cookie SameSite=Lax over plain HTTP', async () => {
      const browser = new Browser(server);
      const start = await browser.get(authorizeUrl({ response_type: 'token' }));
      const tx = location(start).searchParams.get('tx') as string;
      const codePage = await browser.form('/u/login', {
        tx,
        connection: 'email',
        email: 'lax@example.com',
        send: 'code',
      });
      const [sent] = await server.inbox('lax@example.com');
      const done = await server.post<string>(
        '/u/login/code',
        { tx: location(codePage).searchParams.get('tx') as string, code: sent?.code as string },
        { form: true, headers: { cookie: `tessera_login=${browser.cookies.get('tessera_login')}` } },
      );
      const cookie = done.headers.getSetCookie().find((c) => c.startsWith('tessera_session='));
      expect(cookie).toMatch(/SameSite=Lax/i);
      expect(cookie).not.toMatch(/Secure/i);
    });
  });

  describe('POST /co/authenticate and login tickets', () => {
    async function coAuthenticate(browser: Browser, email: string, origin = APP_ORIGIN) {
      const otp = await server.startCode(SPA, { email });
      const answer = await server.post<Record<string, string>>(
        '/co/authenticate',
        { client_id: SPA, username: email, otp, realm: 'email', credential_type: OTP_GRANT },
        { headers: { origin } },
      );
      if (answer.status === 200) {
        const cookie = answer.headers.getSetCookie().find((c) => c.startsWith('tessera_co='));
        browser.cookies.set('tessera_co', cookie?.split(';')[0]?.split('=')[1] ?? '');
      }
      return answer;
    }

    it('answers a single-use ticket that /authorize turns into tokens', async () => {
      const browser = new Browser(server);
      const answer = await coAuthenticate(browser, 'co@example.com');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
      expect(answer.body).toEqual({
        login_ticket: expect.any(String),
        co_verifier: expect.any(String),
        co_id: expect.any(String),
      });
      const path = authorizeUrl({
        response_type: 'token id_token',
        nonce: 'co-nonce',
        state: 'co-state',
        login_ticket: answer.body.login_ticket as string,
        realm: 'email',
      });
      const done = await browser.get(path);
      expect(done.status).toBe(302);
      const fragment = new URLSearchParams(location(done).hash.slice(1));
      expect(fragment.get('state')).toBe('co-state');
      expect(decodeJwt(fragment.get('id_token') as string).nonce).toBe('co-nonce');
      expect(browser.cookies.get('tessera_session')).toBeTruthy();

      const again = await browser.get(path);
      expect(new URLSearchParams(location(again).hash.slice(1)).get('error')).toBe('access_denied');
    });

    it('refuses an origin the app does not allow, a wrong code, and a password', async () => {
      const browser = new Browser(server);
      const foreign = await coAuthenticate(browser, 'foreign@example.com', 'https://phish.example');
      expect(foreign.status).toBe(403);
      expect(foreign.body.error).toBe('access_denied');
      const wrong = await server.post<Record<string, string>>(
        '/co/authenticate',
        {
          client_id: SPA,
          username: 'foreign@example.com',
          otp: '000000',
          realm: 'email',
          credential_type: OTP_GRANT,
        },
        { headers: { origin: APP_ORIGIN } },
      );
      expect(wrong.status).toBe(403);
      expect(wrong.body).toMatchObject({
        error: 'access_denied',
        error_description: 'Wrong email or verification code.',
      });
      const password = await server.post<Record<string, string>>(
        '/co/authenticate',
        { client_id: SPA, username: 'a@example.com', password: 'x', credential_type: 'password' },
        { headers: { origin: APP_ORIGIN } },
      );
      expect(password.status).toBe(400);
    });

    it('falls back to the app verification page without the cookie, and refuses a wrong verifier', async () => {
      const browser = new Browser(server);
      const answer = await coAuthenticate(browser, 'nocookie@example.com');
      browser.cookies.delete('tessera_co');
      const params = {
        response_type: 'token',
        state: 'fb',
        login_ticket: answer.body.login_ticket as string,
      };
      const fallback = await browser.get(authorizeUrl(params));
      expect(fallback.status).toBe(200);
      expect(fallback.body).toContain(
        `data-frame-src="${APP_ORIGIN}/co-verify#origin=${encodeURIComponent(server.url)}"`,
      );
      expect(fallback.body).toContain(`data-co-id="${answer.body.co_id}"`);
      const csp = fallback.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain(`frame-src ${APP_ORIGIN}`);

      const body = { client_id: SPA, redirect_uri: CALLBACK, ...params };
      const ours = { 'sec-fetch-site': 'same-origin' };
      // Only our own fallback page may post a verifier: another site's form could log the visitor in as anyone.
      const crossSite = await browser.form(
        '/authorize',
        { ...body, co_verifier: answer.body.co_verifier as string },
        { 'sec-fetch-site': 'cross-site' },
      );
      expect(new URLSearchParams(location(crossSite).hash.slice(1)).get('error')).toBe('access_denied');

      const retry = await coAuthenticate(browser, 'nocookie@example.com');
      browser.cookies.delete('tessera_co');
      const ticket = { login_ticket: retry.body.login_ticket as string };
      const done = await browser.form(
        '/authorize',
        { ...body, ...ticket, co_verifier: retry.body.co_verifier as string },
        ours,
      );
      expect(done.status).toBe(303);
      expect(new URLSearchParams(location(done).hash.slice(1)).get('access_token')).toBeTruthy();

      const second = await coAuthenticate(browser, 'nocookie@example.com');
      const secondTicket = { login_ticket: second.body.login_ticket as string };
      const forged = await browser.form(
        '/authorize',
        { ...body, ...secondTicket, co_verifier: 'not-the-verifier' },
        ours,
      );
      expect(new URLSearchParams(location(forged).hash.slice(1)).get('error')).toBe('access_denied');
      // One try per ticket: the right verifier after a wrong one is too late.
      const late = await browser.form(
        '/authorize',
        { ...body, ...secondTicket, co_verifier: second.body.co_verifier as string },
        ours,
      );
      expect(new URLSearchParams(location(late).hash.slice(1)).get('error')).toBe('access_denied');
      // An empty verifier (the app's page had none) fails instead of asking again.
      const third = await coAuthenticate(browser, 'nocookie@example.com');
      const empty = await browser.form(
        '/authorize',
        { ...body, login_ticket: third.body.login_ticket as string, co_verifier: '' },
        ours,
      );
      expect(new URLSearchParams(location(empty).hash.slice(1)).get('error')).toBe('access_denied');
    });

    it('lets a ticket expire after a minute', async () => {
      const browser = new Browser(server);
      const answer = await coAuthenticate(browser, 'slow@example.com');
      server.clock.advance(61_000);
      const late = await browser.get(
        authorizeUrl({ response_type: 'token', login_ticket: answer.body.login_ticket as string }),
      );
      expect(new URLSearchParams(location(late).hash.slice(1)).get('error')).toBe('access_denied');
    });
  });
});
