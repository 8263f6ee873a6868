import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Context } from '../../core/context.ts';
import { AuthError } from '../../core/errors.ts';
import { userinfo } from '../../core/userinfo.ts';
import { declareErrorFamily, OAUTH } from '../error-families.ts';

// `sub`, then profileClaims' members in its order (core/users.ts).
const Claims = Type.Object(
  {
    sub: Type.String(),
    name: Type.Optional(Type.String()),
    nickname: Type.Optional(Type.String()),
    picture: Type.Optional(Type.String()),
    updated_at: Type.Optional(Type.String({ format: 'date-time' })),
    email: Type.Optional(Type.String()),
    email_verified: Type.Optional(Type.Boolean()),
    phone_number: Type.Optional(Type.String()),
    phone_number_verified: Type.Optional(Type.Boolean()),
  },
  { description: 'The claims the token’s scopes allow (profile, email, phone)' },
);
const schema = { response: { 200: Claims } };

/** `GET|POST /userinfo` (OIDC Core §5.3): the claims of a bearer access token's user. */
export const userinfoRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  declareErrorFamily(app, OAUTH);
  const answer = async (request: FastifyRequest) => userinfo(ctx, bearerToken(request));
  app.get('/userinfo', { schema }, answer);
  app.post('/userinfo', { schema }, answer);
};

/** The access token of an `Authorization: Bearer` header; 401 asking for one when there is none. */
function bearerToken(request: FastifyRequest): string {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match) {
    throw new AuthError(401, 'invalid_token', 'A bearer access token is required', {
      'www-authenticate': 'Bearer',
    });
  }
  return match[1] as string;
}
