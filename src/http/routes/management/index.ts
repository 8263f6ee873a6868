import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '../../../core/context.ts';
import { declareErrorFamily, MANAGEMENT } from '../../error-families.ts';
import { clientRoutes } from './clients.ts';
import { connectionRoutes } from './connections.ts';
import { userRoutes } from './users.ts';

/**
 * The Management API (`/api/v2/*`, and the legacy `/api/users`): one plugin per resource family,
 * each in its own file here, all answering errors as the Management API does.
 */
export const managementRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  declareErrorFamily(app, MANAGEMENT);
  await app.register(userRoutes, { ctx }); // /api/v2/users*, /api/users
  await app.register(connectionRoutes, { ctx }); // /api/v2/connections*
  await app.register(clientRoutes, { ctx }); // /api/v2/clients*
};
