import { EncryptJWT, type JWTPayload, jwtDecrypt, jwtVerify } from 'jose';
import { hashSecret } from './codes.ts';
import type { Context } from './context.ts';
import { AuthError, accessDenied, invalidRequest } from './errors.ts';
import type { Api, Application, User } from './model.ts';
import { applyPolicies, type PolicyOutcome } from './rbac.ts';
import { findApi } from './resource-servers.ts';
import { signWithSecret } from './signing-key-material.ts';
import { profileClaims } from './users.ts';

/** What a successful login (or refresh) grants, before it becomes tokens. */
export interface Grant {
  app: Application;
  user: User;
  /** Space-separated scopes, already filtered by `grantedScope`; an API's RBAC applies at issue. */
  scope: string;
  audience: string | null;
  nonce: string | null;
  /** When the user authenticated (ms); carried through refreshes. */
  authTime: number;
  sessionId: string;
  /** The refresh-token family to continue (rotation); a new family when absent. */
  refreshFamily?: string;
}

export interface TokenSet {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  scope: string;
  expires_in: number;
  token_type: 'Bearer';
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'phone', 'offline_access']);

/**
 * The scopes granted for a request: OIDC scopes always; with an API's audience, only the scopes
 * that API defines (its `scopes`), as Auth0 grants them; `offline_access` only when the app may use
 * refresh tokens. Anything else asked for is left out of the token (and out of its `scope`).
 */
export function grantedScope(
  ctx: Context,
  app: Application,
  requested: string | undefined,
  audience: string | null,
): string {
  const defined = new Set(
    ctx.config.apis.find((api) => api.identifier === audience)?.scopes.map((s) => s.value),
  );
  const asked = (requested ?? 'openid').split(' ').filter((s) => s.length > 0);
  const granted = [...new Set(asked)].filter((s) => {
    if (s === 'offline_access') return app.grant_types.includes('refresh_token');
    return OIDC_SCOPES.has(s) || defined.has(s);
  });
  return granted.join(' ');
}

/** Checks an `audience`: the userinfo endpoint or a configured API. */
export function resolveAudience(ctx: Context, audience: unknown): string | null {
  if (audience === undefined || audience === null || audience === '') return null;
  if (typeof audience !== 'string') throw invalidRequest('audience must be a string');
  if (audience === `${ctx.config.issuer}userinfo`) return audience;
  // The Management API is for applications (client_credentials), never for a user's login.
  if (audience === `${ctx.config.issuer}api/v2/`) {
    throw accessDenied('The Management API cannot be the audience of a user login');
  }
  if (ctx.config.apis.some((api) => api.identifier === audience)) return audience;
  throw accessDenied(`Service not found: ${audience.slice(0, 200)}`);
}

/** Turns a grant into tokens: one signature for the id_token, an encrypted access token unless an API asked. */
export async function issueTokens(ctx: Context, grant: Grant): Promise<TokenSet> {
  const { app, audience } = grant;
  const now = Math.floor(ctx.clock.now() / 1000);
  const api = findApi(ctx, audience);
  // The refresh token keeps the scope as granted before RBAC, so that each refresh checks the
  // user's permissions again (those given since count, those taken away are gone).
  const policy: PolicyOutcome = api?.enforce_policies
    ? await applyPolicies(ctx, api, grant.user.user_id, grant.scope)
    : { scope: grant.scope };
  const scope = policy.scope;
  const scopes = scope.split(' ');
  const accessLifetime = api?.token_lifetime ?? app.access_token_lifetime;
  const set: TokenSet = {
    access_token: await accessToken(ctx, grant, policy, api, now, accessLifetime),
    scope,
    expires_in: accessLifetime,
    token_type: 'Bearer',
  };
  if (scopes.includes('openid')) set.id_token = await idToken(ctx, grant, now, scopes);
  if (scopes.includes('offline_access')) set.refresh_token = await refreshToken(ctx, grant);
  return set;
}

