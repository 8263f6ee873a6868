import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium } from '../helpers/browser.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

const BRANDED = 'e2e-hosted-branded-01';
const PLAIN = 'e2e-hosted-plain-0001';

const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40"><rect width="40" height="40" rx="8" fill="#7c3aed"/><text x="50" y="27" font-family="sans-serif" font-size="18" fill="#1f2933">Harbor Books</text></svg>`;

/**
 * The application side: its callback, its logo, a page that logs in from its own origin the way
 * auth0.js `passwordlessLogin` does, and the cross-origin verification page (`crossOriginVerification`).
 */
async function startApp(tessera: () => string) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app.invalid');
    if (url.pathname === '/logo.svg') {
      res.writeHead(200, { 'content-type': 'image/svg+xml' });
      return res.end(LOGO);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (url.pathname === '/embedded') return res.end(embeddedLoginPage(tessera()));
    if (url.pathname === '/co-verify') return res.end(verificationPage());
    res.end(`<!doctype html><title>Callback</title><h1>Signed in</h1><pre id="url"></pre>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** What auth0.js passwordlessLogin does on another origin: /co/authenticate, keep the verifier, go to /authorize. */
function embeddedLoginPage(tessera: string): string {
  return `<!doctype html><title>Embedded login</title><p id="status">working</p><script>
(async () => {
  const q = new URLSearchParams(location.search);
  const answer = await fetch(${JSON.stringify(tessera)} + '/co/authenticate', {
    method: 'POST',
    credentials: q.get('credentials'),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: q.get('client_id'), username: q.get('email'), otp: q.get('otp'),
      realm: 'email', credential_type: ${JSON.stringify(OTP_GRANT)} }),
  });
  const body = await answer.json();
  if (!answer.ok) { document.getElementById('status').textContent = body.error; return; }
  sessionStorage['co/verifier/' + encodeURIComponent(${JSON.stringify(tessera)}) + '/' + encodeURIComponent(body.co_id)] = body.co_verifier;
  const params = new URLSearchParams({ client_id: q.get('client_id'), response_type: 'token id_token',
    redirect_uri: location.origin + '/callback', nonce: 'embedded-nonce', state: 'embedded', login_ticket: body.login_ticket });
  location.assign(${JSON.stringify(tessera)} + '/authorize?' + params);
})();
</script>`;
}

/** auth0.js crossOriginVerification(): answers co_verifier_request messages from the parent. */
function verificationPage(): string {
  return `<!doctype html><title>Verify</title><script>
