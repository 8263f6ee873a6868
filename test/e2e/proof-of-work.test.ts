import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, startCallbackApp } from '../helpers/browser.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

const CLIENT_ID = 'e2e-pow-client-0001';

// The hosted login page when every start needs a proof of work (after_starts_per_ip: 0), at a low
// difficulty: the page's own script must solve it with WebCrypto and go on without the user.
describe('the hosted login page with a proof of work required', () => {
  let server: TestServer;
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof startCallbackApp>>;

  beforeAll(async () => {
    callback = await startCallbackApp();
    server = await TestServer.start({
      config: {
        proof_of_work: { enabled: true, after_starts_per_ip: 0, difficulty_bits: 8, ttl_s: 120 },
        applications: [
          {
            client_id: CLIENT_ID,
            name: 'Checked Shop',
            callbacks: [callback.url],
            grant_types: [OTP_GRANT, 'authorization_code'],
          },
        ],
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await callback?.close();
  });

  function authorizeUrl() {
    const verifier = randomBytes(32).toString('base64url');
    const params = new URLSearchParams({
      client_id: CLIENT_ID,
      redirect_uri: callback.url,
      response_type: 'code',
      scope: 'openid email',
      state: 'st-pow',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    return `${server.url}/authorize?${params}`;
  }

  async function askForCode(page: Page, email: string) {
    await page.goto(authorizeUrl());
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Email me a code' }).click();
  }

  it('checks the browser by itself, then goes on to the code and back to the app, all on its own origin', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    // Holds the solver back until the check page has been photographed.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/ui/pow.js', async (route) => {
      await held;
      await route.continue();
    });

    await askForCode(page, 'checked@example.com');
    await page.getByRole('heading', { name: 'Checking your browser…' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-pow-check.png'), fullPage: true });
    release();

    await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
    await page.getByText('We sent a code to checked@example.com.').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-pow-code.png'), fullPage: true });
    const [message] = await server.inbox('checked@example.com');
    await page.getByLabel('Verification code').fill(message?.code as string);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.toString().startsWith(callback.url));
    const query = new URL(page.url()).searchParams;
    expect(query.get('state')).toBe('st-pow');
    expect(query.get('code')).toBeTruthy();

    // The identifier form was posted twice: once to be asked, once with the solution.
    const posts = urls.filter((u) => u === `${server.url}/u/login`);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(urls.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith(callback.url))).toEqual([]);
    // No CSP violation or script error on the way.
    expect(errors).toEqual([]);
    await context.close();
  });

  it('tells a browser without JavaScript that the check needs it', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await askForCode(page, 'noscript@example.com');
    await page.getByRole('heading', { name: 'Checking your browser…' }).waitFor();
    // Playwright's text search skips <noscript>; the paragraph itself shows.
    const notice = page.locator('noscript > p.error');
    await expect(notice.isVisible()).resolves.toBe(true);
    await expect(notice.textContent()).resolves.toContain('This check needs JavaScript');
    await page.screenshot({ path: join(ARTIFACTS, 'hosted-login-pow-noscript.png'), fullPage: true });
    expect(await server.inbox('noscript@example.com')).toEqual([]);
    await context.close();
  });
});
