import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '../../../core/context.ts';
import { declareErrorFamily, MANAGEMENT } from '../../error-families.ts';
import { resourceServerRoutes } from './resource-servers.ts';
import { roleRoutes } from './roles.ts';
import { userRoutes } from './users.ts';

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
  await app.register(userRoutes, { ctx }); // /api/v2/users*, /api/users
  await app.register(roleRoutes, { ctx }); // /api/v2/roles*, /api/v2/users/{id}/roles|permissions
  await app.register(resourceServerRoutes, { ctx }); // /api/v2/resource-servers*
};
