import { isEnabledFor } from './applications.ts';
import {
  type AuthorizationRequest,
  authParamsOf,
  checkAuthorizationRequest,
  checkRedirect,
  requestFromParams,
} from './authorization-request.ts';
import type { Authorize } from './authorize.ts';
import { checkCode } from './code-check.ts';
import { hashSecret, secretsEqual } from './codes.ts';
import type { Context } from './context.ts';
import { AuthError, invalidRequest } from './errors.ts';
import { normaliseEmail, normalisePhoneWithCountry } from './identifiers.ts';
import type { Application, Connection, LoginTransaction, User } from './model.ts';
import { type LoginCodeRequest, sendLoginCode } from './passwordless.ts';
import { openTransaction, sealTransaction, TransactionTooLarge } from './sealed-transaction.ts';
import { completeLogin } from './users.ts';

/** How long the hosted page may take from /authorize to the last step. */
const TRANSACTION_TTL_MS = 30 * 60 * 1000;
/** A new code may be asked for this long after the last one. */
export const RESEND_COOLDOWN_MS = 30 * 1000;

/** A transaction of this browser, with what its pages need. */
export interface OpenTransaction {
  transaction: LoginTransaction;
  /** The transaction sealed, as the page's links and forms carry it (`tx`); sealed anew when it changes. */
  tx: string;
  app: Application;
  request: AuthorizationRequest;
  /** The connections the page offers: the one the app asked for, or every one enabled for it. */
  connections: Connection[];
}

/** What the identifier form sends. */
export interface IdentifierInput {
  connection?: string;
  email?: string;
  country?: string;
  phone_number?: string;
  send?: string;
}

/** Who asked, for the start limit and providers that forward it. */
export interface PageRequest {
  language: string | null;
  client: LoginCodeRequest['client'];
}

/**
 * Starts the hosted-page login of an authorize request, bound to the browser's `binding` token,
 * and returns it sealed (`tx`): nothing is stored (see sealed-transaction.ts).
 */
export async function startLoginTransaction(
  ctx: Context,
  authz: Authorize,
  binding: string,
): Promise<string> {
  const { request } = authz;
  const now = ctx.clock.now();
  const params: LoginTransaction['params'] = {
    ...authParamsOf(request),
    connection: authz.connection?.name,
    login_hint: authz.loginHint,
    ui_locales: authz.uiLocales,
  };
  return sealOrRefuse(ctx, {
    binding_hash: hashSecret(binding),
    client_id: request.app.client_id,
    params: JSON.parse(JSON.stringify(params)) as LoginTransaction['params'],
    connection: null,
    identifier: null,
    send: null,
    sent_at: null,
    created_at: now,
    expires_at: now + TRANSACTION_TTL_MS,
  });
}

/** Seals the transaction; one too large for a URL is a request the application must make shorter. */
async function sealOrRefuse(ctx: Context, transaction: LoginTransaction): Promise<string> {
  try {
    return await sealTransaction(ctx.secrets.transactionKey, transaction);
  } catch (error) {
    if (!(error instanceof TransactionTooLarge)) throw error;
    throw invalidRequest("The request's parameters are too long.");
  }
}

/** The transaction, if it is live and belongs to this browser; otherwise `login_expired`. */
export async function openLoginTransaction(
  ctx: Context,
  tx: string | undefined,
  binding: string | undefined,
): Promise<OpenTransaction> {
  const expired = new AuthError(
    400,
    'login_expired',
    'This sign-in page has expired. Start again from the application.',
  );
  if (!tx || !binding) throw expired;
  const transaction = await openTransaction(ctx.secrets.transactionKey, tx);
  if (!transaction || transaction.expires_at <= ctx.clock.now()) throw expired;
  if (!secretsEqual(hashSecret(binding), transaction.binding_hash)) throw expired;
  const app = await ctx.store.getApplication(transaction.client_id);
  if (!app) throw expired;
  const enabled = (c: Connection) => isEnabledFor(c, app);
  const connections = (await ctx.store.listConnections())
    .filter(enabled)
    .filter((c) => transaction.params.connection === undefined || c.name === transaction.params.connection)
    // Email first, then SMS: the page's first tab is its default.
    .sort((a, b) => (a.strategy === b.strategy ? 0 : a.strategy === 'email' ? -1 : 1));
  const request = requestFromParams(app, transaction.params.redirect_uri as string, transaction.params);
  // The transaction was sealed under the application's settings of then: a callback removed or a
  // client secret taken away since must apply to it too, as to a new /authorize.
  try {
    checkRedirect(app, request.redirectUri, request.responseMode);
    checkAuthorizationRequest(request);
  } catch (error) {
    if (error instanceof AuthError) throw expired;
    throw error;
  }
  return { transaction, tx, app, request, connections };
}

