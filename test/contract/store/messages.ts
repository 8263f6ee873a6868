import { describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../../src/core/model.ts';
import { HOUR, NOW, race, type StoreUnderTest } from './contract.ts';

export function outboxMessage(overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: 'm1',
    connection: 'email',
    channel: 'email',
    recipient: 'ada@example.com',
    body: 'sealed-body',
    status: 'pending',
    attempts: 0,
    use_secondary: false,
    next_attempt_at: NOW,
    claimed_until: null,
    expires_at: NOW + HOUR,
    provider: null,
    provider_message_id: null,
    last_error: null,
    created_at: NOW,
    updated_at: NOW,
    ...overrides,
  };
}

/** The dev inbox and the outbox: one sender per message, its body gone once final. */
export function messagesContract(subject: StoreUnderTest): void {
  describe('dev inbox', () => {
    it('lists dev inbox messages newest first, by recipient', async () => {
      const { store } = subject;
      for (let i = 0; i < 5; i++) {
        await store.putInboxMessage({
          id: `i${i}`,
          to: i % 2 === 0 ? 'a@example.com' : 'b@example.com',
          channel: 'email',
          subject: `s${i}`,
          text: 'text',
          html: null,
          code: '123456',
          link: null,
          created_at: NOW + i,
        });
      }
      expect((await store.listInboxMessages(undefined, 10)).map((m) => m.id)).toEqual([
        'i4',
        'i3',
        'i2',
        'i1',
        'i0',
      ]);
      expect((await store.listInboxMessages('a@example.com', 2)).map((m) => m.id)).toEqual(['i4', 'i2']);
      expect((await store.listInboxMessages('b@example.com', 10))[0]).toMatchObject({
        to: 'b@example.com',
        created_at: NOW + 3,
      });
    });
  });
  describe('outbox', () => {
    it('lets one sender claim a due outbox message, and empties its body once final', async () => {
      const { store } = subject;
      await store.putOutboxMessage(outboxMessage());
      await store.putOutboxMessage(outboxMessage({ id: 'later', next_attempt_at: NOW + 1000 }));
      await store.putOutboxMessage(outboxMessage({ id: 'expired', expires_at: NOW }));
      expect(await store.dueOutboxMessages(NOW, 10)).toEqual(['m1']);

      const claims = await race(10, () => store.claimOutboxMessage('m1', NOW, NOW + 5000));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.dueOutboxMessages(NOW + 1000, 10)).toEqual(['later']);
      // Once the claim runs out (a sender died), another may take it.
      expect(await store.claimOutboxMessage('m1', NOW + 6000, NOW + 9000)).toBe(true);

      await store.updateOutboxMessage('m1', { attempts: 1, use_secondary: true, last_error: 'timeout' });
      expect(await store.getOutboxMessage('m1')).toMatchObject({
        attempts: 1,
        use_secondary: true,
        body: 'sealed-body',
      });
      await store.updateOutboxMessage('m1', { status: 'sent', provider: 'smtp', updated_at: NOW + 7000 });
      expect(await store.getOutboxMessage('m1')).toMatchObject({
        status: 'sent',
        body: null,
        updated_at: NOW + 7000,
      });
      expect(await store.claimOutboxMessage('m1', NOW + 20_000, NOW + 30_000)).toBe(false);

      await store.putOutboxAttempt({
        id: 'a2',
        message_id: 'm1',
        provider: 'smtp',
        outcome: 'sent',
        http_status: null,
        error: null,
        latency_ms: 12,
        provider_message_id: '<x@y>',
        created_at: NOW + 2,
      });
      await store.putOutboxAttempt({
        id: 'a1',
        message_id: 'm1',
        provider: 'smtp',
        outcome: 'transient',
        http_status: 503,
        error: 'busy',
        latency_ms: 30,
        provider_message_id: null,
        created_at: NOW + 1,
      });
      expect((await store.listOutboxAttempts('m1')).map((a) => [a.id, a.outcome, a.created_at])).toEqual([
        ['a1', 'transient', NOW + 1],
        ['a2', 'sent', NOW + 2],
      ]);
    });
  });
}
