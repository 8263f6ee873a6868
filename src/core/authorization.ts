import { isRegisteredCallback, originAllowed } from './applications.ts';
import { hashSecret } from './codes.ts';
import type { Tessera } from './context.ts';
import { AuthError } from './errors.ts';
import type { Application, AuthParams, User } from './model.ts';
import { grantedScope, issueTokens, resolveAudience } from './tokens.ts';

/** A validated request to send the user back to an application (from /authorize or a magic link). */
export interface AuthorizationRequest {
  app: Application;
  /** Exactly one of the app's callbacks. */
  redirectUri: string;
  responseType: string;
  scope?: string;
  state?: string;
  nonce?: string;
  audience?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  responseMode?: string;
}

const AUTHORIZATION_CODE_TTL_MS = 5 * 60 * 1000;

export const RESPONSE_TYPES = new Set(['code', 'token', 'id_token', 'id_token token', 'token id_token']);
const PKCE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * Checks what can only be answered once the redirect_uri is known to be safe (errors go back to
 * it). The one home of these rules: `/authorize`, a magic link's start and its redemption all ask.
 */
export function checkAuthorizationRequest(req: AuthorizationRequest): void {
  if (!RESPONSE_TYPES.has(req.responseType)) {
    throw new AuthError(
      400,
      'unsupported_response_type',
      'response_type must be code, token, id_token or "id_token token"',
    );
  }
  const types = req.responseType.split(' ');
  if (types.includes('code')) {
    if (!req.app.grant_types.includes('authorization_code')) {
      throw new AuthError(400, 'unauthorized_client', 'The client may not use the authorization code flow');
    }
    checkPkce(req);
  } else {
    if (!req.app.grant_types.includes('implicit')) {
      throw new AuthError(400, 'unauthorized_client', 'The client may not use the implicit flow');
    }
    if (types.includes('id_token') && !req.nonce) {
      throw new AuthError(400, 'invalid_request', 'nonce is required when response_type includes id_token');
    }
  }
}

/**
 * Whether the answer may go to `redirectUri`: one of the application's callbacks, and for a web
 * message also an origin it lists (the message goes to whatever window framed or opened the
 * page, so the redirect_uri being a callback is not enough). Throws the error to show on a page.
 */
export function checkRedirect(app: Application, redirectUri: string, responseMode: string | undefined): void {
  if (!isRegisteredCallback(app, redirectUri)) {
    throw new AuthError(
      400,
      'invalid_request',
      "The redirect_uri is not one of the application's allowed callback URLs.",
    );
  }
  if (responseMode === 'web_message' && !originAllowed(app, new URL(redirectUri).origin)) {
    throw new AuthError(
      400,
      'invalid_request',
      `The specified redirect_uri '${redirectUri}' does not have a registered origin (web_origins or allowed_origins), needed for response_mode=web_message.`,
    );
  }
}

/**
 * A public client's code could be used by whoever intercepts the redirect: PKCE binds it to the
 * client that asked (RFC 9700 §2.1.1), so an application without a secret must send a challenge.
 */
function checkPkce(req: AuthorizationRequest): void {
  const invalid = (description: string) => new AuthError(400, 'invalid_request', description);
  if (req.codeChallenge === undefined) {
    if (req.app.client_secret === undefined) {
      throw invalid('code_challenge is required (PKCE with S256) for applications without a client_secret');
    }
    return;
  }
  if (!['S256', 'plain', undefined].includes(req.codeChallengeMethod)) {
    throw invalid('code_challenge_method must be S256 or plain');
  }
  if (!PKCE_CHALLENGE.test(req.codeChallenge)) {
    throw invalid('code_challenge must be 43 to 128 characters of A-Z a-z 0-9 . _ ~ -');
  }
}

/** The authorize parameters as a link or a login transaction keeps them (no undefined members). */
export function authParamsOf(req: AuthorizationRequest): AuthParams {
  const params: AuthParams = {
    redirect_uri: req.redirectUri,
    response_type: req.responseType,
    scope: req.scope,
    state: req.state,
    nonce: req.nonce,
    audience: req.audience,
    code_challenge: req.codeChallenge,
    code_challenge_method: req.codeChallengeMethod,
    response_mode: req.responseMode,
  };
  for (const key of Object.keys(params) as (keyof AuthParams)[]) {
    if (params[key] === undefined) delete params[key];
  }
  return params;
}

/** The request kept parameters stand for, sending the user back to `redirectUri` of `app`. */
export function requestFromParams(
  app: Application,
  redirectUri: string,
  params: AuthParams,
): AuthorizationRequest {
  return {
    app,
    redirectUri,
    responseType: params.response_type ?? 'code',
    scope: params.scope,
    state: params.state,
    nonce: params.nonce,
    audience: params.audience,
    codeChallenge: params.code_challenge,
    codeChallengeMethod: params.code_challenge_method,
    responseMode: params.response_mode,
  };
}

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
  ctx: Tessera,
  req: AuthorizationRequest,
  user: User,
  session?: LoginSession,
): Promise<AuthorizationResponse> {
  const audience = resolveAudience(ctx, req.audience);
  const scope = grantedScope(req.app, req.scope, audience);
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
  ctx: Tessera,
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
