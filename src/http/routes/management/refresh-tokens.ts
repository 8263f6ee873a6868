import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { Context } from '../../../core/context.ts';
import {
  getRefreshTokenByAdmin,
  listUserRefreshTokens,
  readCheckpoint,
  revokeRefreshTokenByAdmin,
  revokeUserRefreshTokens,
} from '../../../core/grant-admin.ts';
import { authoriseManagement } from '../../../core/management-tokens.ts';
import { CheckpointQuery, IdParams } from './checkpoint.ts';

const time = () => Type.String({ format: 'date-time' });

/** A refresh token as Auth0's Management API shows one (core/grant-admin.ts refreshTokenView): never the token. */
const RefreshTokenBody = Type.Object(
  {
    id: Type.String({ description: 'The refresh token family: the same across rotations' }),
    user_id: Type.String(),
    created_at: time(),
    expires_at: time(),
    client_id: Type.String(),
    session_id: Type.String(),
    rotating: Type.Boolean(),
    resource_servers: Type.Array(Type.Object({ audience: Type.String(), scopes: Type.String() })),
    last_exchanged_at: Type.Optional(time()),
  },
  { description: 'A refresh token (its metadata; the token itself is never shown)' },
);

const RefreshTokenPage = Type.Object({
  tokens: Type.Array(RefreshTokenBody),
  next: Type.Optional(Type.String()),
});

/** `/api/v2/users/{id}/refresh-tokens` and `/api/v2/refresh-tokens/{id}`. */
export const refreshTokenRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  const authorise = (authorization: string | undefined, scope: string) =>
    authoriseManagement(ctx, authorization, scope);

  app.get(
    '/api/v2/users/:id/refresh-tokens',
    { schema: { params: IdParams, querystring: CheckpointQuery, response: { 200: RefreshTokenPage } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:refresh_tokens');
      const page = readCheckpoint(request.query);
      return (await listUserRefreshTokens(ctx, request.params.id, page)) as Static<typeof RefreshTokenPage>;
    },
  );

  app.delete('/api/v2/users/:id/refresh-tokens', { schema: { params: IdParams } }, async (request, reply) => {
    await authorise(request.headers.authorization, 'delete:refresh_tokens');
    await revokeUserRefreshTokens(ctx, request.params.id);
    return reply.status(204).send();
  });

  app.get(
    '/api/v2/refresh-tokens/:id',
    { schema: { params: IdParams, response: { 200: RefreshTokenBody } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:refresh_tokens');
      return getRefreshTokenByAdmin(ctx, request.params.id);
    },
  );

  app.delete('/api/v2/refresh-tokens/:id', { schema: { params: IdParams } }, async (request, reply) => {
    await authorise(request.headers.authorization, 'delete:refresh_tokens');
    await revokeRefreshTokenByAdmin(ctx, request.params.id);
    return reply.status(204).send();
  });
};
