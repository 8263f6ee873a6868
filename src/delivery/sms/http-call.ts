import { isTransientStatus, ProviderError, retryAfterMs } from '../provider.ts';

/** What a provider's HTTP API answered. */
export interface ProviderAnswer {
  status: number;
  headers: Headers;
  /** The body as text, cut at MAX_BODY_BYTES: an answer is a status and a short JSON document. */
  text: string;
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * POSTs one request to a provider and reads its answer. Every way of not getting an answer (refused
 * connection, DNS failure, reset, the send's signal firing) becomes a transient ProviderError whose
 * description names no URL: a gateway URL may carry a key in its query string.
 */
export async function postToProvider(
  url: string,
  request: { headers: Record<string, string>; body: string },
  signal: AbortSignal,
): Promise<ProviderAnswer> {
  try {
    // Redirects are not followed: a provider API does not redirect a POST, and following one would
    // resend the credentials somewhere the operator never configured.
    const response = await fetch(url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal,
      redirect: 'manual',
    });
    return { status: response.status, headers: response.headers, text: await readCapped(response) };
  } catch (error) {
    throw unanswered(error, signal);
  }
}

/**
 * The ProviderError for an HTTP answer that is not a success: transient for 408, 425, 429 and 5xx
 * (after the provider's Retry-After, when it gave one), permanent otherwise.
 */
export function httpRefusal(
  answer: ProviderAnswer,
  description: string,
  providerCode?: string | number,
): ProviderError {
  const transient = isTransientStatus(answer.status);
  const wait = transient ? retryAfterMs(answer.headers.get('retry-after')) : undefined;
  return new ProviderError(transient ? 'transient' : 'permanent', description, {
    status: answer.status,
    ...(providerCode === undefined ? {} : { providerCode }),
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
}

/** The answer's JSON body, or undefined when it is not JSON. */
export function parseJson(answer: ProviderAnswer): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    return undefined;
  }
}

/** A field of a JSON object answer, when the answer is an object. */
export function field(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
}

function unanswered(error: unknown, signal: AbortSignal): ProviderError {
  if (signal.aborted) {
    return new ProviderError('transient', 'the SMS provider did not answer in time');
  }
  const code = networkCode(error);
  return new ProviderError('transient', `could not reach the SMS provider${code ? ` (${code})` : ''}`);
}

/** The system error code behind a failed fetch (ECONNREFUSED, ENOTFOUND...), which holds no secret. */
function networkCode(error: unknown): string | undefined {
  const code = field(field(error, 'cause'), 'code');
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : undefined;
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_BODY_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= MAX_BODY_BYTES) await reader.cancel();
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}
