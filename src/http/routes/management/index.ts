import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '../../../core/context.ts';
import { declareErrorFamily, MANAGEMENT } from '../../error-families.ts';
import { refreshTokenRoutes } from './refresh-tokens.ts';
import { sessionRoutes } from './sessions.ts';
import { userRoutes } from './users.ts';

/**
 * The Management API (`/api/v2/*`, and the legacy `/api/users`): one plugin per resource family,
 * each in its own file here, all answering errors as the Management API does.
 */
export const managementRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  declareErrorFamily(app, MANAGEMENT);
  await app.register(userRoutes, { ctx }); // /api/v2/users*, /api/v2/users-by-email, /api/users
  await app.register(sessionRoutes, { ctx }); // /api/v2/users/{id}/sessions, /api/v2/sessions/{id}
  await app.register(refreshTokenRoutes, { ctx }); // .../refresh-tokens, /api/v2/refresh-tokens/{id}
};
