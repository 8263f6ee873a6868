import { describe, expect, it } from 'vitest';
import { mannWhitney, median } from '../helpers/mann-whitney.ts';

/** A reproducible source of uniform numbers in [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Latency-like samples: a base, skewed noise, and now and then a long pause. */
function latencies(random: () => number, n: number, base: number): number[] {
  return Array.from({ length: n }, () => base - Math.log(1 - random()) + (random() < 0.02 ? 20 : 0));
}

describe('mannWhitney', () => {
  it('gives the textbook U and p for a small example', () => {
    // Two samples with no overlap: U is 0 or n1*n2, and p is small.
    const low = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const high = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
    const result = mannWhitney(high, low);
    expect(result.u).toBe(100);
    expect(result.effect).toBe(1);
    // z = (100 - 50 - 0.5) / sqrt(100 * 21 / 12) = 3.7418...; p = 0.000183
    expect(result.p).toBeCloseTo(0.000183, 5);
    expect(mannWhitney(low, high).u).toBe(0);
  });

  it('treats ties as halves', () => {
    expect(mannWhitney([1, 1, 1], [1, 1, 1])).toEqual({ u: 4.5, p: 1, effect: 0.5 });
  });

  it('finds no difference between two samples of one distribution', () => {
    const random = seeded(7);
    const result = mannWhitney(latencies(random, 200, 5), latencies(random, 200, 5));
    expect(result.p).toBeGreaterThan(0.05);
  });

  it('finds a shift of a fifth of the noise among 200 samples each', () => {
    const random = seeded(11);
    const result = mannWhitney(latencies(random, 200, 5.3), latencies(random, 200, 5));
    expect(result.p).toBeLessThan(0.01);
    expect(result.effect).toBeGreaterThan(0.5);
  });

  it('takes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
