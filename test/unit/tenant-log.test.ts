import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/core/model.ts';
import { ManualClock, systemRandom } from '../../src/core/sources.ts';
import { LOG_ID_PATTERN, safeDetails, TenantLog } from '../../src/core/tenant-log.ts';

/** A tenant log over a store that fails while `down` is set, counting what metrics hear. */
function subject(options: { maxBuffered?: number; batchSize?: number } = {}) {
  const written: LogEvent[] = [];
  const counts = { written: 0, dropped: 0, failures: 0, recoveries: 0 };
  const state = { down: false };
  const log = new TenantLog({
    store: {
      async appendLogEvents(events) {
        if (state.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        written.push(...events);
      },
    },
    clock: new ManualClock(1_800_000_000_000),
    random: systemRandom,
    metrics: {
      logEventsWritten: (n) => {
        counts.written += n;
      },
      logEventsDropped: (n) => {
        counts.dropped += n;
      },
    },
    writes: {
      failed: () => {
        counts.failures++;
        return 0;
      },
      succeeded: () => counts.recoveries++,
    },
    ...options,
  });
  return { log, written, counts, state };
}

describe('the tenant log', () => {
  it('buffers events and writes them in batches, ids sorting as dates', async () => {
    const { log, written, counts } = subject({ batchSize: 2 });
    for (let i = 0; i < 5; i++) log.emit({ type: 'f', user_name: `u${i}@x.com` });
    expect(written).toHaveLength(0);
    await log.flush();
    expect(written.map((e) => e.user_name)).toEqual([
      'u0@x.com',
      'u1@x.com',
      'u2@x.com',
      'u3@x.com',
      'u4@x.com',
    ]);
    expect(counts.written).toBe(5);
    expect(written[0]).toMatchObject({ type: 'f', description: 'Failed Login', date: 1_800_000_000_000 });
    expect(written[0]?.log_id).toMatch(LOG_ID_PATTERN);
  });

  it('keeps a batch the store refused and writes it once the store is back', async () => {
    const { log, written, counts, state } = subject();
    state.down = true;
    log.emit({ type: 's' });
    await log.flush();
    expect(counts.failures).toBe(1);
    log.emit({ type: 'slo' });
    state.down = false;
    await log.flush();
    expect(written.map((e) => e.type)).toEqual(['s', 'slo']);
    expect(counts.dropped).toBe(0);
  });

  it('drops and counts events past its bound, and what the store still refuses at stop', async () => {
    const { log, counts, state } = subject({ maxBuffered: 3 });
    state.down = true;
    for (let i = 0; i < 5; i++) log.emit({ type: 'cs' });
    expect(counts.dropped).toBe(2);
    await log.stop();
    expect(counts.dropped).toBe(5);
  });

  it('never keeps a member that may hold a code, a link, a secret or a token', () => {
    const details = safeDetails({
      error: 'Wrong email or verification code.',
      response: { statusCode: 403 },
      otp: '123456',
      verification_code: '654321',
      link: 'https://x/verify?verification_code=1',
      request: { method: 'POST', client_secret: 's3cret', headers: { authorization: 'Bearer x' } },
      refresh_token: 'rt',
      api_key: 'k',
      nested: { deeper: { deepest: { tooDeep: { x: 1 } } } },
    });
    expect(details).toEqual({
      error: 'Wrong email or verification code.',
      response: { statusCode: 403 },
      request: { method: 'POST', headers: {} },
      nested: { deeper: { deepest: {} } },
    });
  });
});
