import { describe, expect, it } from 'vitest';
import {
  codeMatches,
  generateCode,
  generateLinkSecret,
  hashCode,
  hashSecret,
  secretsEqual,
} from '../../src/core/codes.ts';
import { type Random, systemRandom } from '../../src/core/sources.ts';

/** crypto.randomInt refuses ranges past 2^48; a Random must never be asked for more. */
const RANDOM_INT_LIMIT = 2 ** 48;

/** A Random that answers `int` from a script and records what it was asked. */
function scriptedRandom(values: number[]): Random & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    int(max) {
      asked.push(max);
      const value = values.shift();
      if (value === undefined) throw new Error('script exhausted');
      if (value < 0 || value >= max) throw new Error(`scripted ${value} is outside [0, ${max})`);
      return value;
    },
    token: (bytes) => 'T'.repeat(bytes),
    hex: (bytes) => '0'.repeat(bytes * 2),
  };
}

/** A Random whose `int(max)` walks through 0..max-1 in order, one counter per range. */
function enumeratingRandom(): Random {
  const counters = new Map<number, number>();
  return {
    int(max) {
      const next = counters.get(max) ?? 0;
      counters.set(max, next + 1);
      return next % max;
    },
    token: systemRandom.token,
    hex: systemRandom.hex,
  };
}

/** A seeded, uniform Random (mulberry32), so a statistical check is repeatable rather than flaky. */
function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (max) => Math.floor(next() * max), token: systemRandom.token, hex: systemRandom.hex };
}

describe('generateCode', () => {
  it.each([4, 5, 6, 7, 8, 9, 10])('makes %i digits, keeping leading zeros', (length) => {
    const zeros = generateCode(scriptedRandom([0, 0]), length);
    expect(zeros).toBe('0'.repeat(length));
    for (let i = 0; i < 200; i++)
      expect(generateCode(systemRandom, length)).toMatch(new RegExp(`^\\d{${length}}$`));
  });

  it('maps the largest draw to all nines', () => {
    expect(generateCode(scriptedRandom([999_999]), 6)).toBe('999999');
    expect(generateCode(scriptedRandom([999_999, 9_999]), 10)).toBe('9999999999');
  });

  it('asks for exactly 10^length values, in ranges crypto.randomInt accepts', () => {
    for (let length = 4; length <= 10; length++) {
      const random = scriptedRandom([0, 0]);
      generateCode(random, length);
      expect(random.asked.reduce((product, max) => product * max, 1)).toBe(10 ** length);
      for (const max of random.asked) expect(max).toBeLessThanOrEqual(RANDOM_INT_LIMIT);
    }
  });

  it('joins the two draws of a long code without losing or overlapping digits', () => {
    // 8 digits: the 6-digit low part is drawn first, then the 2-digit high part.
    const random = scriptedRandom([7, 42]);
    expect(generateCode(random, 8)).toBe('42000007');
    expect(random.asked).toEqual([10 ** 6, 10 ** 2]);
    expect(generateCode(scriptedRandom([123_456, 3]), 8)).toBe('03123456');
  });

  it('gives every code exactly once when the Random enumerates its range (no bias)', () => {
    for (const length of [4, 5]) {
      const random = enumeratingRandom();
      const seen = new Set<string>();
      for (let i = 0; i < 10 ** length; i++) seen.add(generateCode(random, length));
      expect(seen.size).toBe(10 ** length);
    }
  });

  it('spreads every digit position evenly over many draws', () => {
    const random = seededRandom(20_240_601);
    const draws = 50_000;
    for (const length of [6, 8]) {
      const counts = Array.from({ length }, () => new Array<number>(10).fill(0));
      for (let i = 0; i < draws; i++) {
        const code = generateCode(random, length);
        for (let p = 0; p < length; p++) (counts[p] as number[])[Number(code[p])]! += 1;
      }
      const expected = draws / 10;
      for (const position of counts) {
        // Chi-square with 9 degrees of freedom: 27.9 is the 0.1% critical value.
        const chiSquare = position.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
        expect(chiSquare).toBeLessThan(27.9);
      }
    }
  });
});

describe('generateLinkSecret', () => {
  it('carries 256 bits as 43 base64url characters', () => {
    const secrets = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const secret = generateLinkSecret(systemRandom);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      secrets.add(secret);
    }
    expect(secrets.size).toBe(100);
  });

  it('asks the Random for 32 bytes', () => {
    expect(generateLinkSecret(scriptedRandom([]))).toBe('T'.repeat(32));
  });
});

describe('hashCode and codeMatches', () => {
  const key = Buffer.alloc(32, 7);
  const otherKey = Buffer.alloc(32, 8);

  it('is a keyed, deterministic hash that does not contain the code', () => {
    const hash = hashCode(key, 'id-1', '123456');
    expect(hash).toBe(hashCode(key, 'id-1', '123456'));
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain('123456');
    expect(hashCode(otherKey, 'id-1', '123456')).not.toBe(hash);
    expect(hashCode(key, 'id-2', '123456')).not.toBe(hash);
    expect(hashCode(key, 'id-1', '123457')).not.toBe(hash);
  });

  it('separates the id from the code, so shifting characters between them changes the hash', () => {
    expect(hashCode(key, 'ab', 'c')).not.toBe(hashCode(key, 'a', 'bc'));
  });

  it('matches only the right code, for the right id, under the right key', () => {
    const stored = hashCode(key, 'id-1', '123456');
    expect(codeMatches(key, 'id-1', '123456', stored)).toBe(true);
    expect(codeMatches(key, 'id-1', '123457', stored)).toBe(false);
    expect(codeMatches(key, 'id-1', '12345', stored)).toBe(false);
    expect(codeMatches(key, 'id-1', '', stored)).toBe(false);
    expect(codeMatches(key, 'id-2', '123456', stored)).toBe(false);
    expect(codeMatches(otherKey, 'id-1', '123456', stored)).toBe(false);
  });

  it('refuses a stored hash of another length instead of throwing', () => {
    const stored = hashCode(key, 'id-1', '123456');
    expect(codeMatches(key, 'id-1', '123456', stored.slice(0, -1))).toBe(false);
    expect(codeMatches(key, 'id-1', '123456', '')).toBe(false);
    expect(codeMatches(key, 'id-1', '123456', `${stored}=`)).toBe(false);
  });
});

describe('hashSecret and secretsEqual', () => {
  it('hashes a secret for lookup and compares secrets of any length', () => {
    expect(hashSecret('refresh')).toBe(hashSecret('refresh'));
    expect(hashSecret('refresh')).not.toBe(hashSecret('refresh2'));
    expect(hashSecret('refresh')).not.toContain('refresh');
    expect(secretsEqual('s3cret', 's3cret')).toBe(true);
    expect(secretsEqual('s3cret', 's3cret!')).toBe(false);
    expect(secretsEqual('', 's3cret')).toBe(false);
    expect(secretsEqual('', '')).toBe(true);
  });
});