async function idToken(ctx: Context, grant: Grant, now: number, scopes: string[]): Promise<string> {
  const { app, user } = grant;
  const claims: JWTPayload = {
    ...profileClaims(user, scopes),
    iss: ctx.config.issuer,
    sub: user.user_id,
    aud: app.client_id,
    iat: now,
    exp: now + app.id_token_lifetime,
    azp: app.client_id,
    auth_time: Math.floor(grant.authTime / 1000),
    sid: grant.sessionId,
    ...(grant.nonce !== null && { nonce: grant.nonce }),
  };
  if (app.id_token_signing_alg === 'HS256' && app.client_secret) {
    return signWithSecret(claims, app.client_secret);
  }
  return ctx.keys.sign(claims, undefined, app.id_token_signing_alg === 'ES256' ? 'ES256' : 'RS256');
}

async function accessToken(
  ctx: Context,
  grant: Grant,
  { scope, permissions }: PolicyOutcome,
  api: Api | undefined,
  now: number,
  lifetime: number,
): Promise<string> {
  const { app, user, audience } = grant;
  if (audience !== null) {
    const userinfo = `${ctx.config.issuer}userinfo`;
    const aud =
      scope.split(' ').includes('openid') && audience !== userinfo ? [audience, userinfo] : audience;
    // RFC 9068's profile names the client `client_id` and gives each token a `jti`.
    const rfc9068 = api?.token_dialect.startsWith('rfc9068') === true;
    return ctx.keys.sign(
      {
        iss: ctx.config.issuer,
        sub: user.user_id,
        aud,
        iat: now,
        exp: now + lifetime,
        scope,
        ...(rfc9068
          ? {
              client_id: app.client_id,
              jti: ctx.random.hex(16),
              auth_time: Math.floor(grant.authTime / 1000),
            }
          : { azp: app.client_id }),
        ...(permissions !== undefined && { permissions }),
      },
      'at+jwt',
    );
  }
  // Opaque to clients: only this server can read it, and reading it needs no database lookup.
  return new EncryptJWT({ scope, client_id: app.client_id, sid: grant.sessionId })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuer(ctx.config.issuer)
    .setSubject(user.user_id)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetime)
    .encrypt(ctx.secrets.accessTokenKey);
}

async function refreshToken(ctx: Context, grant: Grant): Promise<string> {
  const token = ctx.random.token(32);
  const now = ctx.clock.now();
  await ctx.store.putRefreshToken({
    id: ctx.random.hex(12),
    token_hash: hashSecret(token),
    family_id: grant.refreshFamily ?? ctx.random.hex(12),
    client_id: grant.app.client_id,
    user_id: grant.user.user_id,
    scope: grant.scope,
    audience: grant.audience,
    session_id: grant.sessionId,
    auth_time: grant.authTime,
    created_at: now,
    expires_at: now + grant.app.refresh_token_lifetime * 1000,
    used_at: null,
    revoked_at: null,
  });
  return token;
}

export interface AccessTokenClaims {
  sub: string;
  scope: string;
  client_id: string;
  aud: string[];
}

/** Reads a bearer access token (opaque or JWT) issued by this server; throws 401 otherwise. */
export async function readAccessToken(ctx: Context, token: string): Promise<AccessTokenClaims> {
  const invalid = new AuthError(401, 'invalid_token', 'The access token is invalid or has expired', {
    'www-authenticate': 'Bearer error="invalid_token"',
  });
  const currentDate = new Date(ctx.clock.now());
  try {
    if (token.split('.').length === 5) {
      const { payload } = await jwtDecrypt(token, ctx.secrets.accessTokenKey, {
        issuer: ctx.config.issuer,
        currentDate,
      });
      return {
        sub: String(payload.sub),
        scope: String(payload.scope ?? ''),
        client_id: String(payload.client_id),
        aud: [`${ctx.config.issuer}userinfo`],
      };
    }
    const { payload } = await jwtVerify(token, ctx.keys.verificationKeys, {
      issuer: ctx.config.issuer,
      currentDate,
      typ: 'at+jwt',
    });
    const aud = Array.isArray(payload.aud) ? payload.aud : [String(payload.aud)];
    return {
      sub: String(payload.sub),
      scope: String(payload.scope ?? ''),
      client_id: String(payload.azp ?? payload.client_id),
      aud,
    };
  } catch {
    throw invalid;
  }
}
