import { ProviderError } from './provider.ts';

/** One POST to a provider's HTTP API. */
export interface ProviderRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * Who is called, in descriptions of a request that got no answer ("SendGrid", "the SMS
   * provider"). Never the URL: a gateway URL may carry a key in its query string.
   */
  label: string;
}

/** What a provider's HTTP API answered. */
export interface ProviderAnswer {
  status: number;
  headers: Headers;
  /** The body as text, cut at MAX_ANSWER_BYTES: an answer is a status and a short JSON document. */
  text: string;
  /** The body parsed as JSON, or the text itself when it is not JSON. */
  body: unknown;
}

const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs one request and reads the answer, within the send's `signal` (the outbox's time limit).
 * Every way of not getting an answer (refused connection, DNS failure, reset, the signal firing)
 * is a transient ProviderError. Redirects are not followed: a provider API does not redirect a
 * POST, and following one would send the credentials somewhere the operator never configured.
 */
export async function postToProvider(request: ProviderRequest, signal: AbortSignal): Promise<ProviderAnswer> {
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal,
    });
    const text = await readCapped(response);
    return { status: response.status, headers: response.headers, text, body: parseJson(text) };
  } catch (error) {
    if (signal.aborted) throw new ProviderError('transient', `${request.label} did not answer in time`);
    const code = networkCode(error);
    throw new ProviderError('transient', `could not reach ${request.label}${code ? ` (${code})` : ''}`);
  }
}

/** Whether the answer is a 2xx. */
export function succeeded(answer: ProviderAnswer): boolean {
  return answer.status >= 200 && answer.status < 300;
}

/**
 * The ProviderError for an answer the provider's own rules did not classify: 408, 425, 429 and 5xx
 * are worth retrying (after the provider's Retry-After, when it gave one); any other status is
 * final, since the same request would meet the same refusal.
 */
export function httpRefusal(
  answer: ProviderAnswer,
  description: string,
  providerCode?: string | number,
): ProviderError {
  const transient = isTransientStatus(answer.status);
  return new ProviderError(transient ? 'transient' : 'permanent', description, {
    status: answer.status,
    ...(providerCode === undefined ? {} : { providerCode }),
    ...(transient ? retryDelay(answer) : {}),
  });
}

/** `retryAfterMs` from the answer's Retry-After header (seconds or an HTTP date), when it has one. */
export function retryDelay(answer: ProviderAnswer, now = Date.now()): { retryAfterMs?: number } {
  const header = answer.headers.get('retry-after');
  if (!header) return {};
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: seconds * 1000 };
  const date = Date.parse(header);
  return Number.isNaN(date) ? {} : { retryAfterMs: Math.max(0, date - now) };
}

/** A field of a JSON object answer; undefined when the answer is not an object. */
export function field(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
}

function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The system error code under fetch's generic "fetch failed" (ECONNREFUSED, ENOTFOUND...): it holds no secret. */
function networkCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_ANSWER_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= MAX_ANSWER_BYTES) await reader.cancel();
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}
