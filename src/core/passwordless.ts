import { authenticateClient, findApplication, findConnection, isRegisteredCallback } from './applications.ts';
import { checkAuthorizationRequest, RESPONSE_TYPES, requestFromParams } from './authorization-request.ts';
import { mayBindBrowser, type RequestSite } from './browser-binding.ts';
import { codeMatches, generateCode, generateLinkSecret, hashCode, hashSecret } from './codes.ts';
import type { Context } from './context.ts';
import { AuthError, badRequest } from './errors.ts';
import { identifierField, normaliseIdentifier } from './identifiers.ts';
import type { Application, AuthParams, Connection, LoginCode } from './model.ts';
import { sendMessage } from './send-message.ts';
import { limitStart, refundStart } from './start-limits.ts';
import { countSms, readSmsNumber, refuseSmsNumber } from './toll-fraud.ts';
import {
  admitVerification,
  countWrongCode,
  identifierLocked,
  settleVerification,
} from './verification-limits.ts';

export interface StartRequest {
  client_id?: unknown;
  client_secret?: unknown;
  connection?: unknown;
  email?: unknown;
  phone_number?: unknown;
  send?: unknown;
  authParams?: unknown;
  language: string | null;
  /** Who asked: forwarded to providers that want it (the SMS gateway). */
  client?: { ip: string | null; user_agent: string | null };
  /** Where the request says it came from: decides whether the start binds this browser. */
  site: RequestSite;
}

export interface StartResult {
  body: Record<string, unknown>;
  /** The cookie that binds the code or link to this browser, when the start may bind it. */
  bindingCookie?: { value: string; maxAge: number };
}

const AUTH_PARAM_KEYS = [
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'nonce',
  'audience',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
] as const;

/** `POST /passwordless/start`: makes a code (or link), stores its hash, and sends it. */
export async function startPasswordless(ctx: Context, req: StartRequest): Promise<StartResult> {
  const app = await findApplication(ctx, req.client_id, 'passwordless');
  authenticateClient(app, req.client_secret, 'passwordless');
  const connection = await findConnection(ctx, app, req.connection, 'passwordless');
  const field = identifierField(connection.strategy);
  const identifier = normaliseIdentifier(connection.strategy, req[field]);
  const send = parseSend(connection, req.send);
  const authParams = parseAuthParams(app, req.authParams, send);
  if (connection.options.disable_signup && !(await ctx.store.findUser(connection.name, field, identifier))) {
    throw badRequest('bad.user', 'Signups are disabled for this connection and the user does not exist');
  }

  return sendLoginCode(ctx, {
    app,
    connection,
    identifier,
    send,
    authParams,
    language: req.language,
    client: req.client,
    bindBrowser: mayBindBrowser(ctx.config.issuer, app, req.site),
  });
}

export interface LoginCodeRequest {
  app: Application;
  connection: Connection;
  identifier: string;
  send: 'code' | 'link';
  authParams: AuthParams;
  language: string | null;
  client?: StartRequest['client'];
  /** Whether the browser that asked gets the binding cookie (see mayBindBrowser). */
  bindBrowser: boolean;
}

/** Makes a code (or link) for an identifier, stores only its hash, and sends it. */
export async function sendLoginCode(ctx: Context, req: LoginCodeRequest): Promise<StartResult> {
  const { app, connection, identifier } = req;
  // Only starts that passed validation are counted: a malformed request spends nobody's budget.
  const phone = connection.strategy === 'sms' ? readSmsNumber(identifier) : null;
  if (phone) refuseSmsNumber(connection, phone);
  await limitStart(ctx, app, connection, identifier);
  if (phone)
    await countSms(
      connection,
      phone,
      ctx.counters,
      (alert) => ctx.log.warn(alert, 'SMS daily budget crossed'),
      (limit) => ctx.metrics.rateLimitHit(limit),
    );
  try {
    return await storeAndSend(ctx, req);
  } catch (error) {
    // Not the request's doing (the database was away): the start costs its identifier nothing,
    // so a user who tries again through an outage is not locked out once it is over.
    if (!(error instanceof AuthError)) await refundStart(ctx, app, connection, identifier).catch(() => {});
    throw error;
  }
}

