import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Counters } from '../../src/core/ports/counters.ts';
import { MemoryCounters } from '../../src/limits/counters.ts';
import { RedisCounters } from '../../src/limits/redis-counters.ts';
import { OwnRedis } from '../helpers/redis-server.ts';
import { canRunRedisServer, testRedisUrl } from '../helpers/services.ts';

const redisUrl = testRedisUrl();
const quiet = { warn: () => {}, info: () => {} };

interface CountersKind {
  name: string;
  open(): Counters & { close?(): Promise<void> };
}

const kinds: CountersKind[] = [{ name: 'memory', open: () => new MemoryCounters() }];
if (redisUrl) kinds.push({ name: 'redis', open: () => RedisCounters.open(redisUrl, { logger: quiet }) });

/** A bucket name no other run of this file uses (the shared Redis keeps counts between runs). */
const bucket = (name: string) => `${name}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

async function ready(counters: Counters): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await counters.ping();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error('counters never became ready');
}

describe.each(kinds)('Counters contract on $name', (kind) => {
  let counters: ReturnType<CountersKind['open']>;

  beforeAll(async () => {
    counters = kind.open();
    await ready(counters);
  });
  afterAll(async () => {
    await counters.close?.();
  });

  it('allows `limit` hits a window, then says how long to wait', async () => {
    const b = bucket('limit');
    for (let i = 1; i <= 3; i++)
      expect(await counters.hit(b, 'k', 3, 60)).toEqual({ retryAfter: 0, consumed: i });
    const over = await counters.hit(b, 'k', 3, 60);
    expect(over.consumed).toBe(4);
    expect(over.retryAfter).toBeGreaterThan(0);
    expect(over.retryAfter).toBeLessThanOrEqual(60);
  });

  it('counts keys and buckets apart', async () => {
    const a = bucket('a');
    const b = bucket('b');
    await counters.hit(a, 'k1', 1, 60);
    expect((await counters.hit(a, 'k2', 1, 60)).retryAfter).toBe(0);
    expect((await counters.hit(b, 'k1', 1, 60)).retryAfter).toBe(0);
    expect((await counters.hit(a, 'k1', 1, 60)).retryAfter).toBeGreaterThan(0);
  });

  it('lets exactly `limit` of many concurrent hits through', async () => {
    const b = bucket('race');
    const hits = await Promise.all(Array.from({ length: 40 }, () => counters.hit(b, 'k', 15, 60)));
    expect(hits.filter((h) => h.retryAfter === 0)).toHaveLength(15);
  });

  it('takes back a refunded hit, and forgets every hit of a reset key', async () => {
    const b = bucket('refund');
    await counters.hit(b, 'k', 2, 60);
    await counters.refund(b, 'k', 2, 60);
    expect(await counters.hit(b, 'k', 2, 60)).toEqual({ retryAfter: 0, consumed: 1 });
    expect((await counters.hit(b, 'k', 2, 60)).consumed).toBe(2);
    expect((await counters.hit(b, 'k', 2, 60)).retryAfter).toBeGreaterThan(0);
    await counters.reset(b, 'k', 2, 60);
    expect(await counters.hit(b, 'k', 2, 60)).toEqual({ retryAfter: 0, consumed: 1 });
  });

  it('holds a key until the latest time it was held to, for its time to live', async () => {
    const b = bucket('hold');
    expect(await counters.heldUntil(b, 'k')).toBe(0);
    await counters.hold(b, 'k', 2_000_000_000_000, 60);
    // An earlier time does not shorten a hold; a later one lengthens it.
    await counters.hold(b, 'k', 1_000_000_000_000, 60);
    expect(await counters.heldUntil(b, 'k')).toBe(2_000_000_000_000);
    await counters.hold(b, 'k', 3_000_000_000_000, 60);
    expect(await counters.heldUntil(b, 'k')).toBe(3_000_000_000_000);
    expect(await counters.heldUntil(b, 'other')).toBe(0);
    await counters.hold(b, 'brief', 4_000_000_000_000, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await counters.heldUntil(b, 'brief')).toBe(0);
  });

  it('starts a new window once the old one has passed', async () => {
    const b = bucket('window');
    await counters.hit(b, 'k', 1, 1);
    expect((await counters.hit(b, 'k', 1, 1)).retryAfter).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await counters.hit(b, 'k', 1, 1)).retryAfter).toBe(0);
  });
});

describe.skipIf(!redisUrl)('Redis counters shared by two instances', () => {
  it('hold one limit across both', async () => {
    const url = redisUrl as string;
    const one = RedisCounters.open(url, { logger: quiet });
    const two = RedisCounters.open(url, { logger: quiet });
    try {
      await ready(one);
      await ready(two);
      const b = bucket('shared');
      const hits = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? one : two).hit(b, '203.0.113.7', 10, 60)),
      );
      expect(hits.filter((h) => h.retryAfter === 0)).toHaveLength(10);
      // A hold made through one is seen through the other, and so is a reset.
      await one.hold(b, 'someone', 2_000_000_000_000, 60);
      expect(await two.heldUntil(b, 'someone')).toBe(2_000_000_000_000);
      await two.reset(b, '203.0.113.7', 10, 60);
      expect((await one.hit(b, '203.0.113.7', 10, 60)).consumed).toBe(1);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe.skipIf(!canRunRedisServer())('Redis counters when Redis stops', () => {
  let redis: OwnRedis;
  let counters: RedisCounters;
  const warnings: string[] = [];
  const infos: string[] = [];
  const degradedFlags: boolean[] = [];

  beforeAll(async () => {
    redis = await OwnRedis.start();
    counters = RedisCounters.open(redis.url, {
      logger: { warn: (_d, m) => warnings.push(m), info: (_d, m) => infos.push(m) },
      onDegraded: (flag) => degradedFlags.push(flag),
    });
    await ready(counters);
  });
  afterAll(async () => {
    await counters?.close();
    await redis?.stop();
  });
  afterEach(() => {
    warnings.length = 0;
  });

  it('keeps counting in memory, says so loudly, and shares again once Redis is back', async () => {
    const b = bucket('outage');
    expect((await counters.hit(b, 'k', 3, 60)).consumed).toBe(1);

    await redis.stop();
    await expect.poll(() => counters.isDegraded, { timeout: 5000 }).toBe(true);
    await expect(counters.ping()).rejects.toThrow();
    expect(warnings.join()).toMatch(/Redis is unreachable/);
    expect(degradedFlags).toEqual([true]);
    // The per-instance count answers at once and still enforces the limit.
    const during = await Promise.all(Array.from({ length: 5 }, () => counters.hit(b, 'k', 3, 60)));
    expect(during.filter((h) => h.retryAfter === 0)).toHaveLength(3);
    // Holds too stand in this instance's memory, at once.
    await counters.hold(b, 'locked', 2_000_000_000_000, 60);
    expect(await counters.heldUntil(b, 'locked')).toBe(2_000_000_000_000);

    await redis.resume();
    await expect.poll(() => counters.isDegraded, { timeout: 10_000 }).toBe(false);
    await counters.ping();
    expect(degradedFlags).toEqual([true, false]);
    expect(infos.join()).toMatch(/reachable again/);
    // A fresh Redis (it keeps nothing on disk) counts from zero again.
    expect((await counters.hit(b, 'k', 3, 60)).retryAfter).toBe(0);
  }, 30_000);
});
