import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PageLimiter } from '../core/ip-limits.ts';
import type { Metrics } from '../metrics.ts';
import { messages, pickLanguage } from '../ui/i18n.ts';
import { sendPage } from '../ui/pages.ts';

export type PageLimitHook = (
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<FastifyReply | undefined>;

/**
 * An `onRequest` hook for the hosted login's routes: past the per-IP limit it answers a "too many
 * requests" page (429, Retry-After) before the request is parsed or anything is written.
 */
export function pageLimit(limiter: PageLimiter, metrics: Metrics): PageLimitHook {
  return async (request, reply) => {
    const wait = await limiter.consume(request.ip);
    if (wait === 0) return undefined;
    metrics.rateLimitHit('page_ip');
    const language = pickLanguage(undefined, request.headers['accept-language']);
    const t = messages(language);
    return sendPage(
      reply.header('retry-after', String(wait)),
      'message',
      { lang: language, title: t.error_title, message: t.too_many_requests, error: true },
      { status: 429 },
    );
  };
}
