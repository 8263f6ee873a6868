import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  createClientByAdmin,
  deleteClientByAdmin,
  getClientByAdmin,
  listClientsByAdmin,
  rotateClientSecret,
  updateClientByAdmin,
} from '../../../core/client-admin.ts';
import { clientView } from '../../../core/client-shape.ts';
import type { Context } from '../../../core/context.ts';
import { authoriseManagement } from '../../../core/management-tokens.ts';
import type { Application } from '../../../core/model.ts';
import { pageOf, readPage } from '../../../core/paging.ts';
import { optionalText, text } from '../../schemas.ts';
import { ManagementBody } from './bodies.ts';
import { PageQuery } from './paging.ts';

/** Auth0 lets either scope read clients; `read:client_keys` would also show secrets, which Tessera never does. */
const READ = ['read:clients', 'read:client_keys'] as const;

const strings = Type.Array(Type.String());
const ClientBody = Type.Object(
  {
    client_id: Type.String(),
    name: Type.String(),
    app_type: Type.String(),
    client_secret: Type.Optional(
      Type.String({
        description: 'Only in the answers of create and rotate-secret: it is never shown again',
      }),
    ),
    token_endpoint_auth_method: Type.String({ description: '`none` (public) or `client_secret_post`' }),
    callbacks: strings,
    allowed_origins: strings,
    web_origins: strings,
    allowed_logout_urls: strings,
    grant_types: strings,
    management_scopes: strings,
    id_token_lifetime: Type.Integer(),
    access_token_lifetime: Type.Integer(),
    refresh_token_lifetime: Type.Integer(),
    refresh_token_leeway: Type.Integer(),
    id_token_signing_alg: Type.String(),
    logo_uri: Type.Optional(Type.String()),
    primary_color: Type.Optional(Type.String()),
    cross_origin_loc: Type.Optional(Type.String()),
    jwt_configuration: Type.Object({
      alg: Type.String(),
      lifetime_in_seconds: Type.Integer(),
      secret_encoded: Type.Boolean(),
    }),
    refresh_token: Type.Object({
      rotation_type: Type.String(),
      expiration_type: Type.String(),
      leeway: Type.Integer(),
      token_lifetime: Type.Integer(),
      infinite_token_lifetime: Type.Boolean(),
    }),
    is_first_party: Type.Boolean(),
    oidc_conformant: Type.Boolean(),
    global: Type.Boolean(),
  },
  { description: 'A client (application)' },
);

const ListQuery = Type.Object({
  ...PageQuery,
  app_type: optionalText(200),
});

const byId = Type.Object({ id: text(128) });

/** With the secret: only the answers that made it. */
const withSecret = (app: Application) => ({
  ...clientView(app),
  ...(app.client_secret !== undefined && { client_secret: app.client_secret }),
});

/** `/api/v2/clients*`: Auth0's client routes over the stored applications. */
export const clientRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get('/api/v2/clients', { schema: { querystring: ListQuery } }, async (request) => {
    await authoriseManagement(ctx, request.headers.authorization, READ);
    const types = request.query.app_type?.split(',').filter((t) => t !== '');
    const all = (await listClientsByAdmin(ctx, types)).map(clientView);
    return pageOf('clients', all, readPage(request.query));
  });

  app.get(
    '/api/v2/clients/:id',
    { schema: { params: byId, response: { 200: ClientBody } } },
    async (request) => {
      await authoriseManagement(ctx, request.headers.authorization, READ);
      return clientView(await getClientByAdmin(ctx, request.params.id));
    },
  );

  app.post(
    '/api/v2/clients',
    { schema: { body: ManagementBody, response: { 201: ClientBody } } },
    async (request, reply) => {
      const caller = await authoriseManagement(ctx, request.headers.authorization, 'create:clients');
      const created = await createClientByAdmin(ctx, caller, request.body);
      return reply.status(201).send(withSecret(created));
    },
  );

  app.patch(
    '/api/v2/clients/:id',
    { schema: { params: byId, body: ManagementBody, response: { 200: ClientBody } } },
    async (request) => {
      const caller = await authoriseManagement(ctx, request.headers.authorization, 'update:clients');
      return clientView(await updateClientByAdmin(ctx, caller, request.params.id, request.body));
    },
  );

  app.delete('/api/v2/clients/:id', { schema: { params: byId } }, async (request, reply) => {
    await authoriseManagement(ctx, request.headers.authorization, 'delete:clients');
    await deleteClientByAdmin(ctx, request.params.id);
    return reply.status(204).send();
  });

  app.post(
    '/api/v2/clients/:id/rotate-secret',
    { schema: { params: byId, response: { 200: ClientBody } } },
    async (request) => {
      const caller = await authoriseManagement(ctx, request.headers.authorization, 'update:client_keys');
      return withSecret(await rotateClientSecret(ctx, caller, request.params.id));
    },
  );
};
