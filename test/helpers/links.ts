import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Answer, TestServer } from './server.ts';

/** The cookie a start sets to bind its code or link to the browser that asked. */
export const LINK_COOKIE = 'tessera_link';

export interface StartedLink {
  /** The magic link from the dev inbox. */
  link: string;
  /** `tessera_link=<value>`, as the browser that started the flow would send it back. */
  cookie: string;
  /** The PKCE verifier of the challenge the start carried (response_type `code`). */
  verifier: string;
}

/** A PKCE challenge for tests that never exchange the code (public applications must send one). */
export const TEST_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * Starts an email link for `clientId` with `authParams` over the defaults (a code flow to
 * `redirectUri` with a PKCE challenge, which a public application must send), as a server-side
 * caller would: no Origin, so the start binds the link to whoever keeps its cookie.
 */
export async function startLink(
  server: TestServer,
  clientId: string,
  email: string,
  redirectUri: string,
  authParams: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<StartedLink> {
  const { verifier, challenge } = pkcePair();
  const responseType = authParams.response_type ?? 'code';
  const start = await server.post(
    '/passwordless/start',
    {
      client_id: clientId,
      connection: 'email',
      email,
      send: 'link',
      authParams: {
        redirect_uri: redirectUri,
        response_type: responseType,
        scope: 'openid email',
        state: `state-${email}`,
        nonce: `nonce-${email}`,
        ...(responseType === 'code' && { code_challenge: challenge, code_challenge_method: 'S256' }),
        ...authParams,
      },
    },
    { headers },
  );
  expect(start.status, JSON.stringify(start.body)).toBe(200);
  expect(start.body).toEqual({ _id: expect.any(String), email, email_verified: false });
  // Over HTTPS the cookie is `__Host-tessera_link`.
  const cookie = start.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${LINK_COOKIE}=`) || c.startsWith(`__Host-${LINK_COOKIE}=`));
  const [message] = await server.inbox(email);
  expect(message?.link).toBeTruthy();
  return { link: message?.link as string, cookie: cookie?.split(';')[0] ?? '', verifier };
}

/** GETs a link the way a browser would, with or without the cookie the start set. */
export function openLink(server: TestServer, link: string, cookie?: string): Promise<Answer<string>> {
  const url = new URL(link);
  return server.get<string>(`${url.pathname}${url.search}`, cookie ? { cookie } : {});
}

export function location(answer: Answer<unknown>): URL {
  const value = answer.headers.get('location');
  expect(value).toBeTruthy();
  return new URL(value as string);
}

/** The hidden fields of the confirmation page's form, decoded from HTML. */
export function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[decodeHtml(match[1] as string)] = decodeHtml(match[2] as string);
  }
  return fields;
}

/**
 * Submits a confirmation page's form as its browser would: its fields (with `changes` over them),
 * and the cookie it set.
 */
export function submitConfirmation(
  server: TestServer,
  page: Answer<string>,
  changes: Record<string, string> = {},
): Promise<Answer<string>> {
  const cookie = page.headers
    .getSetCookie()
    .find((c) => c.startsWith('tessera_confirm=') || c.startsWith('__Host-tessera_confirm='));
  expect(cookie).toMatch(/SameSite=Strict/i);
  return server.post<string>(
    '/passwordless/verify_redirect',
    { ...formFields(page.body), ...changes },
    { form: true, headers: { cookie: (cookie as string).split(';')[0] as string } },
  );
}

export function decodeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(Number.parseInt(n, 16)))
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
