import type { Answer, TestServer } from './server.ts';

/**
 * A browser without JavaScript: a cookie jar over the TestServer's fetch, enough for Tessera's own
 * origin. It follows no redirects; `location` reads them.
 */
export class FormBrowser {
  readonly cookies = new Map<string, string>();
  /** Each cookie's Path: like a browser, it sends a cookie only to paths under it. */
  private readonly paths = new Map<string, string>();
  /** Every Set-Cookie line received, newest last (to check cookie attributes). */
  readonly setCookies: string[] = [];

  constructor(private readonly server: TestServer) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Answer<string>> {
    return this.keep(await this.server.get<string>(path, { ...headers, cookie: this.header(path) }));
  }

  async form(path: string, body: Record<string, string>, headers: Record<string, string> = {}) {
    return this.keep(
      await this.server.post<string>(path, body, {
        form: true,
        headers: { ...headers, cookie: this.header(path) },
      }),
    );
  }

  private header(path: string): string {
    const pathname = new URL(path, 'http://tessera.invalid').pathname;
    const sent = (name: string) => {
      const scope = this.paths.get(name) ?? '/';
      return pathname === scope || pathname.startsWith(scope.endsWith('/') ? scope : `${scope}/`);
    };
    return [...this.cookies]
      .filter(([k]) => sent(k))
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  }

  private keep<T>(answer: Answer<T>): Answer<T> {
    for (const line of answer.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else {
        this.cookies.set(name, value);
        this.paths.set(name, /;\s*path=([^;]*)/i.exec(line)?.[1] ?? '/');
      }
    }
    return answer;
  }
}

/** Where a redirect answer points (relative locations against a dummy base). */
export function location(answer: Answer<unknown>): URL {
  const value = answer.headers.get('location');
  if (!value) throw new Error(`no redirect (status ${answer.status})`);
  return new URL(value, 'http://tessera.invalid');
}

/**
 * Logs in on the hosted page with an emailed code, the way a person without JavaScript would:
 * `/authorize` (path and query), the email form, the code from the dev inbox. Returns the last
 * answer: the redirect back to the application (or a web-message page).
 */
export async function hostedEmailLogin(
  server: TestServer,
  browser: FormBrowser,
  authorizePath: string,
  email: string,
): Promise<Answer<string>> {
  const start = await browser.get(authorizePath);
  const page = location(start);
  if (page.pathname !== '/u/login') throw new Error(`expected the login page, got ${page}`);
  const tx = page.searchParams.get('tx') as string;
  const sent = await browser.form('/u/login', { tx, connection: 'email', email, send: 'code' });
  const codePage = location(sent);
  if (codePage.pathname !== '/u/login/code') throw new Error(`code not sent: ${sent.status}`);
  const [message] = await server.inbox(email);
  // The transaction now knows where the code went: the code page's link carries it sealed anew.
  return browser.form('/u/login/code', {
    tx: codePage.searchParams.get('tx') as string,
    code: message?.code as string,
  });
}
