import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import {
  type KeyTimes,
  type KeyTimings,
  keyState,
  keyTimings,
  publishedKeys,
  replacedKid,
  rotationDue,
  rotationTimes,
  signingKey,
} from '../../src/core/key-schedule.ts';
import { withApplicationDefaults } from '../../src/core/seed.ts';

const T = 1_800_000_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;

function key(
  kid: string,
  created: number,
  activates = created,
  retires: number | null = null,
  alg = 'RS256',
) {
  return { kid, alg, created_at: created, activates_at: activates, retires_at: retires } satisfies KeyTimes;
}

const states = (keys: KeyTimes[], now: number) => keys.map((k) => `${k.kid}:${keyState(k, keys, now)}`);

const timings: KeyTimings = {
  propagationMs: HOUR,
  retireAfterMs: 25 * HOUR,
  rotateAfterMs: null,
  reloadMs: 30_000,
};

describe('which key signs', () => {
  it('keeps the old key signing until the new one activates, then switches', () => {
    const keys = [key('a', T), key('b', T + MIN, T + MIN + HOUR)];
    expect(signingKey(keys, 'RS256', T + MIN)?.kid).toBe('a');
    expect(states(keys, T + MIN)).toEqual(['a:current', 'b:next']);
    expect(signingKey(keys, 'RS256', T + MIN + HOUR - 1)?.kid).toBe('a');
    expect(signingKey(keys, 'RS256', T + MIN + HOUR)?.kid).toBe('b');
    expect(states(keys, T + MIN + HOUR)).toEqual(['a:previous', 'b:current']);
  });

  it('lets an immediate rotation win over a key still waiting from an earlier rotation', () => {
    // b waits to activate at T + 2h; c was rotated in with --now at T + 10 min.
    const keys = [key('a', T), key('b', T + MIN, T + 2 * HOUR), key('c', T + 10 * MIN)];
    for (const now of [T + 10 * MIN, T + 2 * HOUR, T + 5 * HOUR]) {
      expect(signingKey(keys, 'RS256', now)?.kid).toBe('c');
    }
    expect(states(keys, T + 10 * MIN)).toEqual(['a:previous', 'b:previous', 'c:current']);
  });

  it('orders keys made in the same millisecond by kid, so every instance picks the same', () => {
    const keys = [key('k1', T), key('k2', T)];
    expect(signingKey(keys, 'RS256', T)?.kid).toBe('k2');
    expect(signingKey([...keys].reverse(), 'RS256', T)?.kid).toBe('k2');
  });

  it('chooses per algorithm', () => {
    const keys = [
      key('rs', T),
      key('es-old', T, T, null, 'ES256'),
      key('es', T + MIN, T + MIN, null, 'ES256'),
    ];
    expect(signingKey(keys, 'RS256', T + MIN)?.kid).toBe('rs');
    expect(signingKey(keys, 'ES256', T + MIN)?.kid).toBe('es');
    expect(signingKey(keys, 'ES256', T)?.kid).toBe('es-old');
  });

  it('never signs with a retired key, and falls back to the first key to activate when none has', () => {
    const keys = [
      key('old', T, T, T + HOUR),
      key('late', T + MIN, T + 2 * HOUR),
      key('later', T + 2 * MIN, T + 3 * HOUR),
    ];
    expect(signingKey(keys, 'RS256', T + 30 * MIN)?.kid).toBe('old');
    expect(signingKey(keys, 'RS256', T + HOUR)?.kid).toBe('late');
    expect(keyState(keys[0] as KeyTimes, keys, T + HOUR)).toBe('retired');
    expect(signingKey([key('gone', T, T, T + 1)], 'RS256', T + 1)).toBeUndefined();
  });
});

describe('what the JWKS publishes', () => {
  it('publishes the next and previous keys until they retire, the signing key first', () => {
    const keys = [
      key('a', T, T, T + 30 * HOUR),
      key('b', T + MIN, T + HOUR),
      key('c', T + 2 * MIN, T + 20 * HOUR),
    ];
    expect(publishedKeys(keys, T + 2 * HOUR).map((k) => k.kid)).toEqual(['b', 'c', 'a']);
    expect(publishedKeys(keys, T + 30 * HOUR).map((k) => k.kid)).toEqual(['c', 'b']);
  });
});

describe('rotation times', () => {
  it('activates after the propagation delay, or at once, and retires the others after the longest token', () => {
    expect(rotationTimes(T, timings, false)).toEqual({
      activatesAt: T + HOUR,
      retireOthersAt: T + 26 * HOUR,
    });
    expect(rotationTimes(T, timings, true)).toEqual({ activatesAt: T, retireOthersAt: T + 25 * HOUR });
  });

  it('works the retirement delay out from the longest token lifetime plus the margin', () => {
    const config = validateConfig({
      keys: { propagation_s: 600, retire_margin_s: 120, rotate_after_days: 90 },
      apis: [{ identifier: 'https://api.example.com/', token_lifetime: 7 * 86_400 }],
    });
    const apps = [withApplicationDefaults({ client_id: 'app-00000001', name: 'A', id_token_lifetime: 3600 })];
    expect(keyTimings(config, apps)).toEqual({
      propagationMs: 600_000,
      retireAfterMs: (7 * 86_400 + 120) * 1000,
      rotateAfterMs: 90 * 86_400_000,
      reloadMs: 30_000,
    });
    const defaults = keyTimings(validateConfig({}), apps);
    // The application's access tokens (24 h by default) outlive its id_tokens (1 h here).
    expect(defaults.retireAfterMs).toBe((86_400 + 3600) * 1000);
    expect(defaults.propagationMs).toBe(3600 * 1000);
    expect(defaults.rotateAfterMs).toBeNull();
  });

  it('is due for automatic rotation once the newest key is old enough', () => {
    const daily = { ...timings, rotateAfterMs: 24 * HOUR };
    expect(rotationDue([key('a', T)], 'RS256', T + 24 * HOUR - 1, daily)).toBe(false);
    expect(rotationDue([key('a', T)], 'RS256', T + 24 * HOUR, daily)).toBe(true);
    // A rotation made it: the new (still waiting) key is the newest, so nothing is due.
    expect(
      rotationDue([key('a', T), key('b', T + 24 * HOUR, T + 25 * HOUR)], 'RS256', T + 24 * HOUR, daily),
    ).toBe(false);
    expect(rotationDue([key('a', T)], 'RS256', T + 1000 * HOUR, timings)).toBe(false);
  });

  it('names the key a new one replaces: the newest of its algorithm', () => {
    expect(replacedKid([key('a', T), key('b', T + 1)], 'RS256')).toBe('b');
    expect(replacedKid([key('a', T)], 'ES256')).toBe('none:ES256');
  });
});
