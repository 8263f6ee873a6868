import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  connectionView,
  createConnectionByAdmin,
  deleteConnectionByAdmin,
  getConnectionByAdmin,
  listConnectionsByAdmin,
  updateConnectionByAdmin,
} from '../../../core/connection-admin.ts';
import { sendTestMessage } from '../../../core/connection-test.ts';
import type { Context } from '../../../core/context.ts';
import { authoriseManagement } from '../../../core/management-tokens.ts';
import { checkpointAnswer, pageOf, readCheckpoint, readPage } from '../../../core/paging.ts';
import { optionalText, text } from '../../schemas.ts';
import { ManagementBody } from './bodies.ts';
import { PageQuery } from './paging.ts';

const ConnectionBody = Type.Object(
  {
    id: Type.String({ description: '`con_` and 16 characters; the Management API addresses it by this' }),
    name: Type.String(),
    strategy: Type.String({ description: '`email` or `sms`' }),
    enabled_clients: Type.Array(Type.String()),
    options: Type.Object({}, { additionalProperties: true, description: 'Without any credential' }),
    credentials_set: Type.Record(Type.String(), Type.Boolean(), {
      description:
        'Each credential its provider reads (`twilio_token`, `failover.smtp.pass`): whether it is set',
    }),
    realms: Type.Array(Type.String()),
    is_domain_connection: Type.Boolean(),
  },
  { description: 'A connection' },
);

const ListQuery = Type.Object({
  ...PageQuery,
  from: Type.Optional(Type.String({ pattern: '^[0-9]{0,6}$', description: 'Checkpoint paging: a `next`' })),
  take: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: 'Checkpoint paging: items (50)' })),
  strategy: Type.Optional(
    Type.Union([text(32), Type.Array(text(32), { maxItems: 10 })], {
      description: 'Only connections of these strategies',
    }),
  ),
  name: optionalText(128),
});

const byId = Type.Object({ id: text(64) });

/** `/api/v2/connections*`: Auth0's connection routes over the stored connections. */
export const connectionRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  const view = (connection: Parameters<typeof connectionView>[1]) => connectionView(ctx, connection);

  app.get('/api/v2/connections', { schema: { querystring: ListQuery } }, async (request) => {
    await authoriseManagement(ctx, request.headers.authorization, 'read:connections');
    const { strategy, name } = request.query;
    const strategies = strategy === undefined ? undefined : [strategy].flat().flatMap((s) => s.split(','));
    const all = (await listConnectionsByAdmin(ctx, { strategies, name })).map(view);
    const checkpoint = readCheckpoint(request.query);
    if (checkpoint) return checkpointAnswer('connections', all, checkpoint);
    return pageOf('connections', all, readPage(request.query));
  });

  app.get(
    '/api/v2/connections/:id',
    { schema: { params: byId, response: { 200: ConnectionBody } } },
    async (request) => {
      await authoriseManagement(ctx, request.headers.authorization, 'read:connections');
      return view(await getConnectionByAdmin(ctx, request.params.id));
    },
  );

  app.post(
    '/api/v2/connections',
    { schema: { body: ManagementBody, response: { 201: ConnectionBody } } },
    async (request, reply) => {
      await authoriseManagement(ctx, request.headers.authorization, 'create:connections');
      const connection = await createConnectionByAdmin(ctx, request.body);
      return reply.status(201).send(view(connection));
    },
  );

  app.patch(
    '/api/v2/connections/:id',
    { schema: { params: byId, body: ManagementBody, response: { 200: ConnectionBody } } },
    async (request) => {
      await authoriseManagement(ctx, request.headers.authorization, 'update:connections');
      return view(await updateConnectionByAdmin(ctx, request.params.id, request.body));
    },
  );

  app.delete('/api/v2/connections/:id', { schema: { params: byId } }, async (request, reply) => {
    await authoriseManagement(ctx, request.headers.authorization, 'delete:connections');
    await deleteConnectionByAdmin(ctx, request.params.id);
    // Auth0 answers 202 ("the connection is being deleted"); here it is gone already.
    return reply.status(202).send();
  });

  // Tessera's own: Auth0 has no route that sends a sample message through a connection.
  app.post(
    '/api/v2/connections/:id/test',
    {
      schema: {
        params: byId,
        body: Type.Object(
          { to: text(320), language: optionalText(35) },
          { additionalProperties: false, description: 'Where to send a sample login message' },
        ),
        response: {
          200: Type.Object({ connection: Type.String(), provider: Type.String(), to: Type.String() }),
        },
      },
    },
    async (request) => {
      await authoriseManagement(ctx, request.headers.authorization, 'update:connections');
      const connection = await getConnectionByAdmin(ctx, request.params.id);
      return sendTestMessage(ctx, connection.name, request.body.to, request.body.language ?? null);
    },
  );
};
