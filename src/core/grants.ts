import { PASSWORDLESS_OTP_GRANT } from '../config/schema.ts';
import { authenticateClient, findApplication, findConnection, requireGrant } from './applications.ts';
import { checkCode, wrongCode } from './code-check.ts';
import { hashSecret } from './codes.ts';
import type { Context } from './context.ts';
import { AuthError, accessDenied, invalidGrant, invalidRequest, unauthorizedClient } from './errors.ts';
import { type ExchangeNotes, loggedExchange } from './exchange-log.ts';
import { normaliseIdentifier } from './identifiers.ts';
import { issueManagementToken, managementAudience } from './management-tokens.ts';
import type { Application, RefreshToken } from './model.ts';
import { pkceMatches } from './pkce.ts';
import { appFields } from './tenant-log.ts';
import { grantedScope, issueTokens, resolveAudience, type TokenSet } from './tokens.ts';
import { completeLogin } from './users.ts';

/** A token-endpoint request after schema validation: every field a string when present. */
export type TokenRequest = Partial<Record<string, string>>;

function required(body: TokenRequest, field: string): string {
  const value = body[field];
  if (value === undefined || value === '') throw invalidRequest(`Missing required parameter: ${field}`);
  return value;
}

async function clientFor(ctx: Context, body: TokenRequest): Promise<Application> {
  const app = await findApplication(ctx, required(body, 'client_id'), 'oauth');
  authenticateClient(app, body.client_secret, 'oauth');
  return app;
}

/** Grant `http://auth0.com/oauth/grant-type/passwordless/otp`: a code for tokens. */
export async function passwordlessOtpGrant(ctx: Context, body: TokenRequest, ip: string): Promise<TokenSet> {
  const app = await clientFor(ctx, body);
  requireGrant(app, PASSWORDLESS_OTP_GRANT);
  return loginWithCode(ctx, app, {
    realm: required(body, 'realm'),
    username: required(body, 'username'),
    otp: required(body, 'otp'),
    scope: body.scope,
    audience: body.audience,
    ip,
  });
}

/** Legacy `POST /oauth/ro` with `grant_type=password`: the code is the password. */
export async function legacyResourceOwnerGrant(ctx: Context, body: TokenRequest, ip: string) {
  const app = await clientFor(ctx, body);
  if (body.grant_type !== undefined && body.grant_type !== 'password') {
    throw invalidRequest('grant_type must be "password"');
  }
  requireGrant(app, PASSWORDLESS_OTP_GRANT, 'password');
  const tokens = await loginWithCode(ctx, app, {
    realm: required(body, 'connection'),
    username: required(body, 'username'),
    otp: required(body, 'password'),
    scope: body.scope,
    audience: undefined,
    ip,
  });
  return { id_token: tokens.id_token, access_token: tokens.access_token, token_type: 'bearer' };
}

interface CodeLogin {
  realm: string;
  username: string;
  otp: string;
  scope: string | undefined;
  audience: string | undefined;
  ip: string;
}

async function loginWithCode(ctx: Context, app: Application, login: CodeLogin): Promise<TokenSet> {
  const connection = await findConnection(ctx, app, login.realm, 'oauth');
  const audience = resolveAudience(ctx, login.audience);
  let identifier: string;
  try {
    identifier = normaliseIdentifier(connection.strategy, login.username);
  } catch {
    throw wrongCode(connection);
  }
  await checkCode(ctx, { app, connection, identifier, secret: login.otp, ip: login.ip }, 'consume');
  const user = await completeLogin(ctx, app, connection, identifier, login.ip);
  const now = ctx.clock.now();
  return issueTokens(ctx, {
    app,
    user,
    scope: grantedScope(ctx, app, login.scope, audience),
    audience,
    nonce: null,
    authTime: now,
    sessionId: ctx.random.hex(16),
  });
}

/** Grant `authorization_code`: single use, bound to client and redirect_uri, PKCE checked. */
export function authorizationCodeGrant(ctx: Context, body: TokenRequest, ip?: string): Promise<TokenSet> {
  return loggedExchange(ctx, 'authorization_code', { client_id: body.client_id, ip }, async (notes) => {
    notes.app = await clientFor(ctx, body);
    return exchangeAuthorizationCode(ctx, body, notes);
  });
}

async function exchangeAuthorizationCode(
  ctx: Context,
  body: TokenRequest,
  notes: ExchangeNotes,
): Promise<TokenSet> {
  const app = notes.app as Application;
  requireGrant(app, 'authorization_code');
  const codeHash = hashSecret(required(body, 'code'));
  const invalid = invalidGrant('Invalid authorization code');
  const now = ctx.clock.now();
  const refreshFamily = ctx.random.hex(12);
  const stored = await ctx.store.consumeAuthorizationCode(codeHash, now, refreshFamily);
  if (!stored) {
    // Presented again after its exchange: whoever holds it now may not be who exchanged it, so
    // what that exchange issued is revoked (RFC 6749 §4.1.2).
    const issued = await ctx.store.markAuthorizationCodeReused(codeHash, now);
    if (issued !== undefined) await ctx.store.revokeRefreshFamily(issued, now);
    throw invalid;
  }
  if (stored.client_id !== app.client_id) throw invalid;
  if (stored.redirect_uri !== body.redirect_uri) {
    throw invalidGrant('redirect_uri does not match the one of the authorization request');
  }
  if (
    stored.code_challenge !== null &&
    !pkceMatches(stored.code_challenge, stored.code_challenge_method, body.code_verifier)
  ) {
    throw invalidGrant('Failed to verify code verifier');
  }
  const user = await ctx.store.getUser(stored.user_id);
  if (user) notes.user = user;
  if (!user || user.blocked) throw invalid;
  const tokens = await issueTokens(ctx, {
    app,
    user,
    scope: stored.scope,
    audience: stored.audience,
    nonce: stored.nonce,
    authTime: stored.auth_time,
    sessionId: stored.session_id,
    refreshFamily,
  });
  // A second exchange may have come while the refresh token was being made, before it was stored
  // for it to revoke: then it goes now.
  if (tokens.refresh_token !== undefined && (await ctx.store.authorizationCodeReused(codeHash))) {
    await ctx.store.revokeRefreshFamily(refreshFamily, ctx.clock.now());
    throw invalid;
  }
  return tokens;
}

