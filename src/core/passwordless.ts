import { authenticateClient, findApplication, findConnection, isRegisteredCallback } from './applications.ts';
import { checkAuthorizationRequest, RESPONSE_TYPES, requestFromParams } from './authorization-request.ts';
import { mayBindBrowser, type RequestSite } from './browser-binding.ts';
import { checkCode } from './code-check.ts';
import { generateCode, generateLinkSecret, hashCode, hashSecret } from './codes.ts';
import type { Context } from './context.ts';
import { AuthError, badRequest } from './errors.ts';
import { identifierField, normaliseIdentifier } from './identifiers.ts';
import type { Application, AuthParams, Connection } from './model.ts';
import { sendMessage } from './send-message.ts';
import { limitStart, refundStart } from './start-limits.ts';
import { appFields } from './tenant-log.ts';
import { countSms, readSmsNumber, refuseSmsNumber } from './toll-fraud.ts';
import { refuseSignupAtStart } from './users.ts';

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
  await refuseSignupAtStart(ctx, connection, identifier);
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
      (limit) => {
        ctx.metrics.rateLimitHit(limit);
        ctx.tenantLog.emit({
          ...startFields(req),
          type: 'api_limit',
          description: 'Too many codes to this number, country or connection',
          details: { limit },
        });
      },
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
  ctx.tenantLog.emit({
    ...startFields(req),
    type: send === 'link' ? 'cls' : 'cs',
    details: { send, channel: connection.strategy },
  });

  const body =
    connection.strategy === 'email'
      ? { _id: id, email: identifier, email_verified: false }
      : { _id: id, phone_number: identifier, phone_verified: false, request_language: req.language };
  return binding === null ? { body } : { body, bindingCookie: { value: binding, maxAge: ttl } };
}

/** What the tenant log says of a start: who asked, for whom, on what. */
function startFields(req: LoginCodeRequest) {
  return {
    ...appFields(req.app),
    connection: req.connection.name,
    user_name: req.identifier,
    ip: req.client?.ip ?? null,
    user_agent: req.client?.user_agent ?? null,
  };
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
