import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium } from '../helpers/browser.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

const CLIENT = 'compat-auth0js-client';

/** auth0.js's browser bundle (a devDependency), served by the application from its own origin. */
const bundle = readFileSync(createRequire(import.meta.url).resolve('auth0-js/dist/auth0.min.js'), 'utf8');

/**
 * auth0.js on an application's own origin: `passwordlessStart`; `passwordlessLogin` through
 * /co/authenticate, then /authorize; `checkSession` through a hidden iframe (web_message).
 */
describe('auth0.js passwordless calls from another origin', () => {
  let server: TestServer;
  let browser: Browser;
  let appOrigin = '';
  let closeApp: () => void;
  const application = () => [
    {
      client_id: CLIENT,
      name: 'auth0.js app',
      callbacks: [`${appOrigin}/callback`],
      allowed_origins: [appOrigin],
      grant_types: [OTP_GRANT, 'implicit'],
      cross_origin_loc: `${appOrigin}/co-verify`,
    },
  ];

  beforeAll(async () => {
    let tessera = '';
    const http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://app.invalid');
      if (url.pathname === '/auth0.min.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end(bundle);
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      // auth0.js checks id_tokens (checkSession, parseHash) against https://<domain>/ unless told
      // otherwise: over plain HTTP the issuer is given, as for an Auth0 custom domain. `?domain=`
      // points the app at another Tessera.
      const domain = url.searchParams.get('domain') ?? tessera;
      const init = `window.webAuth = new auth0.WebAuth({ domain: ${JSON.stringify(domain)}, clientID: '${CLIENT}',
        redirectUri: location.origin + '/callback', responseType: 'token id_token', scope: 'openid email',
        overrides: { __token_issuer: ${JSON.stringify(`${domain}/`)} } });`;
      if (url.pathname === '/login') {
        return res.end(`<script src="/auth0.min.js"></script><script>${init}
          const q = new URLSearchParams(location.search);
          webAuth.passwordlessLogin({ connection: 'email', email: q.get('email'), verificationCode: q.get('otp') },
            (err) => { document.title = 'ERR ' + err.code; });
        </script>`);
      }
      if (url.pathname === '/app') {
        return res.end(`<title>app</title><h1>auth0.js app</h1><pre id="result"></pre>
          <script src="/auth0.min.js"></script><script>${init}</script>`);
      }
      if (url.pathname === '/co-verify') {
        return res.end(
          `<script src="/auth0.min.js"></script><script>${init} webAuth.crossOriginVerification();</script>`,
        );
      }
      // Shows which parameters arrived (names only: no tokens in screenshots).
      res.end(`<title>callback</title><h1>Callback</h1><pre id="received"></pre><script>
        document.getElementById('received').textContent = [...new URLSearchParams(location.hash.slice(1)).keys()].join('\\n');
      </script>`);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    appOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    closeApp = () => http.close();
    server = await TestServer.start({ config: { applications: application() } });
    tessera = server.url;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    closeApp?.();
  });

  for (const cookies of ['kept', 'blocked'] as const) {
    it(`logs in when the browser ${cookies} the /co/authenticate cookie`, async () => {
      const email = `auth0js-${cookies}@example.com`;
      const otp = await server.startCode(CLIENT, { email });
      const context = await browser.newContext();
      if (cookies === 'blocked') {
        // Answer /co/authenticate without its Set-Cookie, as a browser without third-party cookies would.
        await context.route('**/co/authenticate', async (route) => {
          const request = route.request();
          if (request.method() !== 'POST') return route.continue();
          const answer = await fetch(request.url(), {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: appOrigin },
            body: request.postData() ?? '',
          });
          await route.fulfill({
            status: answer.status,
            headers: {
              'content-type': 'application/json',
              'access-control-allow-origin': appOrigin,
              'access-control-allow-credentials': 'true',
            },
            body: await answer.text(),
          });
        });
      }
      const page = await context.newPage();
      const visited: string[] = [];
      page.on('request', (request) => visited.push(new URL(request.url()).pathname));
      await page.goto(`${appOrigin}/login?email=${encodeURIComponent(email)}&otp=${otp}`);
      await page.waitForURL((url) => url.toString().startsWith(`${appOrigin}/callback`));
      expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('id_token')).toBeTruthy();
      expect(visited.includes('/co-verify')).toBe(cookies === 'blocked');
      await context.close();
    });
  }

  /** A page of the app with `webAuth` ready: auth0.js calls are made there with page.evaluate. */
  async function appPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${appOrigin}/app`);
    return page;
  }

  /** Runs `webAuth[method](options, callback)` in the page; the callback's error code or result. */
  function call(page: Page, method: 'passwordlessStart' | 'checkSession', options: object) {
    return page.evaluate(
      ([name, opts]) =>
        new Promise<{ error?: string; description?: string; result?: Record<string, unknown> }>((resolve) => {
          const webAuth = (window as unknown as { webAuth: Record<string, (...a: unknown[]) => void> })
            .webAuth;
          webAuth[name as string]?.(
            opts,
            (
              err: { code?: string; error?: string; description?: string } | null,
              r: Record<string, unknown>,
            ) => {
              const answer = err
                ? { error: err.code ?? err.error, description: err.description }
                : { result: r };
              const shown = document.getElementById('result');
              if (shown)
                shown.textContent = `${name}: ${JSON.stringify(err ? answer : Object.keys(r ?? {}))}`;
              resolve(answer);
            },
          );
        }),
      [method, options] as const,
    );
  }

  /** Starts a call that navigates away (passwordlessLogin): nothing comes back to wait for. */
  function navigateWith(page: Page, method: 'passwordlessLogin', options: object): Promise<void> {
    return page.evaluate(
      ([name, opts]) => {
        const webAuth = (window as unknown as { webAuth: Record<string, (...a: unknown[]) => void> }).webAuth;
        webAuth[name as string]?.(opts, (err: { code?: string } | null) => {
          document.title = `ERR ${err?.code}`;
        });
      },
      [method, options] as const,
    );
  }

  it('passwordlessStart then passwordlessLogin by email, then checkSession through the web-message iframe', async () => {
    const email = 'auth0js-start@example.com';
    const context = await browser.newContext();
    const page = await appPage(context);
    const started = await call(page, 'passwordlessStart', { connection: 'email', send: 'code', email });
    // auth0.js hands the answer over camelCased.
    expect(started.result).toMatchObject({ Id: expect.any(String), email, emailVerified: false });
    const [message] = await server.inbox(email);
    expect(message?.code).toMatch(/^\d{6}$/);
    await page.screenshot({ path: join(ARTIFACTS, 'auth0-js-passwordless-start.png'), fullPage: true });

    await navigateWith(page, 'passwordlessLogin', {
      connection: 'email',
      email,
      verificationCode: message?.code,
    });
    await page.waitForURL((url) => url.toString().startsWith(`${appOrigin}/callback`));
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('access_token')).toBeTruthy();
    await page.screenshot({ path: join(ARTIFACTS, 'auth0-js-passwordless-callback.png'), fullPage: true });

    // checkSession: prompt=none in a hidden iframe, answered by response_mode=web_message. The app
    // and Tessera are on the same site (127.0.0.1), so the SameSite=Lax session cookie goes along.
    const session = await appPage(context);
    const checked = await call(session, 'checkSession', {});
    expect(checked.error, checked.description).toBeUndefined();
    expect(checked.result).toMatchObject({
      accessToken: expect.any(String),
      idTokenPayload: { email, iss: `${server.url}/` },
    });
    await context.close();

    // Another browser has no session: checkSession hears login_required.
    const stranger = await browser.newContext();
    const anonymous = await call(await appPage(stranger), 'checkSession', {});
    expect(anonymous.error).toBe('login_required');
    await stranger.close();
  });

  it('passwordlessStart then passwordlessLogin by SMS, and passwordlessStart errors', async () => {
    const phoneNumber = '+14155550177';
    const context = await browser.newContext();
    const page = await appPage(context);
    const started = await call(page, 'passwordlessStart', { connection: 'sms', send: 'code', phoneNumber });
    expect(started.result).toMatchObject({ Id: expect.any(String), phoneNumber, phoneVerified: false });
    const [message] = await server.inbox(phoneNumber);
    await navigateWith(page, 'passwordlessLogin', {
      connection: 'sms',
      phoneNumber,
      verificationCode: message?.code,
    });
    await page.waitForURL((url) => url.toString().startsWith(`${appOrigin}/callback`));
    const idToken = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('id_token') as string;
    expect(decodeJwt(idToken)).toMatchObject({ aud: CLIENT, sub: expect.stringMatching(/^sms\|/) });

    const again = await appPage(context);
    const badEmail = await call(again, 'passwordlessStart', {
      connection: 'email',
      send: 'code',
      email: 'nope',
    });
    expect(badEmail.error).toBe('bad.email');
    const badPhone = await call(again, 'passwordlessStart', {
      connection: 'sms',
      send: 'code',
      phoneNumber: '4155550100',
    });
    expect(badPhone.error).toBe('bad.phone_number');
    const noConnection = await call(again, 'passwordlessStart', {
      connection: 'fax',
      send: 'code',
      email: 'a@b.co',
    });
    expect(noConnection.error).toBe('bad.connection');
    await context.close();
  });

  it('passwordlessStart with a proof of work: auth0.js reports pow_required, and sends the solution given as an option', async () => {
    const checked = await TestServer.start({
      config: {
        applications: application(),
        proof_of_work: { enabled: true, after_starts_per_ip: 0, difficulty_bits: 8, ttl_s: 120 },
      },
    });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${appOrigin}/app?domain=${encodeURIComponent(checked.url)}`);
      // What an app does (docs/compatibility.md#proof-of-work): read the challenge from the error,
      // solve it with WebCrypto, and call passwordlessStart again with `pow` among its options.
      const outcome = await page.evaluate(async () => {
        type Callback = (
          err: {
            code: string;
            original: { response: { body: { pow?: { challenge: string; difficulty_bits: number } } } };
          } | null,
          result: Record<string, unknown>,
        ) => void;
        const webAuth = (
          window as unknown as { webAuth: { passwordlessStart(o: object, cb: Callback): void } }
        ).webAuth;
        const start = (extra: object) =>
          new Promise<Parameters<Callback>>((resolve) =>
            webAuth.passwordlessStart(
              { connection: 'email', send: 'code', email: 'auth0js-pow@example.com', ...extra },
              (err, result) => resolve([err, result]),
            ),
          );
        const [asked] = await start({});
        const pow = asked?.original.response.body.pow;
        if (!asked || !pow) return { first: asked?.code ?? 'no error' };
        const zeroBits = (d: Uint8Array) => {
          let n = 0;
          for (const b of d) {
            if (b) return n + Math.clz32(b) - 24;
            n += 8;
          }
          return n;
        };
        let nonce = 0;
        for (; ; nonce++) {
          const data = new TextEncoder().encode(`${pow.challenge}:${nonce}`);
          if (zeroBits(new Uint8Array(await crypto.subtle.digest('SHA-256', data))) >= pow.difficulty_bits)
            break;
        }
        const [err, result] = await start({ pow: { challenge: pow.challenge, nonce: String(nonce) } });
        return { first: asked.code, second: err?.code ?? null, result };
      });
      expect(outcome).toMatchObject({
        first: 'pow_required',
        second: null,
        result: { Id: expect.any(String), email: 'auth0js-pow@example.com' },
      });
      expect(await checked.inbox('auth0js-pow@example.com')).toHaveLength(1);
      await context.close();
    } finally {
      await checked.close();
    }
  });

  it('reports a wrong code to the callback function', async () => {
    await server.startCode(CLIENT, { email: 'auth0js-wrong@example.com' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${appOrigin}/login?email=auth0js-wrong%40example.com&otp=000001`);
    await page.waitForFunction(() => document.title.startsWith('ERR'));
    expect(await page.title()).toBe('ERR access_denied');
    await context.close();
  });
});
