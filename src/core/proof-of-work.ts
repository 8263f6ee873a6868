import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from './context.ts';
import { AuthError } from './errors.ts';

/**
 * The proof-of-work challenge of `/passwordless/start` (docs/security.md#proof-of-work). A
 * challenge is stateless: `1.<expiry, epoch s>.<difficulty bits>.<16 random bytes>.<HMAC>`, the
 * HMAC (under the sealed server secret `pow_hmac_key`) binding the rest to the client's IP, so
 * any instance can check what another issued. The client finds a nonce such that
 * SHA-256(challenge ":" nonce) begins with `difficulty_bits` zero bits. A solution is redeemed
 * once: its random part is then recorded in ctx.counters (Redis with `redis_url`) until the
 * challenge can no longer be used anywhere.
 */

/** What a `pow_required` answer carries for the client to solve. */
export interface PowChallenge {
  challenge: string;
  difficulty_bits: number;
  algorithm: 'sha256';
  /** When the challenge stops being accepted (ISO 8601). */
  expires_at: string;
}

/** The outcome of a presented solution, for the metrics. */
export type PowOutcome = 'solved' | 'missing' | 'rejected';

const CHALLENGE = /^1\.(\d{1,12})\.(\d{1,2})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
/** A nonce: what the client counted up to, in a few URL-safe characters (a decimal counter fits). */
const NONCE = /^[A-Za-z0-9_-]{1,64}$/;
/** Longer than any challenge Tessera makes; longer input is refused before it is parsed. */
const MAX_CHALLENGE = 100;
/** The solution of a form body or header: `challenge:nonce`. */
const MAX_SOLUTION = MAX_CHALLENGE + 1 + 64;
/** Seconds a redeemed challenge is remembered past its lifetime, for clocks a little apart. */
const REMEMBER_MARGIN_S = 60;

/** A new challenge for a client at `ip`, valid `ttl_s` from now at the configured difficulty. */
export function issueChallenge(ctx: Context, ip: string): PowChallenge {
  const { difficulty_bits, ttl_s } = ctx.config.proof_of_work;
  const expires = Math.floor(ctx.clock.now() / 1000) + ttl_s;
  const random = ctx.random.token(16);
  const mac = challengeMac(ctx.secrets.powKey, ip, expires, difficulty_bits, random);
  return {
    challenge: `1.${expires}.${difficulty_bits}.${random}.${mac.toString('base64url')}`,
    difficulty_bits,
    algorithm: 'sha256',
    expires_at: new Date(expires * 1000).toISOString(),
  };
}

/**
 * Checks a presented solution (`{ challenge, nonce }` or `"challenge:nonce"`) for a client at
 * `ip` and uses it up. Anything else (absent, malformed, expired, issued to another IP or at
 * another difficulty, forged, not solved, already used) is refused. The cheap checks come first,
 * so hostile input costs one HMAC at most before it is refused.
 */
export async function redeemSolution(ctx: Context, ip: string, presented: unknown): Promise<PowOutcome> {
  if (presented === undefined || presented === null || presented === '') return 'missing';
  const solution = readSolution(presented);
  if (!solution) return 'rejected';
  const { challenge, nonce } = solution;
  const parts = CHALLENGE.exec(challenge);
  if (!parts) return 'rejected';
  const [, expiresText = '', bitsText = '', random = '', macText = ''] = parts;
  const { difficulty_bits, ttl_s } = ctx.config.proof_of_work;
  const expires = Number(expiresText);
  const bits = Number(bitsText);
  const now = ctx.clock.now() / 1000;
  // A challenge from before the difficulty or lifetime was changed is not taken.
  if (bits !== difficulty_bits || expires <= now || expires > now + ttl_s + 1) return 'rejected';
  const expected = challengeMac(ctx.secrets.powKey, ip, expires, bits, random);
  if (!timingSafeEqual(Buffer.from(macText, 'base64url'), expected)) return 'rejected';
  if (leadingZeroBits(powDigest(challenge, nonce)) < bits) return 'rejected';
  const used = await ctx.counters.hit('pow_used', random, 1, ttl_s + REMEMBER_MARGIN_S);
  return used.retryAfter === 0 ? 'solved' : 'rejected';
}

/** The answer to a start that needs a solution and has no good one: a fresh challenge to solve. */
export function powRequired(ctx: Context, ip: string): AuthError {
  return new AuthError(
    400,
    'pow_required',
    'This start needs a proof of work: solve the challenge in "pow" and send the start again with pow: { challenge, nonce }.',
    {},
    { pow: issueChallenge(ctx, ip) },
  );
}

/** The challenge a `pow_required` error carries, or undefined for any other error. */
export function challengeOf(error: unknown): PowChallenge | undefined {
  if (!(error instanceof AuthError) || error.error !== 'pow_required') return undefined;
  return error.details.pow as PowChallenge;
}

/** SHA-256 of `challenge:nonce`, the value whose leading zero bits are counted. */
export function powDigest(challenge: string, nonce: string): Buffer {
  return createHash('sha256').update(`${challenge}:${nonce}`).digest();
}

/** How many zero bits `digest` begins with. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

function readSolution(presented: unknown): { challenge: string; nonce: string } | null {
  let challenge: unknown;
  let nonce: unknown;
  if (typeof presented === 'string') {
    if (presented.length > MAX_SOLUTION) return null;
    const colon = presented.indexOf(':');
    if (colon < 0) return null;
    challenge = presented.slice(0, colon);
    nonce = presented.slice(colon + 1);
  } else if (typeof presented === 'object' && !Array.isArray(presented)) {
    ({ challenge, nonce } = presented as { challenge?: unknown; nonce?: unknown });
    // A counter sent as a JSON number is the same nonce as its decimal digits.
    if (typeof nonce === 'number' && Number.isSafeInteger(nonce) && nonce >= 0) nonce = String(nonce);
  }
  if (typeof challenge !== 'string' || challenge.length > MAX_CHALLENGE) return null;
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) return null;
  return { challenge, nonce };
}

function challengeMac(key: Buffer, ip: string, expires: number, bits: number, random: string): Buffer {
  return createHmac('sha256', key).update(`tessera-pow-1\n${ip}\n${expires}\n${bits}\n${random}`).digest();
}
