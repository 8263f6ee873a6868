import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MemoryLimiter, memoryLimiter } from '../../src/limits/memory-limiter.ts';

const storageOf = (limiter: MemoryLimiter) => limiter.counts;

/** Resolves to the consumed points, or to the rejection's RateLimiterRes. */
async function consume(limiter: RateLimiterAbstract, key: string): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection;
    throw rejection;
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('memoryLimiter', () => {
  it('counts `points` a window, then refuses until the window ends, and starts afresh after it', async () => {
    vi.useFakeTimers({ now: 1_800_000_000_000 });
    const limiter = memoryLimiter('b', 2, 60);
    expect((await consume(limiter, 'k')).consumedPoints).toBe(1);
    expect((await consume(limiter, 'k')).consumedPoints).toBe(2);
    vi.advanceTimersByTime(20_000);
    const refused = await consume(limiter, 'k');
    expect(refused.consumedPoints).toBe(3);
    expect(refused.remainingPoints).toBe(0);
    expect(refused.msBeforeNext).toBe(40_000);
    await expect(limiter.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
    vi.advanceTimersByTime(40_000);
    expect(await consume(limiter, 'k')).toMatchObject({ consumedPoints: 1, msBeforeNext: 60_000 });
  });

  it('takes back a reward, forgets a deleted key, and reads a key without counting it', async () => {
    const limiter = memoryLimiter('b', 2, 60);
    await limiter.consume('k');
    await limiter.consume('k');
    await limiter.reward('k', 1);
    expect((await limiter.get('k'))?.consumedPoints).toBe(1);
    expect(await limiter.delete('k')).toBe(true);
    expect(await limiter.delete('k')).toBe(false);
    expect(await limiter.get('k')).toBeNull();
    expect((await consume(limiter, 'k')).consumedPoints).toBe(1);
  });

  it('starts a new window at minus one when a missing key is rewarded, as the library does', async () => {
    const limiter = memoryLimiter('b', 2, 60);
    await limiter.reward('k', 1);
    expect((await limiter.get('k'))?.consumedPoints).toBe(-1);
    await limiter.consume('k');
    await limiter.consume('k');
    expect((await consume(limiter, 'k')).consumedPoints).toBe(2);
  });

  it('arms no timer per key, as the library storage did', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const ours = memoryLimiter('b', 5, 3600);
    for (let i = 0; i < 500; i++) await ours.consume(`address-${i}@example.com`);
    expect(timers).not.toHaveBeenCalled();
    // What this replaces: the library's own storage arms a timer for every key.
    const library = new RateLimiterMemory({ keyPrefix: 'b', points: 5, duration: 3600 });
    for (let i = 0; i < 500; i++) await library.consume(`address-${i}@example.com`);
    expect(timers).toHaveBeenCalledTimes(500);
    for (let i = 0; i < 500; i++) await library.delete(`address-${i}@example.com`);
    timers.mockRestore();
  });

  it('forgets expired keys as new ones come, so its size follows the keys of one window', async () => {
    vi.useFakeTimers({ now: 1_800_000_000_000 });
    const limiter = memoryLimiter('b', 5, 60);
    for (let i = 0; i < 1000; i++) await limiter.consume(`old-${i}`);
    expect(storageOf(limiter).size).toBe(1000);
    vi.advanceTimersByTime(30_000);
    for (let i = 0; i < 10; i++) await limiter.consume(`new-${i}`);
    expect(storageOf(limiter).size).toBe(1010);
    vi.advanceTimersByTime(30_001);
    await limiter.consume('newest');
    // The 1,000 old keys' window has ended; the 10 newer ones' has not.
    expect(storageOf(limiter).size).toBe(11);
    expect((await limiter.get('new-0'))?.consumedPoints).toBe(1);
    expect(await limiter.get('old-0')).toBeNull();
  });

  it('keeps the order of expiry when a key is set anew (an expired key restarts its window)', async () => {
    vi.useFakeTimers({ now: 1_800_000_000_000 });
    const limiter = memoryLimiter('b', 5, 60);
    await limiter.consume('a');
    await limiter.consume('b');
    vi.advanceTimersByTime(60_000);
    await limiter.consume('a'); // a new window for a: now behind b
    vi.advanceTimersByTime(1);
    await limiter.consume('c'); // b has expired and goes; a has not, and stays
    expect(storageOf(limiter).size).toBe(2);
    expect((await limiter.get('a'))?.consumedPoints).toBe(1);
  });
});
