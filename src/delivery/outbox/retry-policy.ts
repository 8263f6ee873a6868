import type { Config } from '../../config/schema.ts';
import { ProviderError } from '../provider.ts';

export type RetrySettings = Pick<Config['delivery'], 'primary_attempts' | 'retry_base_ms'>;

/** Where a message stands: its failed tries so far, on which provider, and when its code expires. */
export interface MessageProgress {
  attempts: number;
  use_secondary: boolean;
  expires_at: number;
}

/** What follows a failed try. */
export type NextStep =
  /** A refusal for good: the same message would be refused again. */
  | { action: 'fail'; error: ProviderError }
  /** Transient, but the code would expire before another try. */
  | { action: 'give_up'; attempts: number; error: ProviderError }
  /** Another try `delay` ms from now (at `at`), on the failover provider once `useSecondary`. */
  | { action: 'retry'; attempts: number; useSecondary: boolean; delay: number; at: number };

/**
 * Decides what follows a failed try, from the message's progress alone: a transient failure is
 * retried after `retry_base_ms`, doubled with each try on the same provider (or after the
 * provider's Retry-After when that is longer); after `primary_attempts` tries the failover
 * provider, when there is one, takes over at once; no try is planned past the code's expiry.
 */
export function afterFailure(
  message: MessageProgress,
  error: ProviderError,
  context: { settings: RetrySettings; hasSecondary: boolean; now: number },
): NextStep {
  if (error.kind === 'permanent') return { action: 'fail', error };
  const { primary_attempts, retry_base_ms } = context.settings;
  const attempts = message.attempts + 1;
  const toSecondary = !message.use_secondary && context.hasSecondary && attempts >= primary_attempts;
  const onCurrent = message.use_secondary ? attempts - primary_attempts : attempts;
  const backoff = retry_base_ms * 2 ** Math.max(0, onCurrent - 1);
  const delay = toSecondary ? 0 : Math.max(backoff, error.details.retryAfterMs ?? 0);
  const at = context.now + delay;
  if (at >= message.expires_at) {
    const description = `${error.description} (gave up: the code expires before another try)`;
    return { action: 'give_up', attempts, error: new ProviderError('transient', description, error.details) };
  }
  return { action: 'retry', attempts, useSecondary: message.use_secondary || toSecondary, delay, at };
}