/** Stores the new code's hash and sends its message; a code whose message never left is deleted. */
async function storeAndSend(ctx: Context, req: LoginCodeRequest): Promise<StartResult> {
  const { app, connection, identifier, send, authParams } = req;
  const options = connection.options;
  const now = ctx.clock.now();
  const id = ctx.random.hex(12);
  const secret =
    send === 'code' ? generateCode(ctx.random, options.totp.length) : generateLinkSecret(ctx.random);
  const ttl = send === 'link' ? (options.link_lifetime ?? options.totp.time_step) : options.totp.time_step;
  // Binds the code or link to the browser that asked (a cookie), for verify_redirect.
  const binding = req.bindBrowser ? ctx.random.token(24) : null;
  await ctx.store.putLoginCode({
    id,
    client_id: app.client_id,
    connection: connection.name,
    identifier,
    send,
    code_hash: hashCode(ctx.secrets.codeKey, id, secret),
    binding_hash: binding === null ? null : hashSecret(binding),
    auth_params: authParams,
    attempts: 0,
    max_attempts: options.max_attempts,
    created_at: now,
    expires_at: now + ttl * 1000,
    consumed_at: null,
  });

  const link = send === 'link' ? magicLink(ctx, app, connection, identifier, secret, authParams) : null;
  try {
    await sendMessage(ctx, {
      application: app,
      connection,
      channel: connection.strategy,
      to: identifier,
      send,
      code: send === 'code' ? secret : null,
      link,
      language: req.language,
      ttl_seconds: ttl,
      ...(req.client && { request: req.client }),
    });
  } catch (error) {
    // A code whose message never left must not stay valid.
    await ctx.store.deleteLoginCode(id);
    throw error;
  }

  const body =
    connection.strategy === 'email'
      ? { _id: id, email: identifier, email_verified: false }
      : { _id: id, phone_number: identifier, phone_verified: false, request_language: req.language };
  return binding === null ? { body } : { body, bindingCookie: { value: binding, maxAge: ttl } };
}

function parseSend(connection: Connection, send: unknown): 'code' | 'link' {
  if (send === undefined || send === null || send === '')
    return connection.strategy === 'email' ? 'link' : 'code';
  if (send === 'code') return 'code';
  if (send === 'link' && connection.strategy === 'email') return 'link';
  if (send === 'link') throw badRequest('bad.send', 'SMS connections send codes only; use send "code"');
  throw badRequest('bad.send', 'send must be "code" or "link"');
}

function parseAuthParams(app: Application, raw: unknown, send: 'code' | 'link'): AuthParams {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    throw badRequest('bad.authParams', 'authParams must be an object');
  }
  const input = (raw ?? {}) as Record<string, unknown>;
  const params: AuthParams = {};
  for (const key of AUTH_PARAM_KEYS) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value.length > 2048) {
      throw badRequest('bad.authParams', `authParams.${key} must be a string of at most 2048 characters`);
    }
    params[key] = value;
  }
  if (params.redirect_uri !== undefined && !isRegisteredCallback(app, params.redirect_uri)) {
    throw badRequest(
      'bad.authParams',
      "authParams.redirect_uri is not one of the application's allowed callback URLs",
    );
  }
  if (params.response_type !== undefined && !RESPONSE_TYPES.has(params.response_type)) {
    throw badRequest(
      'bad.authParams',
      'authParams.response_type must be code, token, id_token or "id_token token"',
    );
  }
  if (send === 'link' && params.redirect_uri === undefined) {
    const fallback = app.callbacks[0];
    if (fallback === undefined) {
      throw badRequest(
        'bad.authParams',
        'authParams.redirect_uri is required: the application has no callback URL',
      );
    }
    params.redirect_uri = fallback;
  }
  if (send === 'link') {
    // A link the application could never complete (a flow it may not use, a public client's code
    // without PKCE) is refused now, not when the user clicks it.
    try {
      checkAuthorizationRequest(requestFromParams(app, params.redirect_uri as string, params));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      throw badRequest('bad.authParams', `authParams: ${error.description}`);
    }
  }
  return params;
}

function magicLink(
  ctx: Context,
  app: Application,
  connection: Connection,
  identifier: string,
  secret: string,
  authParams: AuthParams,
): string {
  const query = new URLSearchParams({
    client_id: app.client_id,
    connection: connection.name,
    [identifierField(connection.strategy)]: identifier,
    verification_code: secret,
    response_type: authParams.response_type ?? 'code',
  });
  for (const key of AUTH_PARAM_KEYS) {
    const value = authParams[key];
    if (value !== undefined && key !== 'response_type') query.set(key, value);
  }
  return `${ctx.config.issuer}passwordless/verify_redirect?${query}`;
}

/** `peek` checks a code without using it up (POST /passwordless/verify); `consume` logs in with it. */
export type CheckMode = 'peek' | 'consume';

/**
 * What the caller may redeem: a typed `code`, or also a magic `link`. A link's secret is accepted
 * only by the link endpoint, so holding a link never skips its same-browser check.
 */
export type Redeemable = 'code' | 'code-or-link';

/** What a verification checks: a secret typed (or linked) for an identifier, from a client IP. */
export interface CodeCheck {
  app: Application;
  connection: Connection;
  identifier: string;
  secret: string;
  /** The client's IP, counted against `rate_limits.verify_failures_per_ip`. */
  ip: string;
}

