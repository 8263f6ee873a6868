import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What an incoming `x-request-id` may look like to be kept: short, and harmless in a log line. */
const SANE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The request's id (`reqId` in every log line of the request, and the `x-request-id` answer
 * header): the one a proxy or caller sent when it is a short token, so one id follows a request
 * across services, else a new UUID.
 */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
}
