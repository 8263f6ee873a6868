import type { FastifyRequest } from 'fastify';

const TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/;

/** The message language: `x-request-language`, then the first `Accept-Language` tag; null when neither names one. */
export function requestLanguage(request: FastifyRequest): string | null {
  const explicit = request.headers['x-request-language'];
  if (typeof explicit === 'string' && TAG.test(explicit.trim())) return explicit.trim();
  const accept = request.headers['accept-language'];
  if (typeof accept !== 'string') return null;
  const first = accept.split(',')[0]?.split(';')[0]?.trim() ?? '';
  return TAG.test(first) ? first : null;
}
