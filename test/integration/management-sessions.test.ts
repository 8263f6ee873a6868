import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser, hostedEmailLogin, location } from '../helpers/form-browser.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

// A user's sessions and refresh tokens through the Management API, as Auth0 has them: listed
// with checkpoint paging, shown without the token, revoked at once (the next refresh grant and
// the next prompt=none fail). Deleting a user takes every one of them along, and a blocked user
// cannot log in.

const ADMIN = 'mgmt-sessions-admin';
const USERS_ONLY = 'mgmt-sessions-users';
const APP = 'mgmt-sessions-app';
const SECRET = 'mgmt-sessions-secret-0123456789abcdef';
const CALLBACK = 'https://app.example.com/callback';

const management = (client_id: string, management_scopes: string[]) => ({
  client_id,
  client_secret: SECRET,
  name: client_id,
  app_type: 'non_interactive',
  grant_types: ['client_credentials'],
  management_scopes,
});

const config = {
  connections: [{ name: 'email', strategy: 'email' }],
  applications: [
    management(ADMIN, [
      'read:users',
      'update:users',
      'delete:users',
      'read:sessions',
      'delete:sessions',
      'read:refresh_tokens',
      'delete:refresh_tokens',
    ]),
    management(USERS_ONLY, ['read:users']),
    {
      client_id: APP,
      name: 'Sessions App',
      callbacks: [CALLBACK],
      grant_types: [OTP_GRANT, 'authorization_code', 'refresh_token'],
    },
  ],
};