/** Sends a code (or, for email, a link) to the identifier typed on the page. */
export async function sendFromPage(
  ctx: Context,
  open: OpenTransaction,
  input: IdentifierInput,
  page: PageRequest,
): Promise<{ bindingCookie?: { value: string; maxAge: number } }> {
  const connection = open.connections.find((c) => c.name === input.connection) ?? open.connections[0];
  if (!connection)
    throw new AuthError(400, 'no_connection', 'No connection is enabled for this application.');
  const identifier =
    connection.strategy === 'email'
      ? normaliseEmail(input.email)
      : normalisePhoneWithCountry(input.phone_number, input.country);
  const send = connection.strategy === 'email' && input.send === 'link' ? 'link' : 'code';
  return deliver(ctx, open, connection, identifier, send, page);
}

/** Sends a new code or link to the same identifier, once the cooldown has passed. */
export async function resendFromPage(
  ctx: Context,
  open: OpenTransaction,
  page: PageRequest,
): Promise<{ bindingCookie?: { value: string; maxAge: number } }> {
  const { transaction } = open;
  const connection = open.connections.find((c) => c.name === transaction.connection);
  if (!connection || transaction.identifier === null || transaction.send === null) {
    throw new AuthError(400, 'login_expired', 'Enter your email or phone number again.');
  }
  const wait = resendWaitSeconds(ctx, transaction);
  if (wait > 0) {
    ctx.metrics.rateLimitHit('resend_cooldown');
    throw new AuthError(429, 'resend_too_soon', `Wait ${wait} seconds before asking again.`, {
      'retry-after': String(wait),
    });
  }
  return deliver(ctx, open, connection, transaction.identifier, transaction.send, page);
}

/** Seconds until another code may be sent (0: now). */
export function resendWaitSeconds(ctx: Context, transaction: LoginTransaction): number {
  if (transaction.sent_at === null) return 0;
  return Math.max(0, Math.ceil((transaction.sent_at + RESEND_COOLDOWN_MS - ctx.clock.now()) / 1000));
}

async function deliver(
  ctx: Context,
  open: OpenTransaction,
  connection: Connection,
  identifier: string,
  send: 'code' | 'link',
  page: PageRequest,
) {
  const { transaction, app } = open;
  const { connection: _, login_hint: _hint, ui_locales: _locales, ...authParams } = transaction.params;
  const result = await sendLoginCode(ctx, {
    app,
    connection,
    identifier,
    send,
    authParams,
    language: page.language,
    client: page.client,
    // The page's forms are this origin's own, and only work in the browser holding the transaction.
    bindBrowser: true,
  });
  Object.assign(transaction, { connection: connection.name, identifier, send, sent_at: ctx.clock.now() });
  open.tx = await sealOrRefuse(ctx, transaction);
  return { ...(result.bindingCookie && { bindingCookie: result.bindingCookie }) };
}

/**
 * Logs in with the code typed on the page. A failure says why, so the page can say it plainly:
 * `wrong_code`, `expired_code` (expired, used or replaced) or `too_many_attempts`.
 */
export async function verifyFromPage(
  ctx: Context,
  open: OpenTransaction,
  code: string,
  ip: string,
): Promise<User> {
  const { transaction, app } = open;
  const connection = open.connections.find((c) => c.name === transaction.connection);
  if (!connection || transaction.identifier === null) {
    throw new AuthError(400, 'login_expired', 'Enter your email or phone number again.');
  }
  const identifier = transaction.identifier;
  const typed = code.replace(/[\s-]/g, '');
  try {
    await checkCode(ctx, { app, connection, identifier, secret: typed, ip }, 'consume');
  } catch (error) {
    if (!(error instanceof AuthError) || error.error !== 'invalid_grant') throw error;
    const latest = await ctx.store.findLoginCode(app.client_id, connection.name, identifier);
    const now = ctx.clock.now();
    if (!latest || latest.consumed_at !== null || latest.expires_at <= now) {
      throw new AuthError(400, 'expired_code', 'The code has expired or was already used.');
    }
    if (latest.attempts >= latest.max_attempts) {
      throw new AuthError(400, 'too_many_attempts', error.description);
    }
    throw new AuthError(400, 'wrong_code', error.description);
  }
  return completeLogin(ctx, app, connection, identifier, ip);
}
