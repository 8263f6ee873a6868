import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, startCallbackApp } from '../helpers/browser.ts';
import { freePort, OTP_GRANT, TestServer } from '../helpers/server.ts';

const CLIENT_ID = 'e2e-csrf-client-0001';
const ATTACKER = 'attacker@evil.example';

/** Serves the pages `pages` maps paths to, on `host:port`: another origin than Tessera's. */
async function startSite(host: string, pages: Record<string, () => string>) {
  const port = await freePort();
  const server: Server = createServer((req, res) => {
    const page = pages[(req.url ?? '/').split('?')[0] as string];
    res.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page ? page() : 'not found');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Login CSRF: a page on another site makes the visitor's browser start a login for the attacker's
// address, then sends the browser to the attacker's code at verify_redirect. The start must not
// bind that browser, or the code would be redeemed at once and the visitor signed in as the
// attacker. An origin the application allows still binds (auth0.js on the app's own page).
describe('a start from another site cannot bind the browser', () => {
  let server: TestServer;
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof startCallbackApp>>;
  let app: Awaited<ReturnType<typeof startSite>>;
  const attackers: Awaited<ReturnType<typeof startSite>>[] = [];
  let verifyUrl = '';

  const attackPages = () => ({
    '/start': () =>
      `<!doctype html><form method="post" action="${server.url}/passwordless/start">
        <input name="client_id" value="${CLIENT_ID}"><input name="connection" value="email">
        <input name="email" value="${ATTACKER}"><input name="send" value="code">
      </form><script>document.forms[0].submit()</script>`,
    '/go': () => `<!doctype html><script>location.href = ${JSON.stringify(verifyUrl)}</script>`,
  });

  beforeAll(async () => {
    callback = await startCallbackApp();
    // 127.0.0.1 on another port is the same site as Tessera; localhost is another site.
    app = await startSite('127.0.0.1', {
      '/app': () => '<!doctype html><title>App</title><h1>App</h1>',
    });
    attackers.push(await startSite('localhost', attackPages()));
    attackers.push(await startSite('127.0.0.1', attackPages()));
    server = await TestServer.start({
      config: {
        applications: [
          {
            client_id: CLIENT_ID,
            name: 'CSRF Shop',
            callbacks: [callback.url],
            allowed_origins: [app.origin],
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
    await app?.close();
    for (const attacker of attackers) await attacker.close();
  });

  const sessionCookie = async (context: BrowserContext) =>
    (await context.cookies(server.url)).find((c) => c.name === 'tessera_session');

  it.each([
    ['another site', 0],
    ['an origin of the same site the application does not allow', 1],
  ])('shows the confirmation page, not a login, after a start posted from %s', async (_, index) => {
    const attacker = attackers[index as number] as Awaited<ReturnType<typeof startSite>>;
    const victim = await browser.newContext();
    const page = await victim.newPage();
    await page.goto(`${attacker.origin}/start`);
    await page.waitForURL((url) => url.toString().startsWith(`${server.url}/passwordless/start`));

    // The attacker reads the code in their own mailbox, then sends the visitor to it.
    const [message] = await server.inbox(ATTACKER);
    expect(message?.code).toMatch(/^\d{6}$/);
    verifyUrl = `${server.url}/passwordless/verify_redirect?${new URLSearchParams({
      client_id: CLIENT_ID,
      connection: 'email',
      email: ATTACKER,
      verification_code: message?.code as string,
      redirect_uri: callback.url,
      response_type: 'token',
      state: 'csrf',
    })}`;
    await page.goto(`${attacker.origin}/go`);
    // Either the confirmation page, or (the hole) straight on to the callback, signed in.
    await page.waitForURL(
      (url) =>
        url.toString().startsWith(`${server.url}/passwordless/verify_redirect`) ||
        url.toString().startsWith(callback.url),
    );
    expect(page.url()).not.toContain(callback.url);
    await expect(
      page.getByRole('heading', { name: /Continue signing in to CSRF Shop/ }).isVisible(),
    ).resolves.toBe(true);
    await expect(page.getByText(ATTACKER).first().isVisible()).resolves.toBe(true);
    expect(await sessionCookie(victim)).toBeUndefined();
    await page.screenshot({ path: join(ARTIFACTS, `cross-site-start-${index}.png`), fullPage: true });
    await victim.close();
  });

  it("binds the browser for a start from the application's own allowed origin", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.origin}/app`);
    const email = 'own.page@example.com';
    const status = await page.evaluate(
      async ({ url, body }) => {
        const answer = await fetch(url, {
          method: 'POST',
          credentials: 'include',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return answer.status;
      },
      {
        url: `${server.url}/passwordless/start`,
        body: {
          client_id: CLIENT_ID,
          connection: 'email',
          email,
          send: 'link',
          authParams: { redirect_uri: callback.url, response_type: 'token', state: 'own' },
        },
      },
    );
    expect(status).toBe(200);
    const [message] = await server.inbox(email);
    await page.goto(message?.link as string);
    await page.waitForURL((url) => url.toString().startsWith(callback.url));
    const fragment = new URLSearchParams(new URL(page.url()).hash.slice(1));
    expect(fragment.get('access_token')).toBeTruthy();
    expect(fragment.get('state')).toBe('own');
    expect(await sessionCookie(context)).toBeDefined();
    await context.close();
  });
});