describe('Management API sessions and refresh tokens', () => {
  let server: TestServer;
  let token = '';
  let weak = '';

  const auth = (bearer = token) => ({ authorization: `Bearer ${bearer}` });
  const get = <T = Record<string, unknown>>(path: string, bearer = token) =>
    server.get<T>(path, auth(bearer));
  const del = (path: string, bearer = token) =>
    server.request<Record<string, unknown>>(path, { method: 'DELETE', headers: auth(bearer) });
  const user = (id: string) => `/api/v2/users/${encodeURIComponent(id)}`;
  const authorizePath = (params: Record<string, string>) =>
    `/authorize?${new URLSearchParams({ client_id: APP, redirect_uri: CALLBACK, ...params })}`;
  const refresh = (refresh_token: string) =>
    server.post<Record<string, string>>('/oauth/token', {
      grant_type: 'refresh_token',
      client_id: APP,
      refresh_token,
    });

  /** A hosted-page login with a code exchange: a session cookie, and a refresh token bound to it. */
  async function browserLogin(email: string) {
    const browser = new FormBrowser(server);
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const done = await hostedEmailLogin(
      server,
      browser,
      authorizePath({
        response_type: 'code',
        scope: 'openid offline_access',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      email,
    );
    const exchanged = await server.post<Record<string, string>>('/oauth/token', {
      grant_type: 'authorization_code',
      client_id: APP,
      code: location(done).searchParams.get('code') as string,
      code_verifier: verifier,
      redirect_uri: CALLBACK,
    });
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    const userId = (await get<{ user_id: string }[]>(`/api/v2/users-by-email?email=${email}`)).body[0]
      ?.user_id as string;
    return { browser, userId, refreshToken: exchanged.body.refresh_token as string };
  }

  /** Whether the browser's session still logs it in silently. */
  async function silent(browser: FormBrowser): Promise<boolean> {
    const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
    const answer = await browser.get(
      authorizePath({
        response_type: 'code',
        prompt: 'none',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    );
    return location(answer).searchParams.has('code');
  }

  beforeAll(async () => {
    server = await TestServer.start({ config });
    [token, weak] = await Promise.all([
      server.managementToken(ADMIN, SECRET),
      server.managementToken(USERS_ONLY, SECRET),
    ]);
  });
  afterAll(() => server?.close());

  it('lists a user’s sessions and refresh tokens, never a token or its hash', async () => {
    const first = await browserLogin('lister@example.com');
    const second = await browserLogin('lister@example.com');
    const sessions = await get<{ sessions: Record<string, unknown>[]; next?: string }>(
      `${user(first.userId)}/sessions`,
    );
    expect(sessions.status).toBe(200);
    expect(sessions.body.sessions).toHaveLength(2);
    expect(sessions.body.sessions[0]).toEqual({
      id: expect.any(String),
      user_id: first.userId,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      authenticated_at: expect.any(String),
      idle_expires_at: expect.any(String),
      expires_at: expect.any(String),
      last_interacted_at: expect.any(String),
    });
    const tokens = await get<{ tokens: Record<string, unknown>[] }>(`${user(first.userId)}/refresh-tokens`);
    expect(tokens.body.tokens).toHaveLength(2);
    expect(tokens.body.tokens[0]).toMatchObject({
      user_id: first.userId,
      client_id: APP,
      rotating: true,
      resource_servers: [{ audience: `${server.issuer}userinfo`, scopes: 'openid offline_access' }],
    });
    const sessionIds = sessions.body.sessions.map((s) => s.id);
    expect(sessionIds).toContain(tokens.body.tokens[0]?.session_id);
    const text = JSON.stringify([sessions.body, tokens.body]);
    for (const secret of [
      first.refreshToken,
      second.refreshToken,
      first.browser.cookies.get('tessera_session'),
    ])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/hash/);

    // Checkpoint paging: one at a time, `next` until the end.
    const page1 = await get<{ sessions: { id: string }[]; next?: string }>(
      `${user(first.userId)}/sessions?take=1`,
    );
    expect(page1.body.sessions).toHaveLength(1);
    expect(page1.body.next).toBe(page1.body.sessions[0]?.id);
    const page2 = await get<{ sessions: { id: string }[]; next?: string }>(
      `${user(first.userId)}/sessions?take=1&from=${page1.body.next}`,
    );
    expect(page2.body.sessions.map((s) => s.id)).toEqual(sessionIds.filter((id) => id !== page1.body.next));
    expect(page2.body.next).toBeUndefined();

    // A rotation keeps the refresh token's id (its family) and records the exchange.
    const id = tokens.body.tokens.find((t) => t.session_id === sessionIds[0])?.id as string;
    expect((await get(`/api/v2/refresh-tokens/${id}`)).body).not.toHaveProperty('last_exchanged_at');
    server.clock.advance(1000);
    const rotated = await refresh([first, second].find((l) => l.refreshToken)?.refreshToken as string);
    expect(rotated.status).toBe(200);
    const after = await get<{ tokens: { id: string; last_exchanged_at?: string }[] }>(
      `${user(first.userId)}/refresh-tokens`,
    );
    expect(after.body.tokens).toHaveLength(2);
    expect(after.body.tokens.some((t) => t.last_exchanged_at !== undefined)).toBe(true);
  });

  it('revokes one refresh token, or all of a user’s, at once', async () => {
    const a = await browserLogin('revoker@example.com');
    const b = await browserLogin('revoker@example.com');
    const listed = await get<{ tokens: { id: string; session_id: string }[] }>(
      `${user(a.userId)}/refresh-tokens`,
    );
    const sessionOfA = (await get<{ sessions: { id: string }[] }>(`${user(a.userId)}/sessions`)).body;
    expect(sessionOfA.sessions).toHaveLength(2);
    // Revoke the token of whichever login came first in the list; the other keeps working.
    const [one, other] = listed.body.tokens as unknown as [{ id: string }, { id: string }];
    expect((await del(`/api/v2/refresh-tokens/${one.id}`)).status).toBe(204);
    expect((await get(`/api/v2/refresh-tokens/${one.id}`)).status).toBe(404);
    expect((await get(`/api/v2/refresh-tokens/${other.id}`)).status).toBe(200);
    const results = await Promise.all([refresh(a.refreshToken), refresh(b.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
    const survivor = results.find((r) => r.status === 200)?.body.refresh_token as string;

    expect((await del(`${user(a.userId)}/refresh-tokens`)).status).toBe(204);
    const denied = await refresh(survivor);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe('invalid_grant');
    expect((await get<{ tokens: unknown[] }>(`${user(a.userId)}/refresh-tokens`)).body.tokens).toEqual([]);
  });

  it('deletes one session, or all of a user’s: prompt=none fails at once', async () => {
    const a = await browserLogin('sessions@example.com');
    const b = await browserLogin('sessions@example.com');
    expect(await silent(a.browser)).toBe(true);
    const listed = await get<{ sessions: { id: string }[] }>(`${user(a.userId)}/sessions`);
    const [first] = listed.body.sessions as [{ id: string }];
    expect((await get(`/api/v2/sessions/${first.id}`)).body).toMatchObject({
      id: first.id,
      user_id: a.userId,
    });
    expect((await del(`/api/v2/sessions/${first.id}`)).status).toBe(204);
    expect((await get(`/api/v2/sessions/${first.id}`)).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'The session does not exist.',
      errorCode: 'inexistent_session',
    });
    expect([await silent(a.browser), await silent(b.browser)].sort()).toEqual([false, true]);

    expect((await del(`${user(a.userId)}/sessions`)).status).toBe(204);
    expect(await silent(a.browser)).toBe(false);
    expect(await silent(b.browser)).toBe(false);
    expect((await get<{ sessions: unknown[] }>(`${user(a.userId)}/sessions`)).body.sessions).toEqual([]);
  });

  it('deletes a user with their sessions, refresh tokens and pending codes', async () => {
    const login = await browserLogin('leaver@example.com');
    await server.post('/passwordless/start', {
      client_id: APP,
      connection: 'email',
      email: 'leaver@example.com',
      send: 'code',
    });
    const [pending] = await server.inbox('leaver@example.com');
    expect((await del(user(login.userId))).status).toBe(204);

    const denied = await refresh(login.refreshToken);
    expect(denied.status).toBe(403);
    expect(await silent(login.browser)).toBe(false);
    // The code sent before the delete no longer logs anyone in (nor makes the user anew).
    const code = await server.otpGrant(APP, 'email', 'leaver@example.com', pending?.code as string);
    expect(code.status).toBe(403);
    expect((await get(`/api/v2/users-by-email?email=leaver@example.com`)).body).toEqual([]);
    expect((await get(`${user(login.userId)}/sessions`)).status).toBe(404);
  });

  it('keeps a blocked user out of every login, and lets them back in once unblocked', async () => {
    const login = await browserLogin('blocked@example.com');
    const patch = (blocked: boolean) =>
      server.request<Record<string, unknown>>(user(login.userId), {
        method: 'PATCH',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ blocked }),
      });
    expect((await patch(true)).status).toBe(200);
    expect(await silent(login.browser)).toBe(false);
    expect((await refresh(login.refreshToken)).status).toBe(403);
    const code = await server.login(APP, { email: 'blocked@example.com' });
    expect(code.status).toBe(403);
    expect(code.body.error_description).toMatch(/blocked/);
    expect((await patch(false)).status).toBe(200);
    expect((await server.login(APP, { email: 'blocked@example.com' })).status).toBe(200);
  });

  it('guards every route with its scope and refuses bad input', async () => {
    const login = await browserLogin('guarded@example.com');
    const routes: [string, string, string][] = [
      ['GET', `${user(login.userId)}/sessions`, 'read:sessions'],
      ['DELETE', `${user(login.userId)}/sessions`, 'delete:sessions'],
      ['GET', `${user(login.userId)}/refresh-tokens`, 'read:refresh_tokens'],
      ['DELETE', `${user(login.userId)}/refresh-tokens`, 'delete:refresh_tokens'],
      ['GET', '/api/v2/sessions/abc', 'read:sessions'],
      ['DELETE', '/api/v2/sessions/abc', 'delete:sessions'],
      ['GET', '/api/v2/refresh-tokens/abc', 'read:refresh_tokens'],
      ['DELETE', '/api/v2/refresh-tokens/abc', 'delete:refresh_tokens'],
    ];
    for (const [method, path, scope] of routes) {
      const none = await server.request<Record<string, unknown>>(path, { method });
      expect(none.status, `${method} ${path}`).toBe(401);
      const scopeless = await server.request<Record<string, unknown>>(path, { method, headers: auth(weak) });
      expect(scopeless.status, `${method} ${path}`).toBe(403);
      expect(scopeless.body.message).toBe(`Insufficient scope, expected any of: ${scope}`);
    }
    for (const query of ['take=0', 'take=101', 'take=x', `from=${'a'.repeat(200)}`, 'take=1&take=2']) {
      const answer = await get(`${user(login.userId)}/sessions?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400, errorCode: 'invalid_query_string' });
    }
    expect((await get(`${user('email|nobody')}/refresh-tokens`)).body).toMatchObject({
      statusCode: 404,
      errorCode: 'inexistent_user',
    });
    const long = await get(`/api/v2/users/${'x'.repeat(300)}/sessions`);
    expect(long.status).toBe(414);
    expect(long.body).toMatchObject({ statusCode: 414, errorCode: expect.any(String) });
  });
});
