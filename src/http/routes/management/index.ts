import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { logApiOperation } from '../../../core/api-operation-log.ts';
import type { Context } from '../../../core/context.ts';
import { declareErrorFamily, MANAGEMENT } from '../../error-families.ts';
import { clientRoutes } from './clients.ts';
import { connectionRoutes } from './connections.ts';
import { logRoutes } from './logs.ts';
import { refreshTokenRoutes } from './refresh-tokens.ts';
import { resourceServerRoutes } from './resource-servers.ts';
import { roleRoutes } from './roles.ts';
import { sessionRoutes } from './sessions.ts';
import { userRoutes } from './users.ts';

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** The OpenAPI security scheme of the Management API's bearer tokens (declared in app.ts). */
export const MANAGEMENT_TOKEN = 'managementToken';

/** The reference page groups operations by resource: `/api/v2/users/{id}` is under `users`. */
function resourceFamily(url: string): string {
  const [, , version, resource] = url.split('/');
  return version === 'v2' && resource ? resource : 'legacy';
}

/**
 * The Management API (`/api/v2/*`, and the legacy `/api/users`): one plugin per resource family,
 * each in its own file here, all answering errors as the Management API does.
 */
export const managementRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  declareErrorFamily(app, MANAGEMENT);
  app.addHook('onRoute', (route) => {
    route.schema = {
      tags: [resourceFamily(route.url)],
      ...route.schema,
      security: [{ [MANAGEMENT_TOKEN]: [] }],
    };
  });
  // Every write, on every route registered below, goes to the tenant log once answered (sapi/fapi).
  app.addHook('onResponse', async (request, reply) => {
    if (!WRITES.has(request.method)) return;
    await logApiOperation(ctx, {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      authorization: request.headers.authorization,
      ip: request.ip,
      user_agent: request.headers['user-agent'] ?? null,
    });
  });
  await app.register(userRoutes, { ctx }); // /api/v2/users*, /api/v2/users-by-email, /api/users
  await app.register(sessionRoutes, { ctx }); // /api/v2/users/{id}/sessions, /api/v2/sessions/{id}
  await app.register(refreshTokenRoutes, { ctx }); // .../refresh-tokens, /api/v2/refresh-tokens/{id}
  await app.register(logRoutes, { ctx }); // /api/v2/logs*, /api/v2/users/:id/logs
  await app.register(connectionRoutes, { ctx }); // /api/v2/connections*
  await app.register(clientRoutes, { ctx }); // /api/v2/clients*
  await app.register(roleRoutes, { ctx }); // /api/v2/roles*, /api/v2/users/{id}/roles|permissions
  await app.register(resourceServerRoutes, { ctx }); // /api/v2/resource-servers*
};
