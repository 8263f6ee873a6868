import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Auth0Client, GetTokenSilentlyVerboseResponse } from '@auth0/auth0-spa-js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, launchChromiumAllowingThirdPartyCookies } from '../helpers/browser.ts';
import { LiveClock, OTP_GRANT, TestServer } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';

const CLIENT = 'e2e-auth0-spa-js-client';
const SPA_JS = createRequire(import.meta.url).resolve('@auth0/auth0-spa-js/dist/auth0-spa-js.production.js');

type SpaWindow = Window & { ready: Promise<void>; client: Auth0Client };
type Silent = { ok: true; value: GetTokenSilentlyVerboseResponse | undefined } | { ok: false; error: string };

/**
 * The application: one page at `<origin>/spa` that loads auth0-spa-js from its own origin (never a
 * CDN). `?refresh=1` makes the client use refresh tokens instead of the hidden iframe.
 */
async function startSpa(host: string, tessera: () => string, cert?: TestCertificate) {
  const bundle = readFileSync(SPA_JS, 'utf8');
  const listener: RequestListener = (req, res) => {
    if (req.url === '/auth0-spa-js.production.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(bundle);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(spaPage(tessera()));
  };
  const server: Server = cert
    ? createHttpsServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    origin: `${cert ? 'https' : 'http'}://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function spaPage(tessera: string): string {
  return `<!doctype html><title>SPA</title><h1 id="status">loading</h1><pre id="user"></pre>
<script src="/auth0-spa-js.production.js"></script><script>
if (new URLSearchParams(location.search).has('refresh')) sessionStorage.refresh = '1';
const refresh = sessionStorage.refresh === '1';
window.ready = (async () => {
  window.client = await auth0.createAuth0Client({
    domain: ${JSON.stringify(tessera)},
    clientId: ${JSON.stringify(CLIENT)},
    authorizationParams: { redirect_uri: location.origin + '/spa', scope: 'openid profile email' },
    useRefreshTokens: refresh,
    cacheLocation: refresh ? 'localstorage' : 'memory',
  });
  const query = new URLSearchParams(location.search);
  if (query.has('code') || query.has('error')) {
    await client.handleRedirectCallback();
    history.replaceState({}, '', '/spa');
  }
  const user = await client.getUser();
  document.getElementById('status').textContent = user ? 'Signed in' : 'Signed out';
  document.getElementById('user').textContent = user ? user.email : '';
})();
</script>`;
}

function application(origin: string) {
  return {
    client_id: CLIENT,
    name: 'Single Page Shop',
    callbacks: [`${origin}/spa`],
    web_origins: [origin],
    allowed_origins: [origin],
    allowed_logout_urls: [`${origin}/spa`],
    grant_types: [OTP_GRANT, 'authorization_code', 'refresh_token'],
  };
}

/** Drives one SPA in pages of a browser context, and records the /authorize requests it makes. */
class SpaDriver {
  readonly authorize: URL[] = [];

  constructor(
    private readonly server: TestServer,
    private readonly spaOrigin: string,
    readonly page: Page,
  ) {
    page.context().on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === server.url && url.pathname === '/authorize') this.authorize.push(url);
    });
  }

  async open(query = ''): Promise<void> {
    await this.page.goto(`${this.spaOrigin}/spa${query}`);
    await this.ready();
  }

  ready(): Promise<void> {
    return this.page.evaluate(() => (window as unknown as SpaWindow).ready);
  }

  /**
   * loginWithRedirect, the hosted page (an emailed code), back to handleRedirectCallback; with
   * `screenshots`, keeps the hosted page and the signed-in app under that name.
   */
  async logIn(email: string, query = '', screenshots?: string): Promise<void> {
    await this.open(query);
    await this.page.evaluate(() => (window as unknown as SpaWindow).client.loginWithRedirect());
    await this.page.getByLabel('Email address').fill(email);
    if (screenshots) await this.shoot(`${screenshots}-hosted-login.png`);
    await this.page.getByRole('button', { name: 'Email me a code' }).click();
    const [message] = await this.server.inbox(email);
    await this.page.getByLabel('Verification code').fill(message?.code as string);
    await this.page.getByRole('button', { name: 'Continue' }).click();
    await this.page.waitForURL(`${this.spaOrigin}/spa`);
    await this.ready();
    await expect(this.page.locator('#status').textContent()).resolves.toBe('Signed in');
    await expect(this.page.locator('#user').textContent()).resolves.toBe(email);
    if (screenshots) await this.shoot(`${screenshots}-signed-in.png`);
  }

  shoot(name: string): Promise<Buffer> {
    return this.page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
  }

  /** getTokenSilently past the SDK's cache: its detailed answer, or its error code. */
  silently(): Promise<Silent> {
    return this.page.evaluate(async () => {
      try {
        const value = await (window as unknown as SpaWindow).client.getTokenSilently({
          cacheMode: 'off',
          detailedResponse: true,
        });
        return { ok: true as const, value };
      } catch (e) {
        return { ok: false as const, error: (e as { error?: string }).error ?? String(e) };
      }
    });
  }

  /** The last /authorize request, if it was the hidden iframe's. */
  lastIframe(): URL | undefined {
    const last = this.authorize.at(-1);
    return last?.searchParams.get('response_mode') === 'web_message' ? last : undefined;
  }
}

describe('auth0-spa-js 2.27.0 against Tessera over HTTPS, from another site', () => {
  let cert: TestCertificate;
  let server: TestServer;
  let incognito: Browser;
  let thirdParty: { context: BrowserContext; close: () => Promise<void> };
  let spa: Awaited<ReturnType<typeof startSpa>>;

  beforeAll(async () => {
    cert = makeCertificate();
    let tessera = '';
    // https://localhost:<port> and https://127.0.0.1:<port> are different sites.
    spa = await startSpa('localhost', () => tessera, cert);
    [server, incognito, thirdParty] = await Promise.all([
      TestServer.start({
        clock: new LiveClock(),
        ca: cert.pem,
        config: { tls: { cert: cert.certFile, key: cert.keyFile }, applications: [application(spa.origin)] },
      }),
      launchChromium(),
      launchChromiumAllowingThirdPartyCookies({ ignoreHTTPSErrors: true }),
    ]);
    tessera = server.url;
  });
  afterAll(async () => {
    await thirdParty?.close();
    await incognito?.close();
    await server?.close();
    await spa?.close();
    cert?.remove();
  });

  async function incognitoSpa(): Promise<SpaDriver> {
    const context = await incognito.newContext({ ignoreHTTPSErrors: true });
    return new SpaDriver(server, spa.origin, await context.newPage());
  }

  it('loginWithRedirect → handleRedirectCallback → getTokenSilently through the hidden iframe', async () => {
    // A browser that allows third-party cookies sends the SameSite=None session cookie to the
    // iframe on the app's page.
    const app = new SpaDriver(server, spa.origin, await thirdParty.context.newPage());
    await app.logIn('spa.iframe@example.com', '', 'auth0-spa-js');
    expect(app.authorize[0]?.searchParams.get('code_challenge_method')).toBe('S256');

    const silent = await app.silently();
    expect(silent).toMatchObject({ ok: true, value: { access_token: expect.any(String) } });
    expect(app.lastIframe()?.searchParams.get('prompt')).toBe('none');
    if (silent.ok) expect(silent.value?.id_token).toEqual(expect.any(String));

    // A reload forgets the in-memory cache: createAuth0Client's checkSession finds the session
    // through the iframe again.
    const before = app.authorize.length;
    await app.page.reload();
    await app.ready();
    expect(app.authorize.length).toBe(before + 1);
    expect(app.lastIframe()).toBeDefined();
    await expect(app.page.locator('#user').textContent()).resolves.toBe('spa.iframe@example.com');
    await expect(
      app.page.evaluate(() => (window as unknown as SpaWindow).client.isAuthenticated()),
    ).resolves.toBe(true);

    // logout ends the session at /v2/logout; the iframe then hears login_required.
    const loggedOut = app.page.waitForResponse((r) => r.url().startsWith(`${server.url}/v2/logout`));
    const reloaded = app.page.waitForEvent('load');
    await app.page.evaluate(() => {
      void (window as unknown as SpaWindow).client.logout({
        logoutParams: { returnTo: `${location.origin}/spa` },
      });
    });
    expect((await loggedOut).headers().location).toBe(`${spa.origin}/spa`);
    await reloaded;
    await app.ready();
    await expect(app.page.locator('#status').textContent()).resolves.toBe('Signed out');
    await expect(app.silently()).resolves.toEqual({ ok: false, error: 'login_required' });
    await app.page.close();
  });

  it('getTokenSilently with useRefreshTokens: true uses the refresh token, even where third-party cookies are blocked', async () => {
    const app = await incognitoSpa();
    await app.logIn('spa.refresh@example.com', '?refresh=1', 'auth0-spa-js-refresh');
    expect(app.authorize[0]?.searchParams.get('scope')).toContain('offline_access');
    const before = app.authorize.length;
    const grants: (string | null)[] = [];
    app.page.on('request', (request) => {
      if (request.url() === `${server.url}/oauth/token`) {
        grants.push(new URLSearchParams(request.postData() ?? '').get('grant_type'));
      }
    });
    const first = await app.silently();
    const second = await app.silently();
    expect(first).toMatchObject({ ok: true, value: { access_token: expect.any(String) } });
    expect(second).toMatchObject({ ok: true, value: { access_token: expect.any(String) } });
    expect(app.authorize.length).toBe(before);
    expect(grants).toEqual(['refresh_token', 'refresh_token']);
    await app.page.context().close();
  });

  it('loginWithPopup: the hosted page in a popup answers its opener with a web message', async () => {
    const app = await incognitoSpa();
    await app.open();
    const popupOpened = app.page.waitForEvent('popup');
    const loggedIn = app.page.evaluate(async () => {
      const { client } = window as unknown as SpaWindow;
      await client.loginWithPopup();
      return (await client.getUser())?.email;
    });
    const popup = await popupOpened;
    await popup.getByLabel('Email address').fill('spa.popup@example.com');
    await popup.getByRole('button', { name: 'Email me a code' }).click();
    const [message] = await server.inbox('spa.popup@example.com');
    await popup.getByLabel('Verification code').fill(message?.code as string);
    await popup.screenshot({ path: join(ARTIFACTS, 'auth0-spa-js-popup-code.png'), fullPage: true });
    await popup.getByRole('button', { name: 'Continue' }).click();
    await expect(loggedIn).resolves.toBe('spa.popup@example.com');
    expect(app.authorize[0]?.searchParams.get('response_mode')).toBe('web_message');
    await app.page.context().close();
  });

  it('gets login_required from the iframe where third-party cookies are blocked (the default)', async () => {
    // This Chromium by default (like Incognito, Safari and Firefox) keeps Tessera's cookie out of a
    // frame on another site: silent auth needs refresh tokens there, or Tessera on the app's site.
    const app = await incognitoSpa();
    await app.logIn('spa.blocked@example.com');
    await expect(app.silently()).resolves.toEqual({ ok: false, error: 'login_required' });
    expect(app.lastIframe()).toBeDefined();
    await app.page.context().close();
  });
});

describe('auth0-spa-js 2.27.0 against Tessera over plain HTTP, on the same site', () => {
  let server: TestServer;
  let browser: Browser;
  let spa: Awaited<ReturnType<typeof startSpa>>;

  beforeAll(async () => {
    let tessera = '';
    // http://127.0.0.1:<a> and http://127.0.0.1:<b> are the same site: a SameSite=Lax cookie goes
    // to the iframe, even in Incognito. Like a custom domain on the app's own site in production.
    spa = await startSpa('127.0.0.1', () => tessera);
    [server, browser] = await Promise.all([
      TestServer.start({ clock: new LiveClock(), config: { applications: [application(spa.origin)] } }),
      launchChromium(),
    ]);
    tessera = server.url;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await spa?.close();
  });

  it('renews tokens through the hidden iframe', async () => {
    const context = await browser.newContext();
    const app = new SpaDriver(server, spa.origin, await context.newPage());
    await app.logIn('spa.http@example.com');
    await expect(app.silently()).resolves.toMatchObject({
      ok: true,
      value: { access_token: expect.any(String) },
    });
    expect(app.lastIframe()?.searchParams.get('prompt')).toBe('none');
    await context.close();
  });
});
