import type { InboxMessage, OutboxAttempt, OutboxMessage } from '../../model.ts';

/** What the dev inbox shows (development only). */
export interface DevInboxStore {
  putInboxMessage(message: InboxMessage): Promise<void>;
  /** Newest first. */
  listInboxMessages(to: string | undefined, limit: number): Promise<InboxMessage[]>;
}

/** The outcome of a send, as written to its message. */
export type OutboxMessagePatch = Partial<
  Pick<
    OutboxMessage,
    | 'status'
    | 'attempts'
    | 'use_secondary'
    | 'next_attempt_at'
    | 'claimed_until'
    | 'provider'
    | 'provider_message_id'
    | 'last_error'
    | 'updated_at'
  >
>;

/** Messages written before their first send, and every try at sending them. */
export interface OutboxStore {
  putOutboxMessage(message: OutboxMessage): Promise<void>;
  getOutboxMessage(id: string): Promise<OutboxMessage | undefined>;
  /** Ids of pending messages due by `now` and held by no live sender, oldest first. */
  dueOutboxMessages(now: number, limit: number): Promise<string[]>;
  /** Takes a pending message for one sender until `until`; true only for the caller that got it. */
  claimOutboxMessage(id: string, now: number, until: number): Promise<boolean>;
  /** Writes the outcome of a send: a retry time, or a final status (which also empties the body). */
  updateOutboxMessage(id: string, patch: OutboxMessagePatch): Promise<void>;
  putOutboxAttempt(attempt: OutboxAttempt): Promise<void>;
  listOutboxAttempts(messageId: string): Promise<OutboxAttempt[]>;
}
