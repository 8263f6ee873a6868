import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { Context } from '../../../core/context.ts';
import { getLog, listLogs, listUserLogs } from '../../../core/log-search.ts';
import { authoriseManagement } from '../../../core/management-tokens.ts';
import { text } from '../../schemas.ts';
import { PageQuery } from './paging.ts';

/** An optional query member: text without control characters, at most `max` long. */
const optional = (max: number, description: string) =>
  Type.Optional(Type.String({ maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]*$', description }));

/** A tenant log event, as Auth0's Management API shows it (members without a value left out). */
const LogBody = Type.Object(
  {
    date: Type.Optional(Type.String({ format: 'date-time' })),
    type: Type.Optional(Type.String({ description: "Auth0's event type code (s, f, cs, sapi...)" })),
    description: Type.Optional(Type.String()),
    client_id: Type.Optional(Type.String()),
    client_name: Type.Optional(Type.String()),
    connection: Type.Optional(Type.String()),
    connection_id: Type.Optional(Type.String()),
    user_id: Type.Optional(Type.String()),
    user_name: Type.Optional(Type.String()),
    ip: Type.Optional(Type.String()),
    user_agent: Type.Optional(Type.String()),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    log_id: Type.Optional(Type.String()),
  },
  { description: 'A tenant log event' },
);

/** The events alone, or with `include_totals` where they stand. */
const LogPage = Type.Union([
  Type.Array(LogBody),
  Type.Object({
    start: Type.Integer(),
    limit: Type.Integer(),
    length: Type.Integer(),
    total: Type.Integer(),
    logs: Type.Array(LogBody),
  }),
]);

const Sort = optional(16, '`date:-1` (newest first, the default) or `date:1`');

const LogsQuery = Type.Object({
  q: optional(
    1024,
    'Auth0\'s log search syntax: `type:f AND user_id:"email|..."`, `date:[2024-01-01 TO 2024-01-31]`',
  ),
  from: optional(64, 'Checkpoint: the events after this log_id, oldest first (other parameters are ignored)'),
  take: optional(8, 'How many events from the checkpoint, 1 to 100 (50)'),
  ...PageQuery,
  sort: Sort,
  fields: optional(512, 'Comma-separated members to keep (or, with include_fields=false, to drop)'),
  include_fields: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
});

const UserLogsQuery = Type.Object({ ...PageQuery, sort: Sort });

/** `/api/v2/logs*` and `/api/v2/users/{id}/logs`: the tenant log, read with `read:logs`. */
export const logRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get(
    '/api/v2/logs',
    { schema: { querystring: LogsQuery, response: { 200: LogPage } } },
    async (request) => {
      await authoriseManagement(ctx, request.headers.authorization, 'read:logs');
      return (await listLogs(ctx, request.query)) as Static<typeof LogPage>;
    },
  );

  app.get(
    '/api/v2/logs/:id',
    { schema: { params: Type.Object({ id: text(64) }), response: { 200: LogBody } } },
    async (request) => {
      await authoriseManagement(ctx, request.headers.authorization, 'read:logs');
      return (await getLog(ctx, request.params.id)) as Static<typeof LogBody>;
    },
  );

  // Auth0 asks for read:logs or read:logs_users here.
  app.get(
    '/api/v2/users/:id/logs',
    {
      schema: {
        params: Type.Object({ id: text(256) }),
        querystring: UserLogsQuery,
        response: { 200: LogPage },
      },
    },
    async (request) => {
      await authoriseManagement(ctx, request.headers.authorization, ['read:logs', 'read:logs_users']);
      return (await listUserLogs(ctx, request.params.id, request.query)) as Static<typeof LogPage>;
    },
  );
};
