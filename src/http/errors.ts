import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../core/errors.ts';
import { isDatabaseUnavailable } from '../store/unavailable.ts';
import { type ErrorFamily, familyOf, familyOfUrl } from './error-families.ts';

/**
 * The answer while the database cannot be reached: 503 with Retry-After, in the family's words.
 * OAuth's code for it is `temporarily_unavailable` (RFC 6749 §4.1.2.1), the Management API's too;
 * Auth0's other endpoints say `server_error`.
 */
export function unavailable(family: ErrorFamily): AuthError {
  return new AuthError(503, family.unavailable, 'The service is unavailable. Try again shortly.', {
    'retry-after': '5',
  });
}

/** Maps every thrown error to its family's body. Nothing leaks a stack or secret. */
export function errorHandler(
  error: FastifyError | AuthError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const family = familyOf(request);
  const answer = toAuthError(error, family);
  // An outage is logged once, where it begins and ends (store/health.ts), not once per request.
  if (answer.status === 503 && isDatabaseUnavailable(error))
    request.log.debug({ err: error }, 'answered 503: the database is unavailable');
  else if (answer.status >= 500 && !(error instanceof AuthError)) {
    request.log.error({ err: error }, 'unhandled error');
  }
  const headers = { ...answer.headers };
  // RFC 6749 §5.2: a client that authenticated with HTTP Basic is answered with the scheme to use.
  if (answer.error === 'invalid_client' && /^basic /i.test(request.headers.authorization ?? '')) {
    headers['www-authenticate'] = 'Basic realm="tessera", charset="UTF-8"';
  }
  void reply.headers(headers).status(answer.status).send(family.body(answer));
}

/** What no route answers: 404 in the URL's family. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const body = familyOf(request).body(new AuthError(404, 'not_found', 'No such endpoint'));
  void reply.status(404).send(body);
}

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (a URL or headers past the
 * size limit, broken framing) with the same error body as every other error.
 */
export function clientErrorHandler(
  error: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, description] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request URL or headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request took too long to arrive']
        : [400, 'The request is not valid HTTP'];
  // The request line, when it arrived, still says which error vocabulary to speak.
  const head = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 256) : '';
  const family = familyOfUrl(/^[A-Z]+ (\/\S*)/.exec(head)?.[1] ?? '/');
  const body = JSON.stringify(family.body(new AuthError(status, family.badRequest, description)));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function toAuthError(error: FastifyError | AuthError, family: ErrorFamily): AuthError {
  if (error instanceof AuthError) return error;
  const code = family.badRequest;
  if (error.validation) {
    const where = error.validationContext;
    const validationCode = where === 'querystring' || where === 'params' ? family.badQuery : code;
    return new AuthError(400, validationCode, describeValidation(error));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AuthError(413, code, 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AuthError(
        400,
        code,
        'Content-Type must be application/json or application/x-www-form-urlencoded',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AuthError(400, code, 'The request body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AuthError(400, code, 'The request body is not valid JSON');
  }
  if (error instanceof SyntaxError) return new AuthError(400, code, 'The request body is not valid JSON');
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500)
    return new AuthError(status, code, 'The request could not be understood');
  if (isDatabaseUnavailable(error)) return unavailable(family);
  return new AuthError(500, 'server_error', 'Something went wrong on our side');
}

function describeValidation(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return 'The request is malformed';
  const where = error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'body');
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'required') return `Missing required parameter: ${String(params.missingProperty)}`;
  const field = first.instancePath.replace(/^\//, '').replaceAll('/', '.') || where;
  if (field === 'body' && first.keyword === 'type') return 'The request body must be a JSON object or a form';
  switch (first.keyword) {
    case 'type':
      return `${field} must be a ${String(params.type)}`;
    case 'maxLength':
      return `${field} must be at most ${String(params.limit)} characters`;
    case 'minLength':
      return `${field} must not be empty`;
    case 'pattern':
      return `${field} contains characters that are not allowed`;
    case 'maxProperties':
      return `${field} has too many fields`;
    default:
      return `${field} is not valid`;
  }
}
