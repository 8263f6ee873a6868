import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import { PASSWORDLESS_OTP_GRANT } from '../../config/schema.ts';
import type { Context } from '../../core/context.ts';
import { AUTHENTICATION, declareErrorFamily } from '../error-families.ts';

const Strings = Type.Array(Type.String());
const Discovery = Type.Object(
  {
    issuer: Type.String(),
    authorization_endpoint: Type.String(),
    token_endpoint: Type.String(),
    userinfo_endpoint: Type.String(),
    jwks_uri: Type.String(),
    revocation_endpoint: Type.String(),
    end_session_endpoint: Type.String(),
    scopes_supported: Strings,
    response_types_supported: Strings,
    response_modes_supported: Strings,
    grant_types_supported: Strings,
    subject_types_supported: Strings,
    id_token_signing_alg_values_supported: Strings,
    token_endpoint_auth_methods_supported: Strings,
    revocation_endpoint_auth_methods_supported: Strings,
    code_challenge_methods_supported: Strings,
    claims_supported: Strings,
    request_uri_parameter_supported: Type.Boolean(),
  },
  { description: 'OpenID Connect Discovery 1.0 provider metadata' },
);

/** A public key: only public members are named, so a private one (`d`, `p`, `q`) can never be sent. */
const PublicKey = Type.Object({
  kty: Type.String(),
  n: Type.Optional(Type.String()),
  e: Type.Optional(Type.String()),
  crv: Type.Optional(Type.String()),
  x: Type.Optional(Type.String()),
  y: Type.Optional(Type.String()),
  kid: Type.Optional(Type.String()),
  alg: Type.Optional(Type.String()),
  use: Type.Optional(Type.String()),
});
const KeySet = Type.Object(
  { keys: Type.Array(PublicKey) },
  { description: 'The published signing keys (RFC 7517)' },
);

/** OIDC discovery and the JWKS: public documents clients read to trust Tessera's tokens. */
export const oidcRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  declareErrorFamily(app, AUTHENTICATION);
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

  app.get(
    '/.well-known/openid-configuration',
    { schema: { response: { 200: Discovery } } },
    async (_request, reply) => {
      return reply.header('cache-control', 'public, max-age=300').send(discovery);
    },
  );

  app.get('/.well-known/jwks.json', { schema: { response: { 200: KeySet } } }, async (_request, reply) => {
    // jose's JWK type leaves even `kty` optional; every key the store holds has one.
    const keys = (await ctx.keys.jwks()) as Static<typeof KeySet>;
    return reply.header('cache-control', 'public, max-age=300').send(keys);
  });
};
