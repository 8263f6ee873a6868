import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import type { Context } from '../../../core/context.ts';
import { authoriseManagement } from '../../../core/management-tokens.ts';
import type { User } from '../../../core/model.ts';
import { readPage } from '../../../core/paging.ts';
import { createUserAndSendCode, createUserByAdmin, deleteUserByAdmin } from '../../../core/user-admin.ts';
import { getUserByAdmin, listUsersByAdmin, usersByEmail } from '../../../core/user-lookup.ts';
import { updateUserByAdmin } from '../../../core/user-update.ts';
import { userView } from '../../../core/users.ts';
import { requestLanguage } from '../../request-language.ts';
import {
  ByEmailQuery,
  CreateUserBody,
  FieldsQuery,
  ListUsersQuery,
  UpdateUserBody,
  UserBody,
  UserIdParams,
  UserPage,
} from './user-schemas.ts';

type UserAnswer = Static<typeof UserBody>;

/** userView builds exactly UserBody's members; its type says only `Record<string, unknown>`. */
const view = (user: User) => userView(user) as UserAnswer;

/** Auth0's `fields` and `include_fields`: the members to show, or (include_fields=false) to leave out. */
function fieldsOf(query: { fields?: string; include_fields?: 'true' | 'false' }) {
  const names = query.fields
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (!names?.length) return view;
  const include = query.include_fields !== 'false';
  return (user: User): UserAnswer =>
    Object.fromEntries(
      Object.entries(view(user)).filter(([name]) => names.includes(name) === include),
    ) as UserAnswer;
}

/** `/api/v2/users*`, `/api/v2/users-by-email` and the legacy `/api/users`. */
export const userRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  const authorise = (authorization: string | undefined, scope: string) =>
    authoriseManagement(ctx, authorization, scope);

  app.post(
    '/api/v2/users',
    { schema: { body: CreateUserBody, response: { 201: UserBody } } },
    async (request, reply) => {
      await authorise(request.headers.authorization, 'create:users');
      const user = await createUserByAdmin(ctx, request.body);
      return reply.status(201).send(view(user));
    },
  );

  app.get(
    '/api/v2/users',
    { schema: { querystring: ListUsersQuery, response: { 200: UserPage } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:users');
      const page = readPage(request.query);
      const answer = await listUsersByAdmin(ctx, request.query, page, fieldsOf(request.query));
      return answer as Static<typeof UserPage>;
    },
  );

  app.get(
    '/api/v2/users-by-email',
    { schema: { querystring: ByEmailQuery, response: { 200: { type: 'array', items: UserBody } } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:users');
      return (await usersByEmail(ctx, request.query.email)).map(fieldsOf(request.query));
    },
  );

  app.get(
    '/api/v2/users/:id',
    { schema: { params: UserIdParams, querystring: FieldsQuery, response: { 200: UserBody } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:users');
      return fieldsOf(request.query)(await getUserByAdmin(ctx, request.params.id));
    },
  );

  app.patch(
    '/api/v2/users/:id',
    { schema: { params: UserIdParams, body: UpdateUserBody, response: { 200: UserBody } } },
    async (request) => {
      await authorise(request.headers.authorization, 'update:users');
      return view(await updateUserByAdmin(ctx, request.params.id, request.body));
    },
  );

  app.delete('/api/v2/users/:id', { schema: { params: UserIdParams } }, async (request, reply) => {
    await authorise(request.headers.authorization, 'delete:users');
    await deleteUserByAdmin(ctx, request.params.id);
    return reply.status(204).send();
  });

  // Legacy (seed docs): create the user and text or email them a code.
  app.post(
    '/api/users',
    { schema: { body: CreateUserBody, response: { 201: UserBody } } },
    async (request, reply) => {
      await authorise(request.headers.authorization, 'create:users');
      const user = await createUserAndSendCode(ctx, request.body, requestLanguage(request));
      return reply.status(201).send(view(user));
    },
  );
};
