import type { ProviderError } from '../provider.ts';
import { httpRefusal, type ProviderAnswer, type ProviderRequest } from '../provider-http.ts';
import { HttpUrl } from '../provider-settings.ts';
import { redact } from './redaction.ts';

/** One call to an email provider's HTTP API. */
export interface ApiCall extends ProviderRequest {
  /** Credentials (in every form they travel) that must never reach a description. */
  secrets: readonly string[];
}

/** An API's `base_url` setting; its trailing slashes are dropped when the provider is made. */
export function ApiBaseUrl(fallback: string) {
  return HttpUrl({ default: fallback, mustBe: 'an http(s) URL' });
}

/**
 * The usual refusal for an answer the provider's own rules did not classify, in the provider's
 * own words (redacted): 408, 425, 429 and 5xx are transient, other statuses permanent.
 */
export function refusal(
  call: ApiCall,
  answer: ProviderAnswer,
  detail: string | undefined,
  providerCode?: string | number,
): ProviderError {
  return httpRefusal(answer, describe(call, answer.status, detail), providerCode);
}

/** `SendGrid answered 400: The from address does not match a verified Sender Identity`. */
export function describe(call: ApiCall, status: number, detail: string | undefined): string {
  const base = `${call.label} answered ${status}`;
  return detail ? `${base}: ${redact(detail, call.secrets)}` : base;
}
