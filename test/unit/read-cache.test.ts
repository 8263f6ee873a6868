import { describe, expect, it } from 'vitest';
import { ReadCache } from '../../src/store/read-cache.ts';

// What the store's applications and connections rely on (store/configuration.ts): reads kept for a
// while, writes seen at once, a bound on what is kept.

describe('ReadCache', () => {
  it('reads once per key until its lifetime, counted from before the read, has passed', async () => {
    let now = 1000;
    const cache = new ReadCache<number>(500, 10, { now: () => now });
    let reads = 0;
    const read = async () => {
      now += 100; // a slow read: the lifetime still counts from before it
      return ++reads;
    };
    expect(await cache.get('a', read)).toBe(1);
    expect(await cache.get('a', read)).toBe(1);
    now = 1500;
    expect(await cache.get('a', read)).toBe(1);
    now = 1501;
    expect(await cache.get('a', read)).toBe(2);
    expect(await cache.get('b', read)).toBe(3);
  });

  it('keeps an absent row as an answer', async () => {
    const cache = new ReadCache<string | undefined>(10_000);
    let reads = 0;
    const read = async () => {
      reads++;
      return undefined;
    };
    expect(await cache.get('unknown', read)).toBeUndefined();
    expect(await cache.get('unknown', read)).toBeUndefined();
    expect(reads).toBe(1);
  });

  it('forgets a key, and does not keep what a read racing the write read', async () => {
    const cache = new ReadCache<string>(10_000);
    expect(await cache.get('k', async () => 'old')).toBe('old');
    cache.forget('k');
    let finish!: (value: string) => void;
    const racing = cache.get('k', () => new Promise<string>((resolve) => (finish = resolve)));
    cache.forget('k'); // a write landed while the read was under way
    finish('stale');
    expect(await racing).toBe('stale');
    expect(await cache.get('k', async () => 'new')).toBe('new');
  });

  it('stays bounded whatever keys it is asked for, dropping the least recently used', async () => {
    const cache = new ReadCache<string>(10_000, 3);
    let reads = 0;
    for (const key of ['a', 'b', 'c']) await cache.get(key, async () => `${key}${++reads}`);
    await cache.get('a', async () => 'unused'); // 'a' is used again: 'b' is now the oldest
    await cache.get('d', async () => `d${++reads}`);
    expect(await cache.get('a', async () => `a${++reads}`)).toBe('a1');
    expect(await cache.get('b', async () => `b${++reads}`)).toBe('b5');
  });

  it('keeps nothing with a zero lifetime', async () => {
    const cache = new ReadCache<number>(0);
    let reads = 0;
    await cache.get('a', async () => ++reads);
    expect(await cache.get('a', async () => ++reads)).toBe(2);
  });
});
