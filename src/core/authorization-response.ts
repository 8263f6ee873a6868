import type { AuthorizationRequest } from './authorization-request.ts';
import { hashSecret } from './codes.ts';
import type { Context } from './context.ts';
import type { AuthError } from './errors.ts';
import type { User } from './model.ts';
import { grantedScope, issueTokens, resolveAudience } from './tokens.ts';

const AUTHORIZATION_CODE_TTL_MS = 5 * 60 * 1000;

/** The browser session a login belongs to: its id is the tokens' `sid`, its start their `auth_time`. */
export interface LoginSession {
  id: string;
  auth_time: number;
}

/**
 * An authorization response: its parameters and how they reach the application. `query` and
 * `fragment` are a redirect to the redirect_uri; `web_message` is a page that posts them to the
 * redirect_uri's origin (an iframe's parent or a popup's opener), as Auth0's SDKs expect.
 */
export interface AuthorizationResponse {
  redirectUri: string;
  mode: 'query' | 'fragment' | 'web_message';
  params: Record<string, string>;
}

/** The response to a successful login: a code, or tokens (never in a query string). */
export async function successResponse(
  ctx: Context,
  req: AuthorizationRequest,
  user: User,
  session?: LoginSession,
): Promise<AuthorizationResponse> {
  const audience = resolveAudience(ctx, req.audience);
  const scope = grantedScope(ctx, req.app, req.scope, audience);
  const now = ctx.clock.now();
  const authTime = session?.auth_time ?? now;
  const sessionId = session?.id ?? ctx.random.hex(16);
  const types = req.responseType.split(' ');
  if (types.includes('code')) {
    const code = ctx.random.token(32);
    await ctx.store.putAuthorizationCode({
      code_hash: hashSecret(code),
      client_id: req.app.client_id,
      user_id: user.user_id,
      redirect_uri: req.redirectUri,
      scope,
      audience,
      nonce: req.nonce ?? null,
      code_challenge: req.codeChallenge ?? null,
      code_challenge_method: req.codeChallenge === undefined ? null : (req.codeChallengeMethod ?? 'plain'),
      auth_time: authTime,
      session_id: sessionId,
      expires_at: now + AUTHORIZATION_CODE_TTL_MS,
      consumed_at: null,
    });
    return response(req, { code }, 'query');
  }
  // Implicit flow: no refresh token in a URL fragment.
  const implicitScope = scope
    .split(' ')
    .filter((s) => s !== 'offline_access')
    .join(' ');
  const tokens = await issueTokens(ctx, {
    app: req.app,
    user,
    scope:
      types.includes('id_token') && !implicitScope.includes('openid')
        ? `openid ${implicitScope}`.trim()
        : implicitScope,
    audience,
    nonce: req.nonce ?? null,
    authTime,
    sessionId,
  });
  const params: Record<string, string> = {};
  if (types.includes('token')) {
    Object.assign(params, {
      access_token: tokens.access_token,
      token_type: 'Bearer',
      expires_in: String(tokens.expires_in),
      scope: tokens.scope,
    });
  }
  if (types.includes('id_token') && tokens.id_token) params.id_token = tokens.id_token;
  return response(req, params, 'fragment');
}

/** An OAuth error for the (already validated) redirect_uri. */
export function errorResponse(req: AuthorizationRequest, error: AuthError): AuthorizationResponse {
  const mode = req.responseType.includes('token') ? 'fragment' : 'query';
  return response(req, { error: error.error, error_description: error.description }, mode);
}

/** The redirect that carries a `query` or `fragment` response. */
export function responseLocation(res: AuthorizationResponse): string {
  const url = new URL(res.redirectUri);
  const params = new URLSearchParams(res.params);
  if (res.mode === 'fragment') {
    url.hash = params.toString();
  } else {
    for (const [key, value] of params) url.searchParams.set(key, value);
  }
  return url.toString();
}

/** Where to send the browser after a successful login (for flows that always redirect). */
export async function successRedirect(
  ctx: Context,
  req: AuthorizationRequest,
  user: User,
  session?: LoginSession,
): Promise<string> {
  return responseLocation(await successResponse(ctx, redirectOnly(req), user, session));
}

/** Sends an OAuth error back to the (already validated) redirect_uri, as a redirect. */
export function errorRedirect(req: AuthorizationRequest, error: AuthError): string {
  return responseLocation(errorResponse(redirectOnly(req), error));
}

function response(
  req: AuthorizationRequest,
  params: Record<string, string>,
  defaultMode: 'query' | 'fragment',
): AuthorizationResponse {
  const all: Record<string, string> = { ...params };
  if (req.state !== undefined) all.state = req.state;
  // Tokens never go in a query string (they would land in server logs); a code may go in the fragment.
  const mode =
    req.responseMode === 'web_message'
      ? 'web_message'
      : defaultMode === 'query' && req.responseMode === 'fragment'
        ? 'fragment'
        : defaultMode;
  return { redirectUri: req.redirectUri, mode, params: all };
}

/** Magic links are opened from an email, with no window to post to: they always redirect. */
function redirectOnly(req: AuthorizationRequest): AuthorizationRequest {
  return req.responseMode === 'web_message' ? { ...req, responseMode: undefined } : req;
}
