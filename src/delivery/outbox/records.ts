import type { OutboxStore } from '../../core/ports/store.ts';
import { isDatabaseUnavailable } from '../../store/unavailable.ts';

type MessagePatch = Parameters<OutboxStore['updateOutboxMessage']>[1];
type Attempt = Parameters<OutboxStore['putOutboxAttempt']>[0];

/**
 * Writes what became of the outbox's messages. A message's new state that the database cannot
 * take now (it went away during the send) is kept here and written before the outbox takes any
 * due message again: the send it records happened whatever the database says, and a message the
 * provider accepted must not be sent a second time once its claim runs out.
 */
export class OutboxRecords {
  private readonly missed = new Map<string, MessagePatch>();

  constructor(private readonly store: OutboxStore) {}

  /** Whether a state of this message is still to be written (the outbox must not take it). */
  pending(id: string): boolean {
    return this.missed.has(id);
  }

  async update(id: string, patch: MessagePatch): Promise<void> {
    try {
      await this.store.updateOutboxMessage(id, patch);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.missed.set(id, patch);
    }
  }

  /** A failed try's record, kept for operators: lost (not retried) if the database cannot take it. */
  async attempt(attempt: Attempt): Promise<void> {
    try {
      await this.store.putOutboxAttempt(attempt);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
    }
  }

  /** Writes the states the database missed, oldest first; stops at the first it still refuses. */
  async flush(): Promise<void> {
    for (const [id, patch] of this.missed) {
      await this.store.updateOutboxMessage(id, patch);
      this.missed.delete(id);
    }
  }
}
