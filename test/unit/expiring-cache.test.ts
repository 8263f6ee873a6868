import { describe, expect, it } from 'vitest';
import { ExpiringCache } from '../../src/store/expiring-cache.ts';

describe('ExpiringCache', () => {
  it('loads once per key until the entry expires', async () => {
    let now = 1000;
    const cache = new ExpiringCache<number>(500, 10, () => now);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('a', load)).toBe(1);
    expect(await cache.get('a', load)).toBe(1);
    now += 499;
    expect(await cache.get('a', load)).toBe(1);
    now += 1;
    expect(await cache.get('a', load)).toBe(2);
    expect(await cache.get('b', load)).toBe(3);
  });

  it('forgets a deleted key, and does not keep what a load racing the delete read', async () => {
    const cache = new ExpiringCache<string>(10_000);
    expect(await cache.get('k', async () => 'old')).toBe('old');
    cache.delete('k');
    let finish!: (value: string) => void;
    const racing = cache.get('k', () => new Promise<string>((resolve) => (finish = resolve)));
    cache.delete('k'); // a write landed while the read was under way
    finish('stale');
    expect(await racing).toBe('stale');
    expect(await cache.get('k', async () => 'new')).toBe('new');
  });

  it('stays bounded whatever keys it is asked for', async () => {
    const cache = new ExpiringCache<string>(10_000, 3);
    let loads = 0;
    for (const key of ['a', 'b', 'c', 'd']) await cache.get(key, async () => `${key}${++loads}`);
    // 'a' was dropped when the fourth key arrived.
    expect(await cache.get('a', async () => `a${++loads}`)).toBe('a5');
  });

  it('caches nothing with a zero lifetime', async () => {
    const cache = new ExpiringCache<number>(0);
    let loads = 0;
    await cache.get('a', async () => ++loads);
    expect(await cache.get('a', async () => ++loads)).toBe(2);
  });
});
