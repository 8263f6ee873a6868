import { isRegisteredCallback, originAllowed } from './applications.ts';
import { AuthError, invalidRequest, unauthorizedClient } from './errors.ts';
import type { Application, AuthParams } from './model.ts';
import { PKCE_VALUE } from './pkce.ts';

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

export const RESPONSE_TYPES = new Set(['code', 'token', 'id_token', 'id_token token', 'token id_token']);

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
      throw unauthorizedClient('The client may not use the authorization code flow');
    }
    checkPkce(req);
  } else {
    if (!req.app.grant_types.includes('implicit')) {
      throw unauthorizedClient('The client may not use the implicit flow');
    }
    if (types.includes('id_token') && !req.nonce) {
      throw invalidRequest('nonce is required when response_type includes id_token');
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
    throw invalidRequest("The redirect_uri is not one of the application's allowed callback URLs.");
  }
  if (responseMode === 'web_message' && !originAllowed(app, new URL(redirectUri).origin)) {
    throw invalidRequest(
      `The specified redirect_uri '${redirectUri}' does not have a registered origin (web_origins or allowed_origins), needed for response_mode=web_message.`,
    );
  }
}

/**
 * A public client's code could be used by whoever intercepts the redirect: PKCE binds it to the
 * client that asked (RFC 9700 §2.1.1), so an application without a secret must send a challenge.
 */
function checkPkce(req: AuthorizationRequest): void {
  if (req.codeChallenge === undefined) {
    if (req.app.client_secret === undefined) {
      throw invalidRequest(
        'code_challenge is required (PKCE with S256) for applications without a client_secret',
      );
    }
    return;
  }
  if (!['S256', 'plain', undefined].includes(req.codeChallengeMethod)) {
    throw invalidRequest('code_challenge_method must be S256 or plain');
  }
  if (!PKCE_VALUE.test(req.codeChallenge)) {
    throw invalidRequest('code_challenge must be 43 to 128 characters of A-Z a-z 0-9 . _ ~ -');
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
