import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { brandColour } from '../../core/branding.ts';
import type { Context } from '../../core/context.ts';
import { brandStylesheet } from '../../ui/brand.ts';
import { AUTHENTICATION, declareErrorFamily } from '../error-families.ts';
import { objectOptions, optionalText } from '../schemas.ts';

/** The hosted pages' stylesheet and scripts (src/ui/assets, copied to dist/ui/assets by the build). */
const ASSETS = fileURLToPath(new URL('../../ui/assets/', import.meta.url));
const ASSET_MAX_AGE_MS = 3600_000;

const BrandQuery = Type.Object({ client_id: optionalText(256) }, objectOptions);

const Stylesheet = {
  description: 'The application’s colours as CSS variables (empty without a brand colour)',
  content: { 'text/css': { schema: Type.String() } },
};

/**
 * `/ui/*`: what the hosted pages load, from this origin alone (their Content-Security-Policy
 * allows no other): the stylesheet and scripts, and each application's brand stylesheet.
 */
export const uiAssetRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  declareErrorFamily(app, AUTHENTICATION);
  await app.register(fastifyStatic, {
    root: ASSETS,
    prefix: '/ui/',
    // A route per file found at start, and nothing else: no other path under /ui/ reaches the
    // disk, no directory is listed, and `/ui/constructor` is the ordinary 404.
    wildcard: false,
    index: false,
    list: false,
    decorateReply: false,
    maxAge: ASSET_MAX_AGE_MS,
    // A kilobyte of script needs no byte ranges; ETag and Last-Modified let a browser revalidate.
    acceptRanges: false,
    setHeaders: (reply, path) => {
      // RFC 9239's name for JavaScript, which `send`'s type table still calls application/javascript.
      if (path.endsWith('.js')) reply.header('content-type', 'text/javascript; charset=utf-8');
    },
  });

  app.get(
    '/ui/brand.css',
    { schema: { querystring: BrandQuery, response: { 200: Stylesheet } } },
    async (request, reply) => {
      const colour = await brandColour(ctx, request.query.client_id);
      return reply
        .header('content-type', 'text/css; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .send(brandStylesheet(colour));
    },
  );
};
