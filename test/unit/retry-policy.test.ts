import { describe, expect, it } from 'vitest';
import { afterFailure, type MessageProgress } from '../../src/delivery/outbox/retry-policy.ts';
import { ProviderError } from '../../src/delivery/provider.ts';

const settings = { primary_attempts: 2, retry_base_ms: 1000 };
const NOW = 1_000_000;
const fresh: MessageProgress = { attempts: 0, use_secondary: false, expires_at: NOW + 300_000 };
const down = new ProviderError('transient', 'the provider answered HTTP 503', { status: 503 });

function next(message: MessageProgress, error = down, hasSecondary = false, now = NOW) {
  return afterFailure(message, error, { settings, hasSecondary, now });
}

describe('the retry policy', () => {
  it('never retries a refusal for good', () => {
    const refused = new ProviderError('permanent', "the recipient's phone number is not valid");
    expect(next(fresh, refused, true)).toEqual({ action: 'fail', error: refused });
  });

  it('retries a transient failure after retry_base_ms, doubling on each try', () => {
    expect(next(fresh)).toEqual({
      action: 'retry',
      attempts: 1,
      useSecondary: false,
      delay: 1000,
      at: NOW + 1000,
    });
    expect(next({ ...fresh, attempts: 1 })).toMatchObject({ attempts: 2, delay: 2000 });
    expect(next({ ...fresh, attempts: 3 })).toMatchObject({ attempts: 4, delay: 8000 });
  });

  it("waits for the provider's Retry-After when it is longer than the backoff, not when shorter", () => {
    const limited = (ms: number) => new ProviderError('transient', 'rate limited', { retryAfterMs: ms });
    expect(next(fresh, limited(7000))).toMatchObject({ action: 'retry', delay: 7000 });
    expect(next(fresh, limited(200))).toMatchObject({ action: 'retry', delay: 1000 });
  });

  it('moves to the failover provider at once after primary_attempts tries', () => {
    expect(next(fresh, down, true)).toMatchObject({ action: 'retry', useSecondary: false, delay: 1000 });
    expect(next({ ...fresh, attempts: 1 }, down, true)).toEqual({
      action: 'retry',
      attempts: 2,
      useSecondary: true,
      delay: 0,
      at: NOW,
    });
  });

  it('without a failover provider, stays on the primary', () => {
    expect(next({ ...fresh, attempts: 5 })).toMatchObject({ useSecondary: false, delay: 32_000 });
  });

  it('backs off on the failover provider from retry_base_ms again', () => {
    const onSecondary = { ...fresh, attempts: 2, use_secondary: true };
    expect(next(onSecondary, down, true)).toMatchObject({ attempts: 3, useSecondary: true, delay: 1000 });
    expect(next({ ...onSecondary, attempts: 3 }, down, true)).toMatchObject({ delay: 2000 });
  });

  it('gives up, saying why, when the next try would come after the code expires', () => {
    const expiring = { ...fresh, attempts: 2, expires_at: NOW + 4000 };
    const step = next(expiring);
    expect(step).toMatchObject({ action: 'give_up', attempts: 3 });
    if (step.action !== 'give_up') return;
    expect(step.error.kind).toBe('transient');
    expect(step.error.description).toBe(
      'the provider answered HTTP 503 (gave up: the code expires before another try)',
    );
    expect(step.error.details).toEqual({ status: 503 });
    expect(next({ ...expiring, expires_at: NOW + 4001 })).toMatchObject({ action: 'retry', delay: 4000 });
  });
});
