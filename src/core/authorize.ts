import { findConnection } from './applications.ts';
import {
  type AuthorizationRequest,
  checkAuthorizationRequest,
  checkRedirect,
  requestFromParams,
} from './authorization-request.ts';
import { type AuthorizationResponse, successResponse } from './authorization-response.ts';
import type { Context } from './context.ts';
import { AuthError, invalidRequest } from './errors.ts';
import { redeemLoginTicket } from './login-tickets.ts';
import type { Connection } from './model.ts';
import { currentSession, type SessionCookie, sessionServes, startSession } from './sessions.ts';
import { resolveAudience } from './tokens.ts';

/** The query (or form body) of `/authorize`: every value a string. */
export type AuthorizeQuery = Partial<Record<string, string>>;

/** A checked `/authorize` request: where to send the user, and what decides how they log in. */
export interface Authorize {
  request: AuthorizationRequest;
  prompt: string[];
  /** The connection the app asked for; undefined lets the user choose among the app's connections. */
  connection: Connection | undefined;
  loginHint: string | undefined;
  uiLocales: string | undefined;
  /** Seconds: a session older than this is not reused. */
  maxAge: number | undefined;
  loginTicket: string | undefined;
}

/** What the browser holds for this request. */
export interface AuthorizeBrowser {
  sessionToken: string | undefined;
  /** The cross-origin verifier, from the `/co/authenticate` cookie or the fallback page's form. */
  coVerifier: string | undefined;
}

export type AuthorizeOutcome =
  /** Back to the app (tokens or a code); `session` is a cookie to set when this request logged in. */
  | { kind: 'respond'; response: AuthorizationResponse; session?: SessionCookie }
  /** Show the hosted login page. */
  | { kind: 'login' }
  /** Ask the app's cross-origin verification page for the verifier (no third-party cookies). */
  | { kind: 'verify'; coId: string; verificationUrl: string };

/**
 * Most bytes (names and values, UTF-8) one authorize request may carry. A login transaction carries
 * its parameters in the page's URLs, which must stay short enough for every browser and proxy.
 */
export const MAX_AUTHORIZE_LENGTH = 8192;

/**
 * Checks the application and the redirect_uri. Errors here are shown as a page, never sent back to
 * the redirect_uri: it is not trusted yet.
 */
export async function openAuthorizeRequest(
  ctx: Context,
  query: AuthorizeQuery,
): Promise<AuthorizationRequest> {
  let length = 0;
  for (const [name, value] of Object.entries(query))
    length += Buffer.byteLength(name) + Buffer.byteLength(value ?? '');
  if (length > MAX_AUTHORIZE_LENGTH) {
    throw invalidRequest(`The request's parameters are longer than ${MAX_AUTHORIZE_LENGTH} bytes.`);
  }
  const app = query.client_id ? await ctx.store.getApplication(query.client_id) : undefined;
  if (!app) throw invalidRequest('Unknown client_id: the application does not exist.');
  const redirectUri = query.redirect_uri;
  if (redirectUri === undefined || redirectUri === '') {
    throw invalidRequest('Missing required parameter: redirect_uri');
  }
  checkRedirect(app, redirectUri, query.response_mode);
  // An absent response_type stays absent (''), to be refused, rather than defaulting to `code`.
  return requestFromParams(app, redirectUri, { ...query, response_type: query.response_type ?? '' });
}

/** Checks the rest of the request; these errors go back to the (now trusted) redirect_uri. */
export async function checkAuthorize(
  ctx: Context,
  request: AuthorizationRequest,
  query: AuthorizeQuery,
): Promise<Authorize> {
  if (![undefined, 'query', 'fragment', 'web_message'].includes(request.responseMode)) {
    throw invalidRequest('response_mode must be query, fragment or web_message');
  }
  checkAuthorizationRequest(request);
  resolveAudience(ctx, request.audience);
  const prompt = (query.prompt ?? '').split(' ').filter((p) => p.length > 0);
  if (prompt.includes('none') && prompt.length > 1) throw invalidRequest('prompt=none cannot be combined');
  const maxAge = query.max_age === undefined ? undefined : Number(query.max_age);
  if (maxAge !== undefined && !(Number.isInteger(maxAge) && maxAge >= 0)) {
    throw invalidRequest('max_age must be a whole number of seconds');
  }
  const connection =
    query.connection === undefined || query.connection === ''
      ? undefined
      : await findConnection(ctx, request.app, query.connection, 'oauth');
  return {
    request,
    prompt,
    connection,
    loginHint: query.login_hint,
    uiLocales: query.ui_locales,
    maxAge,
    loginTicket: query.login_ticket,
  };
}

/**
 * Decides how an authorize request ends: a login ticket from `/co/authenticate` finishes it; a
 * live session that suits it is reused; otherwise the hosted page is shown, or with
 * `prompt=none` the app hears `login_required`.
 */
export async function authorize(
  ctx: Context,
  authz: Authorize,
  browser: AuthorizeBrowser,
): Promise<AuthorizeOutcome> {
  const { request } = authz;
  if (authz.loginTicket !== undefined) {
    const ticket = await redeemLoginTicket(ctx, request.app, authz.loginTicket, browser.coVerifier);
    if (ticket.kind === 'verify') return ticket;
    const { session, cookie } = await startSession(ctx, ticket.user, browser.sessionToken);
    const response = await successResponse(ctx, request, ticket.user, session);
    return { kind: 'respond', response, session: cookie };
  }
  const active = await currentSession(ctx, browser.sessionToken);
  const fresh =
    active !== undefined &&
    (authz.maxAge === undefined || active.session.auth_time + authz.maxAge * 1000 >= ctx.clock.now());
  const reusable =
    active !== undefined &&
    fresh &&
    !authz.prompt.includes('login') &&
    (authz.connection === undefined || authz.connection.name === active.user.connection) &&
    (await sessionServes(ctx, active, request.app));
  if (reusable && active) {
    const response = await successResponse(ctx, request, active.user, active.session);
    return { kind: 'respond', response };
  }
  if (authz.prompt.includes('none')) {
    throw new AuthError(400, 'login_required', 'The user is not logged in.');
  }
  return { kind: 'login' };
}
