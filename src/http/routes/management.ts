import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../core/context.ts';
import { AuthError } from '../../core/errors.ts';
import { authoriseManagement } from '../../core/management-tokens.ts';
import { createUserAndSendCode, createUserByAdmin } from '../../core/user-admin.ts';
import { userView } from '../../core/users.ts';
import { requestLanguage } from '../request-language.ts';
import { objectOptions, optionalText, text } from '../schemas.ts';

const Metadata = Type.Optional(
  Type.Record(Type.String({ maxLength: 256 }), Type.Unknown(), { maxProperties: 64 }),
);

const CreateUserBody = Type.Object(
  {
    connection: text(128),
    client_id: optionalText(256),
    email: optionalText(512),
    phone_number: optionalText(64),
    email_verified: Type.Optional(Type.Boolean()),
    phone_verified: Type.Optional(Type.Boolean()),
    verify_email: Type.Optional(Type.Boolean()),
    name: optionalText(300),
    nickname: optionalText(300),
    picture: optionalText(2048),
    blocked: Type.Optional(Type.Boolean()),
    app_metadata: Metadata,
    user_metadata: Metadata,
  },
  objectOptions,
);

/** The part of the Management API this issue ships: creating and reading users. */
export const managementRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.post('/api/v2/users', { schema: { body: CreateUserBody } }, async (request, reply) => {
    await authoriseManagement(ctx, request.headers.authorization, 'create:users');
    const user = await createUserByAdmin(ctx, request.body);
    return reply.status(201).send(userView(user));
  });

  app.get('/api/v2/users/:id', { schema: { params: Type.Object({ id: text(256) }) } }, async (request) => {
    await authoriseManagement(ctx, request.headers.authorization, 'read:users');
    const user = await ctx.store.getUser(request.params.id);
    if (!user) throw new AuthError(404, 'inexistent_user', 'The user does not exist.');
    return userView(user);
  });

  // Legacy (seed docs): create the user and text or email them a code.
  app.post('/api/users', { schema: { body: CreateUserBody } }, async (request, reply) => {
    await authoriseManagement(ctx, request.headers.authorization, 'create:users');
    const user = await createUserAndSendCode(ctx, request.body, requestLanguage(request));
    return reply.status(201).send(userView(user));
  });
};
