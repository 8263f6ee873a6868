import type { ProviderError } from '../provider.ts';

/** How a message ended: accepted by a provider, or failed for good. */
export type Final = { status: 'sent' } | { status: 'failed'; error: ProviderError };

/**
 * Starts waiting for a queued message to become final (its first try failed transiently, and a
 * retry may still settle it while /passwordless/start waits).
 */
export class Settlements {
  private readonly waiting = new Map<string, (final: Final | undefined) => void>();

  /** Waits up to `ms` for the message to become final; undefined when it is still queued by then. */
  wait(id: string, ms: number): Promise<Final | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), ms);
      const done = (final: Final | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(final);
      };
      this.waiting.set(id, done);
    });
  }

  /** The message became final: its wait, if any, ends with it. */
  settle(id: string, final: Final): void {
    this.waiting.get(id)?.(final);
  }

  /** Ends every wait with "still queued" (the outbox is stopping: the messages stay for the next start). */
  releaseAll(): void {
    for (const done of this.waiting.values()) done(undefined);
  }
}
