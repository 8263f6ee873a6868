import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import { Type } from 'typebox';
import { secretsEqual } from '../../core/codes.ts';
import type { Context } from '../../core/context.ts';
import { AuthError } from '../../core/errors.ts';
import { AUTHENTICATION, declareErrorFamily } from '../error-families.ts';

/** How long readiness waits for the database or the counters before calling them down. */
const CHECK_TIMEOUT_MS = 2000;

const Alive = Type.Object({ status: Type.Literal('ok') }, { description: 'The process answers' });
const Check = Type.Union([Type.Literal('ok'), Type.Literal('error')]);
const Readiness = Type.Object({
  status: Type.Union([
    Type.Literal('ok'),
    Type.Literal('degraded'),
    Type.Literal('unavailable'),
    Type.Literal('stopping'),
  ]),
  checks: Type.Optional(Type.Object({ database: Check, counters: Check })),
});

const Prometheus = {
  description: 'Prometheus text exposition format',
  content: { 'text/plain': { schema: Type.String() } },
};

export interface OperationsOptions {
  ctx: Context;
  /** True once shutdown has begun: the instance drains and is no longer ready. */
  stopping: () => boolean;
}

/** Probes and metrics for operators: /healthz (alive), /readyz (can serve), /metrics (Prometheus). */
export const operationsRoutes: FastifyPluginAsyncTypebox<OperationsOptions> = async (
  app,
  { ctx, stopping },
) => {
  declareErrorFamily(app, AUTHENTICATION);
  app.get('/healthz', { schema: { response: { 200: Alive } } }, async () => ({ status: 'ok' as const }));

  let failing = new Set<string>();
  app.get('/readyz', { schema: { response: { 200: Readiness, 503: Readiness } } }, async (request, reply) => {
    if (stopping()) return reply.status(503).send({ status: 'stopping' });
    const [database, counters] = await Promise.all([
      probe(() => ctx.store.ping()),
      probe(() => ctx.counters.ping()),
    ]);
    failing = reportChanges(request.log, failing, { database, counters });
    if (database.ok && counters.ok) return { status: 'ok' as const };
    // Only which dependency is down: its error may name a host or a user, and this is public.
    const checks = { database: verdict(database), counters: verdict(counters) };
    // Counters down alone: the instance serves (limits per instance); the operator decides whether
    // that keeps it in the balancer.
    if (database.ok && !ctx.config.readiness_requires_counters)
      return { status: 'degraded' as const, checks };
    return reply.status(503).send({ status: 'unavailable', checks });
  });

  const { enabled, token } = ctx.config.metrics;
  if (!enabled) return;
  app.get('/metrics', { schema: { hide: true, response: { 200: Prometheus } } }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
      throw new AuthError(401, 'invalid_token', 'The metrics bearer token is missing or wrong', {
        'www-authenticate': 'Bearer realm="metrics"',
      });
    }
    return reply.type(ctx.metrics.contentType).send(await ctx.metrics.render());
  });
};

type Probe = { ok: true } | { ok: false; error: unknown };

/** Whether the dependency answered in time, and if not, why. */
async function probe(ping: () => Promise<void>): Promise<Probe> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([ping(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Logs a dependency going down or coming back, once per change rather than on every probe (load
 * balancers probe every few seconds). Returns the names failing now.
 */
function reportChanges(
  log: FastifyBaseLogger,
  before: Set<string>,
  results: Record<string, Probe>,
): Set<string> {
  const now = new Set<string>();
  for (const [check, result] of Object.entries(results)) {
    if (result.ok) {
      if (before.has(check)) log.info({ check }, 'readiness: dependency answers again');
      continue;
    }
    now.add(check);
    if (!before.has(check))
      log.warn({ check, error: describe(result.error) }, 'readiness: dependency is down');
  }
  return now;
}

function verdict(result: Probe): 'ok' | 'error' {
  return result.ok ? 'ok' : 'error';
}

/** An error's message with any `user:password@` of a URL in it removed. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\/\/[^/\s@]*@/g, '//[redacted]@').slice(0, 500);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1];
  return given !== undefined && secretsEqual(given, token);
}
