import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import type { Context } from '../../src/core/context.ts';
import { AuthError } from '../../src/core/errors.ts';
import {
  challengeOf,
  issueChallenge,
  leadingZeroBits,
  powDigest,
  powRequired,
  redeemSolution,
} from '../../src/core/proof-of-work.ts';
import { ManualClock, systemRandom } from '../../src/core/sources.ts';
import { MemoryCounters } from '../../src/limits/counters.ts';
import { meetsDifficulty, solve, wrongNonce } from '../helpers/pow.ts';

const BITS = 8;
const IP = '203.0.113.7';

/** The parts of a Tessera the proof of work uses: its settings, key, clock, randomness and counters. */
function context(settings: { difficulty_bits?: number; ttl_s?: number } = {}) {
  const clock = new ManualClock();
  const config = validateConfig({
    proof_of_work: { enabled: true, after_starts_per_ip: 0, difficulty_bits: BITS, ttl_s: 120, ...settings },
  });
  const ctx = {
    config,
    clock,
    random: systemRandom,
    secrets: { powKey: randomBytes(32) },
    counters: new MemoryCounters(),
  } as unknown as Context;
  return { ctx, clock };
}

describe('leadingZeroBits', () => {
  it.each([
    [[0xff], 0],
    [[0x80, 0], 0],
    [[0x7f], 1],
    [[0x01], 7],
    [[0x00, 0xff], 8],
    [[0x00, 0x00, 0x10], 19],
    [[0x00, 0x00], 16],
  ])('counts the zero bits %j begins with: %i', (bytes, bits) => {
    expect(leadingZeroBits(Uint8Array.from(bytes))).toBe(bits);
  });

  it('agrees with the digest written in binary', () => {
    for (let nonce = 0; nonce < 2000; nonce++) {
      const digest = powDigest('agree', String(nonce));
      const binary = [...digest].map((b) => b.toString(2).padStart(8, '0')).join('');
      expect(leadingZeroBits(digest)).toBe(binary.indexOf('1'));
    }
  });
});

