import { isTransientStatus, ProviderError, retryAfterMs } from '../provider.ts';
import { redact } from './redaction.ts';

/** What an email API answered: the status, its headers, and the body (parsed when it is JSON). */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One provider's HTTP API as the email providers call it. */
export interface ApiCall {
  /** The provider's name as operators know it, for descriptions ("SendGrid"). */
  label: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Credentials (in every form they travel) that must never reach a description. */
  secrets: readonly string[];
}

/**
 * POSTs to a provider's API. Not getting an answer at all (refused connection, reset, DNS, the
 * caller's signal firing) is transient. Redirects are not followed: a credential in a custom header
 * would travel with them to whatever host they name.
 */
export async function post(call: ApiCall, signal: AbortSignal): Promise<ApiAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(call.url, {
      method: 'POST',
      headers: call.headers,
      body: call.body,
      redirect: 'manual',
      signal,
    });
    text = await response.text();
  } catch (error) {
    if (signal.aborted) {
      throw new ProviderError('transient', `${call.label} did not answer in time (the request was aborted)`);
    }
    throw new ProviderError('transient', `Could not reach ${call.label}: ${networkCode(error)}`);
  }
  return { status: response.status, headers: response.headers, body: parseJson(text) };
}

/**
 * The usual refusal for an answer the provider's own rules did not classify: 408, 425, 429 and 5xx
 * are transient (after Retry-After when given), other statuses permanent.
 */
export function refusal(
  call: ApiCall,
  answer: ApiAnswer,
  detail: string | undefined,
  providerCode?: string | number,
): ProviderError {
  const kind = isTransientStatus(answer.status) ? 'transient' : 'permanent';
  return new ProviderError(kind, describe(call, answer.status, detail), {
    status: answer.status,
    ...(providerCode === undefined ? {} : { providerCode }),
    ...retryDelay(answer),
  });
}

/** `SendGrid answered 400: The from address does not match a verified Sender Identity`. */
export function describe(call: ApiCall, status: number, detail: string | undefined): string {
  const base = `${call.label} answered ${status}`;
  return detail ? `${base}: ${redact(detail, call.secrets)}` : base;
}

/** `retryAfterMs` from the answer's Retry-After header, when it has one. */
export function retryDelay(answer: ApiAnswer): { retryAfterMs?: number } {
  const ms = retryAfterMs(answer.headers.get('retry-after'));
  return ms === undefined ? {} : { retryAfterMs: ms };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The system error code under fetch's generic "fetch failed" (ECONNREFUSED, ENOTFOUND...). */
function networkCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    current = current.cause;
  }
  return 'network error';
}
