import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyRequest } from 'fastify';
import type { AllowedOrigins } from '../core/allowed-origins.ts';

/**
 * The API routes a browser calls from an application's own origin, and whether the answer may
 * carry cookies (only where one is set or read). Every other route (/authorize, the hosted pages,
 * /v2/logout, the dev inbox) answers no cross-origin read: an origin one application allows must
 * not read another's pages, which carry codes and tokens and ride on the user's cookies.
 */
const CORS_ROUTES: ReadonlyMap<string, { credentials: boolean }> = new Map([
  // Sets the cookie that binds a magic link to the browser that asked for it.
  ['/passwordless/start', { credentials: true }],
  ['/passwordless/verify', { credentials: false }],
  ['/oauth/token', { credentials: false }],
  ['/oauth/ro', { credentials: false }],
  ['/oauth/revoke', { credentials: false }],
  ['/userinfo', { credentials: false }],
  // Public documents SDKs read to check an id_token's signature (auth0.js checkSession).
  ['/.well-known/jwks.json', { credentials: false }],
  ['/.well-known/openid-configuration', { credentials: false }],
  // Sets the cross-origin verifier cookie /authorize reads.
  ['/co/authenticate', { credentials: true }],
]);

/**
 * The CORS answer for one request (@fastify/cors `delegator`): headers only on the routes above,
 * only for an origin some application allows. A preflight is routed to `OPTIONS *`, so the path
 * is read from the URL, not the route.
 */
export function corsPolicy(
  origins: AllowedOrigins,
): (request: FastifyRequest) => Promise<FastifyCorsOptions> {
  return async (request) => {
    const route = CORS_ROUTES.get(request.url.split('?', 1)[0] as string);
    const origin = request.headers.origin;
    if (!route || origin === undefined || !(await origins.has(origin))) return { origin: false };
    return { origin, credentials: route.credentials, maxAge: 600 };
  };
}
