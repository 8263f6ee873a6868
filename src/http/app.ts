import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { trustProxyOption } from '../config/trust-proxy.ts';
import { AllowedOrigins } from '../core/allowed-origins.ts';
import type { Context } from '../core/context.ts';
import { PageLimiter, StartLimiter } from '../core/ip-limits.ts';
import { clientErrorHandler, errorHandler, notFoundHandler } from './errors.ts';
import { limitJsonNesting } from './json-body.ts';
import { corsPolicy } from './origins.ts';
import { pageLimit } from './page-limit-hook.ts';
import { requestId } from './request-id.ts';
import { authorizeRoutes } from './routes/authorize.ts';
import { devInboxRoutes } from './routes/dev-inbox.ts';
import { loginPageRoutes } from './routes/login-page.ts';
import { logoutRoutes } from './routes/logout.ts';
import { MANAGEMENT_TOKEN, managementRoutes } from './routes/management/index.ts';
import { oidcRoutes } from './routes/oidc.ts';
import { openapiRoutes } from './routes/openapi.ts';
import { operationsRoutes } from './routes/operations.ts';
import { passwordlessRoutes } from './routes/passwordless.ts';
import { tokenRoutes } from './routes/token.ts';
import { uiAssetRoutes } from './routes/ui-assets.ts';
import { userinfoRoutes } from './routes/userinfo.ts';
import { PAGE_HEADERS_ON_ASK } from './security-headers.ts';

export interface AppOptions {
  ctx: Context;
  devInbox: boolean;
  logger: FastifyBaseLogger;
  /** True once shutdown has begun: /readyz then answers 503 so load balancers drain the instance. */
  stopping?: () => boolean;
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * Builds the HTTP application: plugins, error handling and routes. No business logic lives here.
 * Each route plugin (routes/, one per endpoint family, named after its URLs) parses a request,
 * authenticates the application, calls core and shapes the answer; it declares its error family
 * (error-families.ts), and its routes' schemas say what they take and answer.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const { ctx } = options;
  const tls = ctx.config.tls;
  const app = Fastify({
    ...(tls && { https: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } }),
    loggerInstance: options.logger,
    genReqId: requestId,
    bodyLimit: ctx.config.body_limit,
    trustProxy: trustProxyOption(ctx.config.trust_proxy),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    routerOptions: { maxParamLength: 256 },
    // The router's own refusals (a path segment past maxParamLength, a malformed percent-encoding)
    // otherwise answer with Fastify's body, echoing the path, instead of the spec's error body.
    frameworkErrors: errorHandler,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  const stopping = options.stopping ?? (() => false);
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-request-id', request.id);
    // A kept-alive connection would hold shutdown open until it timed out: close it after this answer.
    if (stopping()) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route's template, never the URL, so that no caller can mint new label values.
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequest(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
  });

  limitJsonNesting(app);
  await app.register(helmet, PAGE_HEADERS_ON_ASK);
  await app.register(formbody, { bodyLimit: ctx.config.body_limit });
  await app.register(cookie);
  await app.register(cors, { delegator: corsPolicy(new AllowedOrigins(ctx)) });

  // Every route's TypeBox schema also describes it in the OpenAPI document at /openapi.json.
  await app.register(swagger, {
    openapi: {
      info: { title: 'Tessera', description: 'Auth0-compatible passwordless API', version: '0.1.0' },
      servers: [{ url: ctx.config.issuer }],
      components: {
        securitySchemes: {
          [MANAGEMENT_TOKEN]: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'A Management API access token (client_credentials grant, audience `<issuer>api/v2/`)',
          },
        },
      },
    },
  });
  await app.register(openapiRoutes);

  const limiter = new StartLimiter(ctx);
  const limitPages = pageLimit(
    new PageLimiter(ctx.counters, ctx.config.rate_limits.authorize_per_ip_per_minute),
    ctx.metrics,
  );
  await app.register(passwordlessRoutes, { ctx, limiter }); // /passwordless/*
  await app.register(tokenRoutes, { ctx }); // /oauth/token, /oauth/ro, /oauth/revoke
  await app.register(oidcRoutes, { ctx }); // /.well-known/*
  await app.register(userinfoRoutes, { ctx }); // /userinfo
  await app.register(managementRoutes, { ctx }); // /api/v2/*, /api/users
  await app.register(authorizeRoutes, { ctx, limitPages }); // /authorize, /co/authenticate
  await app.register(loginPageRoutes, { ctx, limiter, limitPages }); // /u/login*
  await app.register(uiAssetRoutes, { ctx }); // /ui/*
  await app.register(logoutRoutes, { ctx }); // /v2/logout
  if (options.devInbox) await app.register(devInboxRoutes, { ctx }); // /dev/inbox*, /callback
  await app.register(operationsRoutes, { ctx, stopping }); // /healthz, /readyz, /metrics
  return app;
}
