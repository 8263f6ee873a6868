import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PASSWORDLESS_OTP_GRANT } from '../../config/schema.ts';
import type { Context } from '../../core/context.ts';
import { AuthError } from '../../core/errors.ts';
import { readAccessToken } from '../../core/tokens.ts';
import { profileClaims } from '../../core/users.ts';

/** Discovery, JWKS and userinfo. */
export const oidcRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  const issuer = ctx.config.issuer;
  const discovery = {
    issuer,
    authorization_endpoint: `${issuer}authorize`,
    token_endpoint: `${issuer}oauth/token`,
    userinfo_endpoint: `${issuer}userinfo`,
    jwks_uri: `${issuer}.well-known/jwks.json`,
    revocation_endpoint: `${issuer}oauth/revoke`,
    end_session_endpoint: `${issuer}v2/logout`,
    scopes_supported: ['openid', 'profile', 'email', 'phone', 'offline_access'],
    response_types_supported: ['code', 'token', 'id_token', 'id_token token'],
    response_modes_supported: ['query', 'fragment', 'web_message'],
    grant_types_supported: [
      PASSWORDLESS_OTP_GRANT,
      'authorization_code',
      'refresh_token',
      'implicit',
      'client_credentials',
    ],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256', 'ES256', 'HS256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    code_challenge_methods_supported: ['S256', 'plain'],
    claims_supported: [
      'aud',
      'auth_time',
      'azp',
      'email',
      'email_verified',
      'exp',
      'iat',
      'iss',
      'name',
      'nickname',
      'nonce',
      'phone_number',
      'phone_number_verified',
      'picture',
      'sid',
      'sub',
      'updated_at',
    ],
    request_uri_parameter_supported: false,
  };

  app.get('/.well-known/openid-configuration', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=300').send(discovery);
  });

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=300').send(await ctx.keys.jwks());
  });

  const userinfo = async (authorization: string | undefined) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) {
      throw new AuthError(401, 'invalid_token', 'A bearer access token is required', {
        'www-authenticate': 'Bearer',
      });
    }
    const token = await readAccessToken(ctx, match[1] as string);
    if (!token.aud.includes(`${issuer}userinfo`)) {
      throw new AuthError(401, 'invalid_token', 'The access token is not valid for userinfo', {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    }
    const user = await ctx.store.getUser(token.sub);
    // A blocked user's tokens are worth nothing, though they have not expired yet.
    if (!user || user.blocked)
      throw new AuthError(401, 'invalid_token', user ? 'The user is blocked' : 'The user no longer exists', {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    return { sub: user.user_id, ...profileClaims(user, token.scope.split(' ')) };
  };
  app.get('/userinfo', async (request) => userinfo(request.headers.authorization));
  app.post('/userinfo', async (request) => userinfo(request.headers.authorization));
};
