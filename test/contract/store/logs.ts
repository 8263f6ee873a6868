import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../src/core/model.ts';
import { HOUR, NOW, type StoreUnderTest } from './contract.ts';

/** A log event at `NOW + offsetMs`; its log_id sorts as its date does, as core makes them. */
export function logEvent(offsetMs: number, overrides: Partial<LogEvent> = {}): LogEvent {
  const date = NOW + offsetMs;
  return {
    log_id: `${String(date).padStart(15, '0')}${String(offsetMs).padStart(16, '0')}`,
    date,
    type: 's',
    description: 'Success Login',
    client_id: 'app1',
    client_name: 'App One',
    connection: 'email',
    connection_id: null,
    user_id: 'email|1',
    user_name: 'ada@example.com',
    ip: '203.0.113.7',
    user_agent: 'curl/8',
    details: { prompts: [] },
    ...overrides,
  };
}

/** The tenant log: batches in, searches and checkpoints out, old events trimmed. */
export function logsContract(subject: StoreUnderTest): void {
  describe('tenant log', () => {
    it('keeps every field of an appended batch, details as JSON', async () => {
      const { store } = subject;
      const events = Array.from({ length: 450 }, (_, i) => logEvent(i, { details: { n: i } }));
      await store.appendLogEvents(events);
      expect(await store.countLogEvents()).toBe(450);
      expect(await store.getLogEvent(events[7]?.log_id as string)).toEqual(events[7]);
      expect(await store.getLogEvent('nope')).toBeUndefined();
    });

    it('takes the same batch twice as once', async () => {
      const { store } = subject;
      const batch = [logEvent(1), logEvent(2)];
      await store.appendLogEvents(batch);
      await store.appendLogEvents(batch);
      expect(await store.countLogEvents()).toBe(2);
    });

    it('searches by field, date range, and/or/not, in both orders, with offset and limit', async () => {
      const { store } = subject;
      await store.appendLogEvents([
        logEvent(0, { type: 'f', user_id: 'email|1' }),
        logEvent(1000, { type: 's', user_id: 'email|1' }),
        logEvent(2000, { type: 'f', user_id: 'email|2', ip: '198.51.100.1' }),
        logEvent(HOUR, { type: 'cs', user_id: null }),
      ]);
      const failures = await store.searchLogEvents({
        filter: { field: 'type', equals: 'f' },
        order: 'desc',
        offset: 0,
        limit: 10,
      });
      expect(failures.map((e) => e.date)).toEqual([NOW + 2000, NOW]);
      const ofUser = {
        and: [
          { field: 'type', equals: 'f' },
          { field: 'user_id', equals: 'email|1' },
        ],
      } as const;
      expect(await store.countLogEvents(ofUser)).toBe(1);
      const range = { field: 'date', from: NOW + 1000, before: NOW + HOUR } as const;
      expect(
        (await store.searchLogEvents({ filter: range, order: 'asc', offset: 0, limit: 10 })).map(
          (e) => e.date,
        ),
      ).toEqual([NOW + 1000, NOW + 2000]);
      const either = {
        or: [
          { field: 'type', equals: 'cs' },
          { field: 'ip', equals: '198.51.100.1' },
        ],
      } as const;
      expect(await store.countLogEvents(either)).toBe(2);
      expect(await store.countLogEvents({ not: { field: 'type', equals: 'f' } })).toBe(2);
      const page = await store.searchLogEvents({ order: 'asc', offset: 1, limit: 2 });
      expect(page.map((e) => e.date)).toEqual([NOW + 1000, NOW + 2000]);
      // A value is bound, never written into the SQL.
      expect(await store.countLogEvents({ field: 'user_id', equals: "' OR 1=1 --" })).toBe(0);
    });

    it('reads from a checkpoint: events after a log_id, oldest first, known or not', async () => {
      const { store } = subject;
      const events = [logEvent(0), logEvent(1), logEvent(2), logEvent(3)];
      await store.appendLogEvents([...events].reverse());
      const after = await store.logEventsAfter(events[0]?.log_id as string, 2);
      expect(after.map((e) => e.log_id)).toEqual([events[1]?.log_id, events[2]?.log_id]);
      // An id of an event already gone still marks a place in the order.
      expect(await store.logEventsAfter('0', 10)).toHaveLength(4);
      expect(await store.logEventsAfter(events[3]?.log_id as string, 10)).toEqual([]);
    });

    it('deletes events older than a time, at most `limit` at a time', async () => {
      const { store } = subject;
      await store.appendLogEvents([logEvent(-3000), logEvent(-2000), logEvent(-1000), logEvent(0)]);
      expect(await store.deleteLogEventsBefore(NOW, 2)).toBe(2);
      expect(await store.deleteLogEventsBefore(NOW, 2)).toBe(1);
      expect(await store.deleteLogEventsBefore(NOW, 2)).toBe(0);
      expect(await store.countLogEvents()).toBe(1);
    });
  });
}
