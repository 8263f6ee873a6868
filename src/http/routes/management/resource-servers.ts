import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '../../../core/context.ts';
import { authoriseManagement } from '../../../core/management-tokens.ts';
import { readPage } from '../../../core/paging.ts';
import { getResourceServer, resourceServers } from '../../../core/resource-servers.ts';
import { answerPage, PagedQuery, paged, ResourceServer, ResourceServerParams } from './role-schemas.ts';

/**
 * `/api/v2/resource-servers*`, read only: the APIs the configuration declares (and the Management
 * API itself, as Auth0 lists it). They are changed in the configuration file.
 */
export const resourceServerRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get(
    '/api/v2/resource-servers',
    { schema: { querystring: PagedQuery, response: { 200: paged('resource_servers', ResourceServer) } } },
    async (request) => {
      await authoriseManagement(ctx, request.headers.authorization, 'read:resource_servers');
      const page = readPage(request.query);
      const all = resourceServers(ctx);
      const start = page.page * page.perPage;
      return answerPage('resource_servers', all.slice(start, start + page.perPage), page, all.length);
    },
  );
  app.get(
    '/api/v2/resource-servers/:id',
    { schema: { params: ResourceServerParams, response: { 200: ResourceServer } } },
    async (request) => {
      await authoriseManagement(ctx, request.headers.authorization, 'read:resource_servers');
      return getResourceServer(ctx, request.params.id);
    },
  );
};
