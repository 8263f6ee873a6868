import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import pino, { type DestinationStream, type LoggerOptions } from 'pino';

// Query parameters whose values are secrets: never written to a log line.
const SECRET_PARAMS = new Set([
  'verification_code',
  'code',
  'otp',
  'token',
  'access_token',
  'id_token',
  'id_token_hint',
  'refresh_token',
  'client_secret',
  'login_ticket',
  'code_verifier',
  'co_verifier',
  'password',
]);

/**
 * The URL with every secret query value replaced, for logging. Names are compared as the query
 * parser will read them (percent-decoded, `+` as a space) and in any case, so `verification%5Fcode`
 * is caught too; everything else is kept as it came.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return url;
  const hashAt = url.indexOf('#', queryAt);
  const end = hashAt === -1 ? url.length : hashAt;
  const fields = url.slice(queryAt + 1, end).split('&');
  let redacted = false;
  for (const [i, field] of fields.entries()) {
    const eq = field.indexOf('=');
    if (eq === -1) continue;
    const name = field.slice(0, eq);
    if (!SECRET_PARAMS.has(decodedName(name))) continue;
    fields[i] = `${name}=[redacted]`;
    redacted = true;
  }
  return redacted ? `${url.slice(0, queryAt + 1)}${fields.join('&')}${url.slice(end)}` : url;
}

function decodedName(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name.toLowerCase();
  // URLSearchParams decodes as the query parser does, and leaves a broken escape as it is.
  const [decoded = ''] = new URLSearchParams(`${name}=`).keys();
  return decoded.toLowerCase();
}

/**
 * The server's pino logger: JSON lines (or coloured lines on a developer's terminal), secrets
 * redacted from URLs, headers and bodies.
 */
export function createLogger(
  level: string,
  pretty = false,
  /** Where the lines go instead of standard output (a test reading what the server logs). */
  destination?: DestinationStream,
): FastifyBaseLogger {
  const options: LoggerOptions = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.client_secret',
        '*.otp',
        '*.password',
        '*.verification_code',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
      res: (res: FastifyReply) => ({ statusCode: res.statusCode }),
    },
    ...(pretty && {
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname,reqId', singleLine: true },
      },
    }),
  };
  return (destination ? pino(options, destination) : pino(options)) as FastifyBaseLogger;
}
