import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser, hostedEmailLogin, location } from '../helpers/form-browser.ts';
import { formFields, openLink, pkcePair, startLink, submitConfirmation } from '../helpers/links.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';

const CALLBACK = 'https://app.example/callback';
const APP = { client_id: 'cookie-app-000001', name: 'Cookies', callbacks: [CALLBACK] };

/** `name=value` of every Set-Cookie line of an answer, by name, with the lines themselves. */
function setCookies(headers: Headers): Map<string, string> {
  return new Map(headers.getSetCookie().map((line) => [line.split('=', 1)[0] as string, line]));
}

// A page on a sibling host of the same site can set cookies for the whole site, and the browser
// sends them to Tessera too. Over HTTPS Tessera's cookies are `__Host-` ones, which only Tessera's
// own host can set: a planted binding, transaction or session cookie is never read.
describe('cookies over HTTPS', () => {
  let cert: TestCertificate;
  let server: TestServer;

  beforeAll(async () => {
    cert = makeCertificate();
    server = await TestServer.start({
      ca: cert.pem,
      config: {
        tls: { cert: cert.certFile, key: cert.keyFile },
        applications: [{ ...APP, grant_types: [OTP_GRANT, 'authorization_code', 'implicit'] }],
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    cert?.remove();
  });

  const authorizePath = (state: string) =>
    `/authorize?${new URLSearchParams({ client_id: APP.client_id, redirect_uri: CALLBACK, response_type: 'token', state })}`;

  it('names each one __Host-, Secure, HttpOnly and Path=/', async () => {
    const browser = new FormBrowser(server);
    const started = await browser.get(authorizePath('s'));
    const link = await startLink(server, APP.client_id, 'host.prefix@example.com', CALLBACK, {
      response_type: 'token',
    });
    const confirm = await openLink(server, link.link);
    const lines = [
      ...setCookies(started.headers).entries(),
      ...setCookies(confirm.headers).entries(),
      ['__Host-tessera_link', link.cookie] as [string, string],
    ];
    expect(lines.map(([name]) => name).sort()).toEqual([
      '__Host-tessera_confirm',
      '__Host-tessera_link',
      '__Host-tessera_login',
    ]);
    for (const [, line] of [...setCookies(started.headers), ...setCookies(confirm.headers)]) {
      expect(line).toMatch(/; Secure/i);
      expect(line).toMatch(/; HttpOnly/i);
      expect(line).toMatch(/; Path=\//i);
      expect(line).not.toMatch(/Domain=/i);
    }
  });

  it('ignores a binding cookie planted under the bare name: the link still asks first', async () => {
    // The attacker starts a link for their own address and keeps its binding...
    const { link, cookie } = await startLink(server, APP.client_id, 'attacker@example.com', CALLBACK, {
      response_type: 'token',
    });
    const value = cookie.split('=')[1] as string;
    // ...and a sibling host plants it, under the name a plain-HTTP Tessera would use.
    const opened = await openLink(server, link, `tessera_link=${value}`);
    expect(opened.status).toBe(200);
    expect(opened.body).toContain('Continue signing in');
    // The genuine cookie, which no other host can set, still redeems at once.
    expect((await openLink(server, link, `__Host-tessera_link=${value}`)).status).toBe(302);
  });

  it("ignores a login cookie planted under the bare name: the attacker's transaction is not the visitor's", async () => {
    const attacker = new FormBrowser(server);
    const tx = location(await attacker.get(authorizePath('attacker'))).searchParams.get('tx') as string;
    const binding = (attacker.cookies.get('__Host-tessera_login') ??
      attacker.cookies.get('tessera_login')) as string;
    const planted = await server.get(`/u/login?tx=${tx}`, { cookie: `tessera_login=${binding}` });
    expect(planted.status).toBe(400);
    expect((await attacker.get(`/u/login?tx=${tx}`)).status).toBe(200);
  });
});

describe('the hosted login page', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({
      config: { applications: [{ ...APP, grant_types: [OTP_GRANT, 'authorization_code', 'implicit'] }] },
    });
  });
  afterAll(() => server?.close());

  const authorizePath = (params: Record<string, string>) =>
    `/authorize?${new URLSearchParams({ client_id: APP.client_id, redirect_uri: CALLBACK, ...params })}`;

  it('keeps the first tab working when a second tab starts another login', async () => {
    const browser = new FormBrowser(server);
    const first = location(await browser.get(authorizePath({ response_type: 'token', state: 'one' })));
    const second = location(await browser.get(authorizePath({ response_type: 'token', state: 'two' })));
    for (const tab of [first, second]) {
      const sent = await browser.form('/u/login', {
        tx: tab.searchParams.get('tx') as string,
        connection: 'email',
        email: 'two.tabs@example.com',
        send: 'code',
      });
      expect(sent.status).toBe(303);
      expect(location(sent).pathname).toBe('/u/login/code');
    }
  });

  it('answers an address with no code as one with a code of another browser (no oracle)', async () => {
    const probe = (email: string) =>
      server.get<string>(
        `/passwordless/verify_redirect?${new URLSearchParams({
          client_id: APP.client_id,
          connection: 'email',
          email,
          verification_code: 'x',
          redirect_uri: CALLBACK,
          response_type: 'token',
        })}`,
      );
    await server.startCode(APP.client_id, { email: 'has.code@example.com' });
    const withCode = await probe('has.code@example.com');
    const withoutCode = await probe('no.code@example.com');
    expect([withCode.status, withoutCode.status]).toEqual([200, 200]);
    expect(withoutCode.body).toContain('Continue signing in');
    // Continuing gets the same refusal either way.
    for (const page of [withCode, withoutCode]) {
      const posted = await submitConfirmation(server, page);
      expect(posted.status).toBe(303);
      expect(new URLSearchParams(location(posted).hash.slice(1)).get('error')).toBe('access_denied');
    }
  });

  it("tells only the link's holder that its redirect_uri was changed", async () => {
    const other = 'https://app.example/other';
    const dir = mkdtempSync(join(tmpdir(), 'tessera-changed-'));
    const two = await TestServer.start({
      dataDir: dir,
      config: {
        applications: [{ ...APP, callbacks: [CALLBACK, other], grant_types: [OTP_GRANT, 'implicit'] }],
      },
    });
    try {
      const { link } = await startLink(two, APP.client_id, 'changed@example.com', CALLBACK, {
        response_type: 'token',
      });
      const changed = new URL(link);
      changed.searchParams.set('redirect_uri', other);
      expect((await openLink(two, changed.toString())).status).toBe(400);
      changed.searchParams.set('verification_code', 'not-the-secret');
      const probe = await openLink(two, changed.toString());
      expect(probe.status).toBe(200);
      expect(formFields(probe.body).redirect_uri).toBe(other);
    } finally {
      await two.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses parameters too long for the page to carry them, whatever their encoding', async () => {
    // 3,000 emoji: 6,000 JavaScript characters, 12,000 UTF-8 bytes (posted: as a query it would be
    // too long for the HTTP parser already).
    const emoji = await new FormBrowser(server).form('/authorize', {
      client_id: APP.client_id,
      redirect_uri: CALLBACK,
      response_type: 'token',
      state: '😀'.repeat(3000),
    });
    expect(emoji.status).toBe(400);
    expect(emoji.headers.get('location')).toBeNull();
    // Within the limit, but twice as long once escaped: the application hears it is too long.
    const quotes = await new FormBrowser(server).form('/authorize', {
      client_id: APP.client_id,
      redirect_uri: CALLBACK,
      response_type: 'token',
      state: '"'.repeat(4000),
      nonce: '"'.repeat(4000),
    });
    expect(quotes.status).toBe(303);
    expect(new URLSearchParams(location(quotes).hash.slice(1)).get('error_description')).toMatch(/too long/);
  });
});

describe('a login transaction sealed before the application changed', () => {
  it('follows the application as it is now: a public client must now send PKCE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-stale-tx-'));
    const confidential = {
      ...APP,
      client_secret: 'a-secret-of-sixteen-or-more',
      grant_types: [OTP_GRANT, 'authorization_code'],
    };
    let server = await TestServer.start({ dataDir: dir, config: { applications: [confidential] } });
    const browser = new FormBrowser(server);
    try {
      const path = `/authorize?${new URLSearchParams({ client_id: APP.client_id, redirect_uri: CALLBACK, response_type: 'code', state: 's' })}`;
      const tx = location(await browser.get(path)).searchParams.get('tx') as string;
      expect((await browser.get(`/u/login?tx=${tx}`)).status).toBe(200);
      const { client_secret: _, ...publicApp } = confidential;
      const port = server.port;
      await server.close();
      server = await TestServer.start({ dataDir: dir, port, config: { applications: [publicApp] } });
      const stale = new FormBrowser(server);
      for (const [name, value] of browser.cookies) stale.cookies.set(name, value);
      expect((await stale.get(`/u/login?tx=${tx}`)).status).toBe(400);
      // A fresh login with PKCE works.
      const { challenge } = pkcePair();
      const done = await hostedEmailLogin(
        server,
        stale,
        `${path}&code_challenge=${challenge}&code_challenge_method=S256`,
        'stale.tx@example.com',
      );
      expect(location(done).searchParams.get('code')).toBeTruthy();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
