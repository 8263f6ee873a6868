import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.ts';
import { familyOfUrl } from './error-families.ts';
import { unavailable } from './errors.ts';
import { requestId } from './request-id.ts';

/**
 * What answers on the server's port while a starting instance waits for its database: alive
 * (`/healthz` 200, so an orchestrator does not restart it into a crash loop), not ready (`/readyz`
 * 503), and 503 with Retry-After, in each endpoint's error vocabulary, everywhere else.
 */
export function buildStartingApp(config: Config, logger: FastifyBaseLogger): FastifyInstance {
  const tls = config.tls;
  const app = Fastify({
    ...(tls && { https: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } }),
    loggerInstance: logger,
    genReqId: requestId,
    // Every answer closes its connection (below), so none is cut mid-request when the real app
    // takes the port over; what is left idle is closed then.
    forceCloseConnections: 'idle',
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('connection', 'close');
    return payload;
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => reply.status(503).send({ status: 'starting' }));
  app.setNotFoundHandler((request, reply) => {
    // No route is registered yet: the URL says which family's words to answer in.
    const family = familyOfUrl(request.url);
    const answer = unavailable(family);
    void reply.headers(answer.headers).status(answer.status).send(family.body(answer));
  });
  return app;
}
