import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AUTHENTICATION, declareErrorFamily } from '../error-families.ts';

/** The page's header shows the product's name, not the framework's. */
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32"><rect x="2" y="4" width="11" height="11" rx="2" fill="#fff"/><rect x="15" y="4" width="11" height="11" rx="2" fill="#9ae6b4"/><rect x="2" y="17" width="11" height="11" rx="2" fill="#9ae6b4"/><rect x="15" y="17" width="11" height="11" rx="2" fill="#fff"/><text x="34" y="23" font-family="sans-serif" font-size="18" font-weight="600" fill="#fff">Tessera</text></svg>`;

const Document = Type.Unknown({ description: 'An OpenAPI 3 document' });

/** The prefix of every Management API path (and the legacy `/api/users`). */
const MANAGEMENT_PATHS = '/api/';

interface OpenApiDocument {
  paths?: Record<string, unknown>;
  info?: Record<string, unknown>;
  [member: string]: unknown;
}

/** The part of the whole document that describes the Management API. */
function managementDocument(whole: OpenApiDocument): OpenApiDocument {
  const paths = Object.fromEntries(
    Object.entries(whole.paths ?? {}).filter(([path]) => path.startsWith(MANAGEMENT_PATHS)),
  );
  return {
    ...whole,
    info: { ...whole.info, title: 'Tessera Management API', description: "Auth0's Management API v2" },
    paths,
  };
}

/**
 * The OpenAPI documents @fastify/swagger builds from every route's schemas: `GET /openapi.json`
 * (every endpoint), `GET /api/v2/openapi.json` (the Management API alone), and the Management
 * API's reference page at `/api/v2/docs/` (Swagger UI, served from the package's own files).
 */
export const openapiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  declareErrorFamily(app, AUTHENTICATION);
  const hidden = { schema: { hide: true, response: { 200: Document } } };
  app.get('/openapi.json', hidden, async () => app.swagger());
  app.get('/api/v2/openapi.json', hidden, async () => managementDocument(app.swagger() as OpenApiDocument));
  await app.register(swaggerUi, {
    routePrefix: '/api/v2/docs',
    // Swagger UI sets style attributes as it renders, so styles (not scripts) may be inline; every
    // other resource is Tessera's own, and the page may not be framed.
    staticCSP: {
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'script-src-attr': ["'none'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'font-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'object-src': ["'none'"],
      'base-uri': ["'self'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
    },
    logo: { type: 'image/svg+xml', content: LOGO, href: '/api/v2/docs/' },
    transformSpecification: (whole) => managementDocument(whole as OpenApiDocument),
    // No validator badge: it would send the document to validator.swagger.io.
    uiConfig: { docExpansion: 'list', deepLinking: true, tryItOutEnabled: false, validatorUrl: null },
  });
};