describe('proof-of-work challenges', () => {
  it('issues a challenge at the configured difficulty that expires after ttl_s', () => {
    const { ctx, clock } = context();
    const pow = issueChallenge(ctx, IP);
    expect(pow).toEqual({
      challenge: expect.stringMatching(/^1\.\d+\.8\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/),
      difficulty_bits: BITS,
      algorithm: 'sha256',
      expires_at: expect.any(String),
    });
    const expires = Date.parse(pow.expires_at);
    expect(expires).toBeGreaterThan(clock.now() + 119_000);
    expect(expires).toBeLessThanOrEqual(clock.now() + 120_000);
    // Two challenges never share their random part.
    expect(issueChallenge(ctx, IP).challenge).not.toBe(pow.challenge);
  });

  it('accepts a solution once, as an object, a "challenge:nonce" string or a numeric nonce', async () => {
    const { ctx } = context();
    for (const shape of ['object', 'string', 'number'] as const) {
      const { challenge } = issueChallenge(ctx, IP);
      const nonce = solve(challenge, BITS);
      expect(meetsDifficulty(challenge, nonce, BITS)).toBe(true);
      const presented =
        shape === 'object'
          ? { challenge, nonce }
          : shape === 'string'
            ? `${challenge}:${nonce}`
            : { challenge, nonce: Number(nonce) };
      expect(await redeemSolution(ctx, IP, presented)).toBe('solved');
      expect(await redeemSolution(ctx, IP, presented)).toBe('rejected');
      expect(await redeemSolution(ctx, IP, `${challenge}:${nonce}`)).toBe('rejected');
    }
  });

  it('refuses a wrong nonce, and does not use the challenge up for it', async () => {
    const { ctx } = context();
    const { challenge } = issueChallenge(ctx, IP);
    expect(await redeemSolution(ctx, IP, { challenge, nonce: wrongNonce(challenge, BITS) })).toBe('rejected');
    expect(await redeemSolution(ctx, IP, { challenge, nonce: solve(challenge, BITS) })).toBe('solved');
  });

  it('refuses a challenge made for another IP', async () => {
    const { ctx } = context();
    const { challenge } = issueChallenge(ctx, IP);
    const nonce = solve(challenge, BITS);
    expect(await redeemSolution(ctx, '203.0.113.8', { challenge, nonce })).toBe('rejected');
    expect(await redeemSolution(ctx, IP, { challenge, nonce })).toBe('solved');
  });

  it('refuses a challenge once it has expired', async () => {
    const { ctx, clock } = context({ ttl_s: 30 });
    const { challenge } = issueChallenge(ctx, IP);
    const nonce = solve(challenge, BITS);
    clock.advance(30_000);
    expect(await redeemSolution(ctx, IP, { challenge, nonce })).toBe('rejected');
  });

  it('refuses a challenge of another difficulty or lifetime, or made under another key', async () => {
    const made = context();
    const { challenge } = issueChallenge(made.ctx, IP);
    // Solved well past both difficulties, so only the challenge's own terms can refuse it.
    const nonce = solve(challenge, BITS + 2);
    const harder = {
      ...made.ctx,
      config: {
        ...made.ctx.config,
        proof_of_work: { ...made.ctx.config.proof_of_work, difficulty_bits: BITS + 1 },
      },
    };
    expect(await redeemSolution(harder, IP, { challenge, nonce })).toBe('rejected');
    const shorter = {
      ...made.ctx,
      config: { ...made.ctx.config, proof_of_work: { ...made.ctx.config.proof_of_work, ttl_s: 10 } },
    };
    expect(await redeemSolution(shorter, IP, { challenge, nonce })).toBe('rejected');
    const otherKey = { ...made.ctx, secrets: { powKey: randomBytes(32) } } as Context;
    expect(await redeemSolution(otherKey, IP, { challenge, nonce })).toBe('rejected');
    expect(await redeemSolution(made.ctx, IP, { challenge, nonce })).toBe('solved');
  });

  it('refuses a challenge whose terms were edited (an easier difficulty, a later expiry)', async () => {
    const { ctx } = context({ difficulty_bits: 12 });
    const { challenge } = issueChallenge(ctx, IP);
    const [v, expires, , random, mac] = challenge.split('.');
    const easier = [v, expires, '1', random, mac].join('.');
    expect(await redeemSolution(ctx, IP, { challenge: easier, nonce: solve(easier, 1) })).toBe('rejected');
    const later = [v, String(Number(expires) + 60), '12', random, mac].join('.');
    expect(await redeemSolution(ctx, IP, { challenge: later, nonce: solve(later, 12) })).toBe('rejected');
  });

  it('says "missing" when nothing was presented', async () => {
    const { ctx } = context();
    for (const nothing of [undefined, null, ''])
      expect(await redeemSolution(ctx, IP, nothing)).toBe('missing');
  });

  it('refuses any other value without throwing', async () => {
    const { ctx } = context();
    const { challenge } = issueChallenge(ctx, IP);
    const nonce = solve(challenge, BITS);
    const hostile: unknown[] = [
      0,
      true,
      [],
      [challenge, nonce],
      {},
      { challenge },
      { nonce },
      { challenge, nonce: -1 },
      { challenge, nonce: 1.5 },
      { challenge, nonce: 2 ** 60 },
      { challenge, nonce: '' },
      { challenge, nonce: 'x'.repeat(65) },
      { challenge, nonce: `${nonce}\u0000` },
      { challenge, nonce: '../../etc/passwd' },
      { challenge: `${challenge}x`, nonce },
      { challenge: challenge.repeat(1000), nonce },
      { challenge: { toString: () => challenge }, nonce },
      JSON.parse(`{"__proto__": {"challenge": "${challenge}", "nonce": "${nonce}"}}`),
      challenge,
      `${challenge}:`,
      `:${nonce}`,
      `${challenge}:${nonce}:${nonce}`,
      `${challenge}:${'9'.repeat(100_000)}`,
    ];
    for (const value of hostile) expect(await redeemSolution(ctx, IP, value)).toBe('rejected');
    // None of them used the challenge up.
    expect(await redeemSolution(ctx, IP, { challenge, nonce })).toBe('solved');
  });

  it('never throws nor accepts generated input', async () => {
    const { ctx } = context();
    const { challenge } = issueChallenge(ctx, IP);
    const value = fc.oneof(
      fc.anything(),
      fc.record({ challenge: fc.oneof(fc.constant(challenge), fc.string()), nonce: fc.anything() }),
      fc.string().map((nonce) => `${challenge}:${nonce}`),
    );
    await fc.assert(
      fc.asyncProperty(value, async (presented) => {
        const outcome = await redeemSolution(ctx, IP, presented);
        // A generated nonce may solve 8 bits by chance (1 in 256): only then may it pass.
        if (outcome === 'solved') {
          const nonce =
            typeof presented === 'string'
              ? presented.slice(challenge.length + 1)
              : (presented as { nonce: unknown }).nonce;
          expect(meetsDifficulty(challenge, String(nonce), BITS)).toBe(true);
        }
      }),
      { numRuns: 300, seed: 20_261_124 },
    );
  });

  it('answers pow_required with a fresh challenge in the body', () => {
    const { ctx } = context();
    const error = powRequired(ctx, IP);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.status).toBe(400);
    expect(error.error).toBe('pow_required');
    expect(challengeOf(error)).toEqual(error.details.pow);
    expect(challengeOf(new AuthError(400, 'bad.email', 'x'))).toBeUndefined();
  });
});

describe('proof_of_work settings', () => {
  it('is off by default, with its documented defaults', () => {
    expect(validateConfig({}).proof_of_work).toEqual({
      enabled: false,
      after_starts_per_ip: 10,
      difficulty_bits: 18,
      ttl_s: 120,
    });
  });

  it('refuses a threshold the per-IP start limit would never let a client reach', () => {
    expect(() =>
      validateConfig({
        proof_of_work: { enabled: true, after_starts_per_ip: 50 },
        rate_limits: { start_per_ip_per_hour: 50 },
      }),
    ).toThrow(/proof_of_work\.after_starts_per_ip: must be below rate_limits\.start_per_ip_per_hour/);
    // Off, the threshold is not checked.
    expect(() => validateConfig({ proof_of_work: { after_starts_per_ip: 500 } })).not.toThrow();
  });
});