/**
 * Checks a code or link secret for an identifier. Every check first takes one attempt atomically,
 * so however many requests race, at most `max_attempts` secrets are ever compared; a right
 * secret is then consumed by exactly one of them. The per-IP and per-identifier limits
 * (verification-limits.ts) apply first: an IP past its limit gets 429, and while the identifier is
 * locked a typed code is refused as a wrong one, with its attempt taken, without being compared.
 */
export async function checkCode(
  ctx: Context,
  check: CodeCheck,
  mode: CheckMode,
  redeemable: Redeemable = 'code',
): Promise<LoginCode> {
  const { app, connection, identifier, secret, ip } = check;
  await admitVerification(ctx, ip);
  const wrong = wrongCode(connection);
  const [found, locked] = await Promise.all([
    ctx.store.findLoginCode(app.client_id, connection.name, identifier),
    identifierLocked(ctx, connection, identifier),
  ]);
  if (!found || (found.send === 'link' && redeemable === 'code')) throw wrong;
  const now = ctx.clock.now();
  if (found.send === 'link') return checkLinkSecret(ctx, check, found, mode, now);
  const taken = await ctx.store.takeLoginAttempt(found.id, now);
  if (!taken) {
    const latest = await ctx.store.findLoginCode(app.client_id, connection.name, identifier);
    const exhausted =
      latest?.id === found.id &&
      latest.consumed_at === null &&
      latest.expires_at > now &&
      latest.attempts >= latest.max_attempts;
    throw exhausted ? tooManyAttempts() : wrong;
  }
  const outOfAttempts = () => (taken.attempts >= taken.max_attempts ? tooManyAttempts() : wrong);
  if (locked) throw outOfAttempts();
  if (!codeMatches(ctx.secrets.codeKey, taken.id, secret, taken.code_hash)) {
    await countWrongCode(ctx, connection, identifier);
    throw outOfAttempts();
  }
  if (mode === 'peek') {
    await Promise.all([
      ctx.store.returnLoginAttempt(taken.id),
      settleVerification(ctx, connection, identifier, ip),
    ]);
    return taken;
  }
  if (!(await ctx.store.consumeLoginCode(taken.id, now))) throw wrong;
  await settleVerification(ctx, connection, identifier, ip);
  return taken;
}

/**
 * A magic link's secret (256 bits) cannot be guessed, so it has no attempts to spend: counting
 * wrong secrets against the link would only let anyone who knows the address kill it (posting the
 * confirmation form with a made-up secret). Nor is it locked. A wrong secret counts toward the
 * client's IP alone (admitVerification); the right one is consumed once, atomically.
 */
async function checkLinkSecret(
  ctx: Context,
  check: CodeCheck,
  link: LoginCode,
  mode: CheckMode,
  now: number,
): Promise<LoginCode> {
  const wrong = wrongCode(check.connection);
  if (link.consumed_at !== null || link.expires_at <= now) throw wrong;
  if (!codeMatches(ctx.secrets.codeKey, link.id, check.secret, link.code_hash)) throw wrong;
  if (mode === 'consume' && !(await ctx.store.consumeLoginCode(link.id, now))) throw wrong;
  await settleVerification(ctx, check.connection, check.identifier, check.ip);
  return link;
}

export function wrongCode(connection: Connection): AuthError {
  const what = connection.strategy === 'email' ? 'email' : 'phone number';
  return new AuthError(403, 'invalid_grant', `Wrong ${what} or verification code.`);
}

function tooManyAttempts(): AuthError {
  return new AuthError(
    403,
    'invalid_grant',
    "You've reached the maximum number of attempts. Please try to login again.",
  );
}

export interface VerifyRequest {
  client_id?: unknown;
  connection?: unknown;
  verification_code?: unknown;
  email?: unknown;
  phone_number?: unknown;
}

/**
 * `POST /passwordless/verify`: tells whether a code is right without using it up, so the
 * redirect that follows (auth0.js's flow) can still log in with it. A wrong code costs an attempt.
 */
export async function verifyPasswordless(
  ctx: Context,
  req: VerifyRequest,
  ip: string,
): Promise<{ _id: string }> {
  const app = await findApplication(ctx, req.client_id, 'passwordless');
  const connection = await findConnection(ctx, app, req.connection, 'passwordless');
  const identifier = normaliseIdentifier(connection.strategy, req[identifierField(connection.strategy)]);
  if (typeof req.verification_code !== 'string' || req.verification_code === '') {
    throw badRequest('bad.request', 'Missing required parameter: verification_code');
  }
  const secret = req.verification_code;
  const code = await checkCode(ctx, { app, connection, identifier, secret, ip }, 'peek');
  return { _id: code.id };
}
