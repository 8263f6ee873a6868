import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { Context } from '../../../core/context.ts';
import { authoriseManagement } from '../../../core/management-tokens.ts';
import type { User } from '../../../core/model.ts';
import { createUserAndSendCode, createUserByAdmin } from '../../../core/user-admin.ts';
import { getUserByAdmin } from '../../../core/user-lookup.ts';
import { userView } from '../../../core/users.ts';
import { requestLanguage } from '../../request-language.ts';
import { objectOptions, optionalText, text } from '../../schemas.ts';

const MetadataInput = Type.Optional(
  Type.Record(Type.String({ maxLength: 256 }), Type.Unknown(), { maxProperties: 64 }),
);
/** Free-form metadata as stored: any JSON object, written as it is. */
const Metadata = Type.Object({}, { additionalProperties: true });

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
    app_metadata: MetadataInput,
    user_metadata: MetadataInput,
  },
  objectOptions,
);

/**
 * A user as Auth0's Management API shows it (core/users.ts userView). The serialiser writes the
 * required members first, then those a user may lack.
 */
const UserBody = Type.Object(
  {
    user_id: Type.String({ description: '`<connection strategy>|<id>`' }),
    email: Type.Optional(Type.String()),
    email_verified: Type.Optional(Type.Boolean()),
    phone_number: Type.Optional(Type.String({ description: 'E.164' })),
    phone_verified: Type.Optional(Type.Boolean()),
    name: Type.Optional(Type.String()),
    nickname: Type.Optional(Type.String()),
    picture: Type.Optional(Type.String()),
    identities: Type.Array(
      Type.Object({
        provider: Type.String(),
        connection: Type.String(),
        user_id: Type.String(),
        isSocial: Type.Boolean(),
      }),
    ),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    last_login: Type.Optional(Type.String({ format: 'date-time' })),
    last_ip: Type.Optional(Type.String()),
    logins_count: Type.Integer(),
    app_metadata: Metadata,
    user_metadata: Metadata,
    blocked: Type.Boolean(),
  },
  { description: 'A user' },
);

/** userView builds exactly UserBody's members; its type says only `Record<string, unknown>`. */
const view = (user: User) => userView(user) as Static<typeof UserBody>;

/** `/api/v2/users*` and the legacy `/api/users`. */
export const userRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.post(
    '/api/v2/users',
    { schema: { body: CreateUserBody, response: { 201: UserBody } } },
    async (request, reply) => {
      await authoriseManagement(ctx, request.headers.authorization, 'create:users');
      const user = await createUserByAdmin(ctx, request.body);
      return reply.status(201).send(view(user));
    },
  );

  const byId = { params: Type.Object({ id: text(256) }), response: { 200: UserBody } };
  app.get('/api/v2/users/:id', { schema: byId }, async (request) => {
    await authoriseManagement(ctx, request.headers.authorization, 'read:users');
    return view(await getUserByAdmin(ctx, request.params.id));
  });

  // Legacy (seed docs): create the user and text or email them a code.
  app.post(
    '/api/users',
    { schema: { body: CreateUserBody, response: { 201: UserBody } } },
    async (request, reply) => {
      await authoriseManagement(ctx, request.headers.authorization, 'create:users');
      const user = await createUserAndSendCode(ctx, request.body, requestLanguage(request));
      return reply.status(201).send(view(user));
    },
  );
};
