import { findApplication, findConnection, isRegisteredCallback } from './applications.ts';
import {
  type AuthorizationRequest,
  checkAuthorizationRequest,
  requestFromParams,
} from './authorization-request.ts';
import { errorRedirect, successRedirect } from './authorization-response.ts';
import { checkCode } from './code-check.ts';
import { codeMatches, hashSecret, secretsEqual } from './codes.ts';
import type { Context } from './context.ts';
import { AuthError, invalidRequest } from './errors.ts';
import { identifierField, normaliseIdentifier } from './identifiers.ts';
import type { Connection, LoginCode } from './model.ts';
import { type SessionCookie, startSession } from './sessions.ts';
import { completeLogin } from './users.ts';

/** The query of `/passwordless/verify_redirect` (a magic link, or auth0.js after a typed code). */
export type LinkParams = Partial<Record<string, string>>;

/** A link whose application and redirect_uri are known good, so later errors may go back to the app. */
export interface OpenedLink {
  request: AuthorizationRequest;
  connection: Connection;
  identifier: string;
  secret: string;
  /** The identifier's current login code, if any (the link's, or a typed code's). */
  code: LoginCode | undefined;
}

/** What to do with a GET of the link. */
export type LinkAction = 'redeem' | 'confirm' | 'refuse';

/**
 * Validates a link's application, connection and redirect_uri. Throws an AuthError (shown as a page,
 * never a redirect) when the redirect_uri cannot be trusted.
 */
export async function openLink(ctx: Context, params: LinkParams): Promise<OpenedLink> {
  const app = await findApplication(ctx, params.client_id, 'passwordless');
  const connection = await findConnection(ctx, app, params.connection, 'passwordless');
  const redirectUri = params.redirect_uri ?? app.callbacks[0];
  if (redirectUri === undefined || !isRegisteredCallback(app, redirectUri)) {
    throw invalidRequest("The redirect_uri is not one of the application's allowed callback URLs.");
  }
  let identifier: string;
  try {
    identifier = normaliseIdentifier(connection.strategy, params[identifierField(connection.strategy)]);
  } catch {
    // What the link itself says, whoever opens it: it tells nothing of any account.
    const what = connection.strategy === 'email' ? 'email address' : 'phone number';
    throw invalidRequest(`This sign-in link names no valid ${what}.`);
  }
  const secret = params.verification_code ?? '';
  const found = await ctx.store.findLoginCode(app.client_id, connection.name, identifier);
  // A mailed link carries the parameters its start asked for; they are kept with it, and a link
  // whose copy of them was changed (another callback, no PKCE) is refused rather than followed.
  // Only the holder of the link's secret learns that, though: to anyone else (who could be
  // probing whether an address has a link out) it is answered as if there were no link.
  const stored = found?.send === 'link' ? found.auth_params : undefined;
  const changed = stored !== undefined && stored.redirect_uri !== redirectUri;
  if (changed && found && codeMatches(ctx.secrets.codeKey, found.id, secret, found.code_hash)) {
    throw invalidRequest('The redirect_uri of this link was changed after it was sent.');
  }
  const code = changed ? undefined : found;
  const request = requestFromParams(app, redirectUri, (changed ? undefined : stored) ?? params);
  return { request, connection, identifier, secret, code };
}

/**
 * A GET redeems a link (or a typed code sent to verify_redirect) only in the browser that asked
 * for it: the binding cookie set by its start matches. Any other browser, such as a mail scanner,
 * gets a confirmation page, or a refusal when the connection does not allow finishing on another
 * device.
 */
export function linkAction(link: OpenedLink, bindingCookie: string | undefined): LinkAction {
  const { code } = link;
  // No code at all is answered as a code of another browser: otherwise the answer would tell
  // anyone who asks whether an address has started a login recently.
  if (
    code !== undefined &&
    bindingCookie !== undefined &&
    code.binding_hash !== null &&
    secretsEqual(hashSecret(bindingCookie), code.binding_hash)
  ) {
    return 'redeem';
  }
  return link.connection.options.cross_device_links ? 'confirm' : 'refuse';
}

/** Where a used link sends the browser, and the session cookie to set when it logged the user in. */
export interface LinkOutcome {
  location: string;
  session?: SessionCookie;
}

/**
 * Uses the link: logs the user in, starting a session in this browser (replacing the one its
 * `sessionToken` names), and returns where to send the browser (success or OAuth error).
 */
export async function redeemLink(
  ctx: Context,
  link: OpenedLink,
  ip: string,
  sessionToken?: string,
): Promise<LinkOutcome> {
  const { request, connection, identifier } = link;
  try {
    checkAuthorizationRequest(request);
    const check = { app: request.app, connection, identifier, secret: link.secret, ip };
    await checkCode(ctx, check, 'consume', 'code-or-link');
    const user = await completeLogin(ctx, request.app, connection, identifier, ip);
    const { session, cookie } = await startSession(ctx, user, sessionToken);
    return { location: await successRedirect(ctx, request, user, session), session: cookie };
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    const code = error.error === 'invalid_grant' ? 'access_denied' : error.error;
    return { location: errorRedirect(request, new AuthError(error.status, code, error.description)) };
  }
}