/** Grant `refresh_token` with rotation: a token already exchanged, presented again, revokes its family. */
export function refreshTokenGrant(ctx: Context, body: TokenRequest, ip?: string): Promise<TokenSet> {
  return loggedExchange(ctx, 'refresh_token', { client_id: body.client_id, ip }, async (notes) => {
    notes.app = await clientFor(ctx, body);
    return exchangeRefreshToken(ctx, body, notes);
  });
}

async function exchangeRefreshToken(
  ctx: Context,
  body: TokenRequest,
  notes: ExchangeNotes,
): Promise<TokenSet> {
  const app = notes.app as Application;
  requireGrant(app, 'refresh_token');
  const invalid = invalidGrant('Unknown or invalid refresh token.');
  const now = ctx.clock.now();
  const token = await ctx.store.findRefreshToken(hashSecret(required(body, 'refresh_token')));
  if (!token || token.client_id !== app.client_id || token.revoked_at !== null || token.expires_at <= now) {
    throw invalid;
  }
  if (!(await rotates(ctx, app, token, now))) {
    await ctx.store.revokeRefreshFamily(token.family_id, now);
    throw invalid;
  }
  const user = await ctx.store.getUser(token.user_id);
  if (user) notes.user = user;
  if (!user || user.blocked) throw invalid;
  const granted = token.scope.split(' ');
  const scope =
    body.scope === undefined
      ? token.scope
      : body.scope
          .split(' ')
          .filter((s) => granted.includes(s))
          .join(' ');
  const tokens = await issueTokens(ctx, {
    app,
    user,
    scope: scope.includes('offline_access') ? scope : `${scope} offline_access`.trim(),
    audience: token.audience,
    nonce: null,
    authTime: token.auth_time,
    sessionId: token.session_id,
    refreshFamily: token.family_id,
  });
  // A concurrent reuse of the same token may have revoked the family while the new token was
  // being made, just before it was stored: then the new one must die with the family too.
  if ((await ctx.store.findRefreshToken(token.token_hash))?.revoked_at !== null) {
    await ctx.store.revokeRefreshFamily(token.family_id, ctx.clock.now());
    throw invalid;
  }
  return tokens;
}

/**
 * Whether a refresh token may be exchanged now: it is unused and this request is the one that
 * uses it, or it was used within the application's `refresh_token_leeway` (two tabs, or a client
 * that sent the same refresh twice, each get tokens). Past the leeway a used token is a replay.
 */
async function rotates(ctx: Context, app: Application, token: RefreshToken, now: number): Promise<boolean> {
  if (token.used_at === null && (await ctx.store.useRefreshToken(token.id, now))) return true;
  // Lost a race with another exchange of the same token: its time of use decides.
  const usedAt = token.used_at ?? (await ctx.store.findRefreshToken(token.token_hash))?.used_at ?? null;
  return usedAt !== null && now - usedAt < app.refresh_token_leeway * 1000;
}

/** Grant `client_credentials`: a Management API token for an application granted its scopes. */
export function clientCredentialsGrant(ctx: Context, body: TokenRequest, ip?: string) {
  return loggedExchange(ctx, 'client_credentials', { client_id: body.client_id, ip }, async (notes) => {
    notes.app = await clientFor(ctx, body);
    return managementTokenFor(ctx, notes.app, body);
  });
}

async function managementTokenFor(ctx: Context, app: Application, body: TokenRequest) {
  if (app.client_secret === undefined) {
    throw unauthorizedClient('client_credentials needs a confidential client');
  }
  requireGrant(app, 'client_credentials');
  const audience = required(body, 'audience');
  if (audience !== managementAudience(ctx)) {
    throw accessDenied(`Service not found: ${audience.slice(0, 200)}`);
  }
  const asked = body.scope?.split(' ').filter((s) => s.length > 0);
  const scopes = asked ? asked.filter((s) => app.management_scopes.includes(s)) : app.management_scopes;
  if (scopes.length === 0) {
    throw accessDenied('Client has not been granted scopes for this API');
  }
  const lifetime = app.access_token_lifetime;
  const access_token = await issueManagementToken(
    ctx,
    `${app.client_id}@clients`,
    app.client_id,
    scopes,
    lifetime,
  );
  return { access_token, scope: scopes.join(' '), expires_in: lifetime, token_type: 'Bearer' as const };
}

/** `POST /oauth/revoke` (RFC 7009): revokes a refresh token's family; unknown tokens are not an error. */
export async function revokeToken(ctx: Context, body: TokenRequest): Promise<void> {
  const app = await clientFor(ctx, body);
  const token = await ctx.store.findRefreshToken(hashSecret(required(body, 'token')));
  if (token && token.client_id === app.client_id) {
    await ctx.store.revokeRefreshFamily(token.family_id, ctx.clock.now());
    ctx.tenantLog.emit({ type: 'srrt', ...appFields(app), user_id: token.user_id });
  }
}

/** Used by the route to reject unknown grants with the family's code. */
export function unsupportedGrant(grant: string): AuthError {
  return new AuthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grant.slice(0, 200)}`);
}
