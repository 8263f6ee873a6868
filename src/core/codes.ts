import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Random } from './sources.ts';

/** A numeric code of `length` digits, uniform over 10^length, from the CSPRNG. */
export function generateCode(random: Random, length: number): string {
  // randomInt's range is limited to 2^48, so codes longer than 6 digits are drawn in two halves.
  const high = Math.max(0, length - 6);
  const low = length - high;
  const lowPart = String(random.int(10 ** low)).padStart(low, '0');
  return high === 0 ? lowPart : String(random.int(10 ** high)).padStart(high, '0') + lowPart;
}

/** A magic-link secret: nobody types it, so it carries 256 bits instead of a few digits. */
export function generateLinkSecret(random: Random): string {
  return random.token(32);
}

/**
 * The keyed hash under which a code is stored, bound to its login transaction. Neither the code
 * nor anything that reveals it without the key is kept. (The key lives in the store for now; once
 * it is sealed with a master key, a copy of the database alone will not let anyone check codes.)
 */
export function hashCode(key: Buffer, codeId: string, code: string): string {
  return createHmac('sha256', key).update(codeId).update('\0').update(code).digest('base64url');
}

export function codeMatches(key: Buffer, codeId: string, code: string, storedHash: string): boolean {
  const actual = Buffer.from(hashCode(key, codeId, code));
  const expected = Buffer.from(storedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Hash of a high-entropy secret (refresh token, authorization code, cookie) for lookup. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function secretsEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
