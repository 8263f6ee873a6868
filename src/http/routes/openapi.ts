import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AUTHENTICATION, declareErrorFamily } from '../error-families.ts';

const Document = Type.Unknown({ description: 'An OpenAPI 3 document' });

/** `GET /openapi.json`: the OpenAPI document @fastify/swagger builds from every route's schemas. */
export const openapiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  declareErrorFamily(app, AUTHENTICATION);
  app.get('/openapi.json', { schema: { hide: true, response: { 200: Document } } }, async () =>
    app.swagger(),
  );
};
