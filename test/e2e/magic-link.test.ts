import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, startCallbackApp } from '../helpers/browser.ts';
import { TEST_CHALLENGE } from '../helpers/links.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

const CLIENT_ID = 'e2e-shop-client-0001';

describe('magic links in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof startCallbackApp>>;

  beforeAll(async () => {
    callback = await startCallbackApp();
    server = await TestServer.start({
      config: {
        applications: [
          {
            client_id: CLIENT_ID,
            name: 'E2E Shop',
            callbacks: [callback.url],
            grant_types: [OTP_GRANT, 'authorization_code', 'implicit'],
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

  const startLink = async (
    request: { post: (url: string, options: object) => Promise<{ status(): number }> },
    email: string,
  ) => {
    const answer = await request.post(`${server.url}/passwordless/start`, {
      data: {
        client_id: CLIENT_ID,
        connection: 'email',
        email,
        send: 'link',
        authParams: {
          redirect_uri: callback.url,
          response_type: 'code',
          code_challenge: TEST_CHALLENGE,
          code_challenge_method: 'S256',
          state: 'st-42',
          scope: 'openid email',
        },
      },
    });
    expect(answer.status()).toBe(200);
    const [message] = await server.inbox(email);
    expect(message?.link).toBeTruthy();
    return message?.link as string;
  };

  it('logs in at once in the browser that asked for the link', async () => {
    const context = await browser.newContext();
    const link = await startLink(context.request, 'same.browser@example.com');
    const page = await context.newPage();
    await page.goto(link);
    expect(page.url()).toContain(callback.url);
    const query = new URL(page.url()).searchParams;
    expect(query.get('state')).toBe('st-42');
    expect(query.get('code')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    await page.screenshot({ path: join(ARTIFACTS, 'magic-link-callback.png') });
    await context.close();
  });

  it('shows another browser (or a mail scanner) a confirmation page, and logs in only on its click', async () => {
    const starter = await browser.newContext();
    const link = await startLink(starter.request, 'other.device@example.com');
    await starter.close();

    const other = await browser.newContext();
    const page = await other.newPage();
    await page.goto(link);
    await expect(
      page.getByRole('heading', { name: /Continue signing in to E2E Shop/ }).isVisible(),
    ).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'magic-link-confirm.png'), fullPage: true });

    // A scanner that only GETs the link twice has not used it up.
    await page.reload();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.toString().startsWith(callback.url));
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    await other.close();
  });

  it('refuses a link whose redirect_uri was changed, on a page and without redirecting', async () => {
    const context = await browser.newContext();
    const link = new URL(await startLink(context.request, 'tampered@example.com'));
    link.searchParams.set('redirect_uri', 'https://evil.example/steal');
    const page = await context.newPage();
    const response = await page.goto(link.toString());
    expect(response?.status()).toBe(400);
    expect(page.url()).toBe(link.toString());
    await expect(page.getByText(/allowed callback URLs/).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'magic-link-error.png') });
    await context.close();
  });

  it('lists sent messages on the dev inbox page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/dev/inbox`);
    await expect(page.getByRole('heading', { name: 'Dev inbox' }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('other.device@example.com').first().isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'dev-inbox.png'), fullPage: true });
    await context.close();
  });
});
