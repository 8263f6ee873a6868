import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { Context } from '../../../core/context.ts';
import {
  deleteSessionByAdmin,
  deleteUserSessions,
  getSessionByAdmin,
  listUserSessions,
  readCheckpoint,
} from '../../../core/grant-admin.ts';
import { authoriseManagement } from '../../../core/management-tokens.ts';
import { CheckpointQuery, IdParams } from './checkpoint.ts';

const time = () => Type.String({ format: 'date-time' });

/** A browser session as Auth0's Management API shows one (core/grant-admin.ts sessionView). */
const SessionBody = Type.Object(
  {
    id: Type.String(),
    user_id: Type.String(),
    created_at: time(),
    updated_at: time(),
    authenticated_at: time(),
    idle_expires_at: time(),
    expires_at: time(),
    last_interacted_at: time(),
  },
  { description: 'A login session of the hosted pages' },
);

const SessionPage = Type.Object({ sessions: Type.Array(SessionBody), next: Type.Optional(Type.String()) });

/** `/api/v2/users/{id}/sessions` and `/api/v2/sessions/{id}`. */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  const authorise = (authorization: string | undefined, scope: string) =>
    authoriseManagement(ctx, authorization, scope);

  app.get(
    '/api/v2/users/:id/sessions',
    { schema: { params: IdParams, querystring: CheckpointQuery, response: { 200: SessionPage } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:sessions');
      const page = readCheckpoint(request.query);
      return (await listUserSessions(ctx, request.params.id, page)) as Static<typeof SessionPage>;
    },
  );

  app.delete('/api/v2/users/:id/sessions', { schema: { params: IdParams } }, async (request, reply) => {
    await authorise(request.headers.authorization, 'delete:sessions');
    await deleteUserSessions(ctx, request.params.id);
    return reply.status(204).send();
  });

  app.get(
    '/api/v2/sessions/:id',
    { schema: { params: IdParams, response: { 200: SessionBody } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:sessions');
      return getSessionByAdmin(ctx, request.params.id);
    },
  );

  app.delete('/api/v2/sessions/:id', { schema: { params: IdParams } }, async (request, reply) => {
    await authorise(request.headers.authorization, 'delete:sessions');
    await deleteSessionByAdmin(ctx, request.params.id);
    return reply.status(204).send();
  });
};
