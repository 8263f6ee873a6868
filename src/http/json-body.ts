import type { FastifyInstance } from 'fastify';
import { AuthError } from '../core/errors.ts';
import { familyOf } from './error-families.ts';

/**
 * Objects and arrays a JSON body may nest, the body itself being the first level. No request
 * needs more than a few; a body nested thousands deep (10 KB is enough) once got through to
 * JSON.stringify, which ran out of stack and answered 500.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Replaces Fastify's JSON parser with one that first refuses a body nested past MAX_JSON_DEPTH,
 * with the endpoint family's bad-request code, then parses with Fastify's own (secure-json-parse,
 * refusing `__proto__` and `constructor.prototype` keys as before).
 */
export function limitJsonNesting(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestedPast(body as string, MAX_JSON_DEPTH)) {
      const description = `The request body is nested too deeply: at most ${MAX_JSON_DEPTH} levels of objects and arrays`;
      done(new AuthError(400, familyOf(request).badRequest, description), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}

/**
 * Whether JSON text opens more than `limit` objects and arrays one inside another, read before
 * parsing so that nothing deep is ever built. Brackets inside strings do not count. Text that is
 * not JSON gives some answer; the parser refuses it anyway.
 */
export function nestedPast(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
