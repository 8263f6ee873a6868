import { PASSWORDLESS_OTP_GRANT } from '../config/schema.ts';
import { findApplication, findConnection, originAllowed, requireGrant } from './applications.ts';
import { checkCode, wrongCode } from './code-check.ts';
import { hashSecret, secretsEqual } from './codes.ts';
import type { Context } from './context.ts';
import { AuthError, accessDenied, invalidRequest } from './errors.ts';
import { normaliseIdentifier } from './identifiers.ts';
import type { Application, User } from './model.ts';
import { completeLogin } from './users.ts';

/** The body of `POST /co/authenticate` after schema validation. */
export interface CoAuthenticateRequest {
  client_id?: string;
  username?: string;
  otp?: string;
  realm?: string;
  credential_type?: string;
  password?: string;
}

export interface CoAuthenticateResult {
  body: { login_ticket: string; co_verifier: string; co_id: string };
  /** The verifier again, for the cookie that proves at `/authorize` that this browser asked. */
  verifier: string;
}

/** Seconds a login ticket lives: auth0.js navigates to /authorize right after it gets one. */
export const LOGIN_TICKET_SECONDS = 60;

/**
 * `POST /co/authenticate` (auth0.js `passwordlessLogin` on another origin): checks the code and
 * answers a single-use login ticket, plus a verifier the same browser must show with it.
 */
export async function coAuthenticate(
  ctx: Context,
  req: CoAuthenticateRequest,
  origin: string | undefined,
  ip: string,
): Promise<CoAuthenticateResult> {
  const app = await findApplication(ctx, req.client_id, 'oauth');
  if (origin === undefined || !originAllowed(app, origin)) {
    throw accessDenied(`Origin ${(origin ?? '(none)').slice(0, 200)} is not allowed for this application.`);
  }
  if (req.credential_type !== PASSWORDLESS_OTP_GRANT) {
    throw new AuthError(
      400,
      'unsupported_credential_type',
      `credential_type must be ${PASSWORDLESS_OTP_GRANT}: Tessera has no password logins`,
    );
  }
  requireGrant(app, PASSWORDLESS_OTP_GRANT);
  for (const field of ['realm', 'username', 'otp'] as const) {
    if (!req[field]) throw invalidRequest(`Missing required parameter: ${field}`);
  }
  const connection = await findConnection(ctx, app, req.realm, 'oauth');
  let identifier: string;
  try {
    identifier = normaliseIdentifier(connection.strategy, req.username);
  } catch {
    throw denied(wrongCode(connection));
  }
  let user: User;
  try {
    await checkCode(ctx, { app, connection, identifier, secret: req.otp as string, ip }, 'consume');
    user = await completeLogin(ctx, app, connection, identifier, ip);
  } catch (error) {
    throw error instanceof AuthError ? denied(error) : error;
  }
  const ticket = ctx.random.token(32);
  const verifier = ctx.random.token(32);
  const coId = ctx.random.token(18);
  const now = ctx.clock.now();
  await ctx.store.putLoginTicket({
    ticket_hash: hashSecret(ticket),
    co_id: coId,
    verifier_hash: hashSecret(verifier),
    client_id: app.client_id,
    user_id: user.user_id,
    origin,
    auth_time: now,
    expires_at: now + LOGIN_TICKET_SECONDS * 1000,
    consumed_at: null,
  });
  return { body: { login_ticket: ticket, co_verifier: verifier, co_id: coId }, verifier };
}

/** Wrong codes are `access_denied` here, as Auth0's /co/authenticate answers them. */
function denied(error: AuthError): AuthError {
  if (error.error !== 'invalid_grant') return error;
  return accessDenied(error.description);
}

export type TicketOutcome =
  | { kind: 'login'; user: User }
  | { kind: 'verify'; coId: string; verificationUrl: string };

/**
 * Uses a login ticket at `/authorize`. The browser must show the ticket's verifier (the cookie
 * `/co/authenticate` set, or the app's verification page's answer); without one, and when the app
 * has a verification page, the caller asks that page for it first.
 */
export async function redeemLoginTicket(
  ctx: Context,
  app: Application,
  ticket: string,
  verifier: string | undefined,
): Promise<TicketOutcome> {
  const invalid = accessDenied('The login ticket is invalid, expired or already used.');
  const hash = hashSecret(ticket);
  const now = ctx.clock.now();
  const found = await ctx.store.findLoginTicket(hash);
  if (!found || found.client_id !== app.client_id || found.consumed_at !== null || found.expires_at <= now) {
    throw invalid;
  }
  // An empty verifier (the page found none) is a wrong one, not a reason to ask again.
  if (verifier === undefined) {
    if (app.cross_origin_loc !== undefined) {
      return { kind: 'verify', coId: found.co_id, verificationUrl: app.cross_origin_loc };
    }
    throw accessDenied(
      'The browser did not keep the cross-origin cookie (third-party cookies blocked?) and the application has no cross_origin_loc verification page.',
    );
  }
  // Used up whether or not the verifier matches: a ticket gets one try.
  const consumed = await ctx.store.consumeLoginTicket(hash, now);
  if (!consumed) throw invalid;
  if (!secretsEqual(hashSecret(verifier), consumed.verifier_hash)) {
    throw accessDenied('The cross-origin verifier does not match the login ticket.');
  }
  const user = await ctx.store.getUser(consumed.user_id);
  if (!user || user.blocked) throw accessDenied('user is blocked');
  return { kind: 'login', user };
}
