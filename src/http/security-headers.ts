import type { FastifyHelmetOptions } from '@fastify/helmet';

/**
 * @fastify/helmet with none of its headers on by default (`global: false` and each one off): an
 * HTML page asks for its own through `reply.helmet` (ui/pages.ts: Referrer-Policy, X-Frame-Options,
 * Cross-Origin-Opener-Policy), the web-message page leaving some off to be framed by one origin
 * and keep its opener. Helmet writes to the raw response, which sends an answer down Node's slower
 * header path: worth it for a page, not for every token answer, so the one header every answer
 * carries (`X-Content-Type-Options: nosniff`) is set in app.ts's onSend hook. The other defaults
 * (HSTS, Cross-Origin-Resource-Policy) would be decisions of their own, not part of a refactoring.
 */
export const PAGE_HEADERS_ON_ASK: FastifyHelmetOptions = {
  global: false,
  contentSecurityPolicy: false,
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  strictTransportSecurity: false,
  xContentTypeOptions: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: false,
  xPermittedCrossDomainPolicies: false,
  xPoweredBy: false,
  xXssProtection: false,
};