const origin = decodeURIComponent(location.hash.slice(1).split('origin=')[1] || '');
addEventListener('message', (evt) => {
  if (!evt.data || evt.data.type !== 'co_verifier_request') return;
  const key = 'co/verifier/' + encodeURIComponent(evt.origin) + '/' + encodeURIComponent(evt.data.request.id);
  const verifier = sessionStorage[key] || '';
  sessionStorage.removeItem(key);
  evt.source.postMessage({ type: 'co_verifier_response', response: { verifier } }, evt.origin);
});
parent.postMessage({ type: 'ready' }, origin);
</script>`;
}

describe('the hosted login page in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    let tesseraUrl = '';
    app = await startApp(() => tesseraUrl);
    const common = {
      callbacks: [`${app.origin}/callback`],
      allowed_origins: [app.origin],
      grant_types: [OTP_GRANT, 'authorization_code', 'implicit'],
    };
    server = await TestServer.start({
      config: {
        applications: [
          {
            ...common,
            client_id: BRANDED,
            name: 'Harbor Books',
            logo_uri: `${app.origin}/logo.svg`,
            primary_color: '#7c3aed',
            cross_origin_loc: `${app.origin}/co-verify`,
          },
          { ...common, client_id: PLAIN, name: 'Plain App' },
        ],
      },
    });
    tesseraUrl = server.url;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
  });

  function authorizeUrl(clientId: string, extra: Record<string, string> = {}) {
    const verifier = randomBytes(32).toString('base64url');
    const params = new URLSearchParams({
      client_id: clientId,
      redirect_uri: `${app.origin}/callback`,
      response_type: 'code',
      scope: 'openid email',
      state: 'st-e2e',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...extra,
    });
    return `${server.url}/authorize?${params}`;
  }

  /** Every URL the page asks for, so a test can check nothing goes to a foreign origin. */
  function recordRequests(page: Page): string[] {
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    return urls;
  }

  function foreign(urls: string[], allowed: string[] = []): string[] {
    const callback = `${app.origin}/callback`;
    return urls.filter(
      (u) => !u.startsWith(`${server.url}/`) && !u.startsWith(callback) && !allowed.includes(u),
    );
  }

  async function latestCode(to: string): Promise<string> {
    const [message] = await server.inbox(to);
    if (!message?.code) throw new Error(`no code for ${to}`);
    return message.code;
  }

  async function expectCallback(page: Page) {
    await page.waitForURL((url) => url.toString().startsWith(`${app.origin}/callback`));
    const url = new URL(page.url());
    const params = url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
    return params;
  }

  it('logs in with an emailed code, says so when a code is wrong, and keeps to its own origin', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const urls = recordRequests(page);
    await page.goto(authorizeUrl(BRANDED));
    await page.getByRole('heading', { name: 'Sign in to Harbor Books' }).waitFor();
    await page.getByRole('img', { name: 'Harbor Books' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-email.png'), fullPage: true });

    await page.getByLabel('Email address').fill('reader@example.com');
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
    await page.getByText('We sent a code to reader@example.com.').waitFor();
    const codeInput = page.getByLabel('Verification code');
    await expect(codeInput.getAttribute('autocomplete')).resolves.toBe('one-time-code');
    await expect(codeInput.getAttribute('inputmode')).resolves.toBe('numeric');
    // The resend button waits out its cooldown.
    await expect(page.getByRole('button', { name: /new one in \d+ s/ }).isDisabled()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-code.png'), fullPage: true });

    const code = await latestCode('reader@example.com');
    await codeInput.fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('That code is not right');
    await expect(page.getByLabel('Verification code').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-wrong-code.png'), fullPage: true });

    await page.getByLabel('Verification code').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    const params = await expectCallback(page);
    expect(params.get('state')).toBe('st-e2e');
    expect(params.get('code')).toBeTruthy();
    expect(foreign(urls, [`${app.origin}/logo.svg`])).toEqual([]);

    // The session: the next authorize goes straight back to the app.
    await page.goto(authorizeUrl(BRANDED, { state: 'again' }));
    expect((await expectCallback(page)).get('state')).toBe('again');
    await context.close();
  });

  it('logs in by SMS with the country picker', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const urls = recordRequests(page);
    await page.goto(authorizeUrl(PLAIN));
    await page.getByRole('link', { name: 'Phone' }).click();
    await expect(page.getByLabel('Country').inputValue()).resolves.toBe('GB');
    await page.getByLabel('Country').selectOption('DE');
    await page.getByLabel('Phone number').fill('0151 23456789');
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-sms.png'), fullPage: true });
    await page.getByRole('button', { name: 'Text me a code' }).click();
    await page.getByText('We texted a code to +4915123456789.').waitFor();
    await page.getByLabel('Verification code').fill(await latestCode('+4915123456789'));
    await page.getByRole('button', { name: 'Continue' }).click();
    expect((await expectCallback(page)).get('code')).toBeTruthy();
    expect(foreign(urls)).toEqual([]);
    await context.close();
  });

  it('sends a magic link and finishes when it is opened in the same browser', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl(PLAIN, { state: 'by-link' }));
    await page.getByLabel('Email address').fill('linked@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-link-sent.png'), fullPage: true });
    const [message] = await server.inbox('linked@example.com');
    await page.goto(message?.link as string);
    const params = await expectCallback(page);
    expect(params.get('state')).toBe('by-link');
    expect(params.get('code')).toBeTruthy();
    await context.close();
  });

  it('speaks Spanish for ui_locales=es', async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(authorizeUrl(BRANDED, { ui_locales: 'es' }));
    await page.getByRole('heading', { name: 'Inicia sesión en Harbor Books' }).waitFor();
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('es');
    await page.getByLabel('Correo electrónico').fill('lector@example.com');
    await page.getByRole('button', { name: 'Enviarme un código' }).click();
    await page.getByRole('heading', { name: 'Escribe tu código' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-es.png'), fullPage: true });
    await context.close();
  });

  it('works with the keyboard alone', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl(PLAIN, { state: 'keys' }));
    // Polled: autofocus and focus moves land a moment after the page or key event, later on a busy machine.
    const focused = () =>
      page.evaluate(
        () => document.activeElement?.getAttribute('name') ?? document.activeElement?.textContent,
      );
    await expect.poll(focused).toBe('email');
    await page.keyboard.type('keys@example.com');
    await page.keyboard.press('Tab');
    await expect.poll(focused).toBe('send');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await expect.poll(focused).toBe('Phone');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/u\/login\/code/);
    await expect.poll(focused).toBe('code');
    await page.keyboard.type(await latestCode('keys@example.com'));
    await page.keyboard.press('Enter');
    expect((await expectCallback(page)).get('state')).toBe('keys');
    await context.close();
  });

  it('fits a phone screen', async () => {
    const context = await browser.newContext({
      viewport: { width: 375, height: 667 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await page.goto(authorizeUrl(BRANDED));
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await expect(overflow()).resolves.toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-phone.png') });
    await page.getByRole('link', { name: 'Phone' }).click();
    await expect(overflow()).resolves.toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-phone-sms.png') });
    await page.getByRole('link', { name: 'Email' }).click();
    await page.getByLabel('Email address').fill('phone@example.com');
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await expect(overflow()).resolves.toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-phone-code.png') });
    await context.close();
  });

  describe('auth0.js passwordlessLogin from the application origin', () => {
    async function embeddedLogin(context: BrowserContext, email: string, credentials: 'include' | 'omit') {
      const otp = await server.startCode(BRANDED, { email });
      const page = await context.newPage();
      const query = new URLSearchParams({ client_id: BRANDED, email, otp, credentials });
      await page.goto(`${app.origin}/embedded?${query}`);
      return expectCallback(page);
    }

    it('completes with the /co/authenticate cookie', async () => {
      const context = await browser.newContext();
      const params = await embeddedLogin(context, 'embedded@example.com', 'include');
      expect(params.get('state')).toBe('embedded');
      expect(params.get('id_token')).toBeTruthy();
      await context.close();
    });

    it('completes through the verification page when the browser kept no cookie', async () => {
      const context = await browser.newContext();
      const params = await embeddedLogin(context, 'nocookie@example.com', 'omit');
      expect(params.get('state')).toBe('embedded');
      expect(params.get('access_token')).toBeTruthy();
      await context.close();
    });
  });
});
