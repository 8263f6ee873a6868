import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { PASSWORDLESS_OTP_GRANT } from '../../config/schema.ts';
import type { Context } from '../../core/context.ts';
import { AuthError } from '../../core/errors.ts';
import {
  authorizationCodeGrant,
  clientCredentialsGrant,
  legacyResourceOwnerGrant,
  passwordlessOtpGrant,
  refreshTokenGrant,
  revokeToken,
  type TokenRequest,
  unsupportedGrant,
} from '../../core/grants.ts';
import { isDatabaseUnavailable } from '../../store/unavailable.ts';
import { declareErrorFamily, OAUTH } from '../error-families.ts';
import { objectOptions, text } from '../schemas.ts';

// Every OAuth field is a string; which ones a grant needs is checked by the grant itself.
const TokenBody = Type.Object(
  { grant_type: Type.Optional(text(256)) },
  { ...objectOptions, additionalProperties: text(4096) },
);

// The serialiser writes required members first, then the optional ones: the order core builds them in.
const Tokens = Type.Object(
  {
    access_token: Type.String(),
    scope: Type.String({ description: 'The scopes granted, space-separated' }),
    expires_in: Type.Integer({ description: 'Seconds the access token lives' }),
    token_type: Type.String({ description: '`Bearer`' }),
    id_token: Type.Optional(Type.String({ description: 'When the scopes include openid' })),
    refresh_token: Type.Optional(Type.String({ description: 'When offline_access was granted' })),
  },
  { description: 'The tokens a grant issued' },
);

const LegacyTokens = Type.Object(
  {
    id_token: Type.Optional(Type.String()),
    access_token: Type.String(),
    token_type: Type.String({ description: '`bearer`, as Auth0 wrote it' }),
  },
  { description: 'The tokens of the legacy resource-owner grant' },
);

const Revoked = Type.Object(
  {},
  { description: 'Revoked, or never issued: the answer does not tell (RFC 7009)' },
);

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** The `grant` label of tessera_logins_total: a short name per supported grant, `other` for the rest. */
const GRANT_NAMES: Partial<Record<string, string>> = {
  [PASSWORDLESS_OTP_GRANT]: 'passwordless_otp',
  authorization_code: 'authorization_code',
  refresh_token: 'refresh_token',
  client_credentials: 'client_credentials',
};

export const tokenRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  declareErrorFamily(app, OAUTH);
  app.post(
    '/oauth/token',
    { schema: { body: TokenBody, response: { 200: Tokens } } },
    async (request, reply) => {
      void reply.headers(NO_STORE);
      const grant = GRANT_NAMES[(request.body as TokenRequest).grant_type ?? ''] ?? 'other';
      return countLogin(ctx, grant, () => {
        const body = withBasicAuth(request, request.body as TokenRequest);
        switch (body.grant_type) {
          case PASSWORDLESS_OTP_GRANT:
            return passwordlessOtpGrant(ctx, body, request.ip);
          case 'authorization_code':
            return authorizationCodeGrant(ctx, body, request.ip);
          case 'refresh_token':
            return refreshTokenGrant(ctx, body, request.ip);
          case 'client_credentials':
            return clientCredentialsGrant(ctx, body, request.ip);
          case undefined:
          case '':
            throw new AuthError(400, 'invalid_request', 'Missing required parameter: grant_type');
          default:
            throw unsupportedGrant(body.grant_type);
        }
      });
    },
  );

  app.post(
    '/oauth/ro',
    { schema: { body: TokenBody, response: { 200: LegacyTokens } } },
    async (request, reply) => {
      void reply.headers(NO_STORE);
      return countLogin(ctx, 'password', () =>
        legacyResourceOwnerGrant(ctx, withBasicAuth(request, request.body as TokenRequest), request.ip),
      );
    },
  );

  app.post('/oauth/revoke', { schema: { body: TokenBody, response: { 200: Revoked } } }, async (request) => {
    await revokeToken(ctx, withBasicAuth(request, request.body as TokenRequest));
    return {};
  });
};

/** Runs a grant and counts its outcome: `success`, or the error code it was refused with. */
async function countLogin<T>(ctx: Context, grant: string, run: () => Promise<T>): Promise<T> {
  try {
    const tokens = await run();
    ctx.metrics.login(grant, 'success');
    return tokens;
  } catch (error) {
    const result =
      error instanceof AuthError
        ? error.error
        : isDatabaseUnavailable(error)
          ? 'temporarily_unavailable'
          : 'server_error';
    ctx.metrics.login(grant, result);
    throw error;
  }
}

/** Client credentials may come as HTTP Basic (client_secret_basic) instead of in the body. */
function withBasicAuth(request: FastifyRequest, body: TokenRequest): TokenRequest {
  const header = request.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return body;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new AuthError(401, 'invalid_client', 'Malformed Basic authorization header');
  try {
    const clientId = decodeURIComponent(decoded.slice(0, colon));
    const clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    if (body.client_id !== undefined && body.client_id !== clientId) {
      throw new AuthError(
        400,
        'invalid_request',
        'client_id in the body and the Authorization header differ',
      );
    }
    return { ...body, client_id: clientId, client_secret: clientSecret };
  } catch (error) {
    if (error instanceof AuthError) throw error;
    throw new AuthError(401, 'invalid_client', 'Malformed Basic authorization header');
  }
}
