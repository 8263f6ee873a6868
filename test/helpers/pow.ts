import { createHash } from 'node:crypto';

/** A `pow_required` answer's challenge. */
export interface Challenge {
  challenge: string;
  difficulty_bits: number;
  algorithm: string;
  expires_at: string;
}

/**
 * Whether SHA-256(challenge ":" nonce) begins with `bits` zero bits, worked out apart from the
 * server's code: on the digest written in binary.
 */
export function meetsDifficulty(challenge: string, nonce: string, bits: number): boolean {
  const digest = createHash('sha256').update(`${challenge}:${nonce}`).digest();
  const binary = [...digest].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  return binary.startsWith('0'.repeat(bits));
}

/** The first nonce (a decimal counter, as the hosted page counts) whose digest has `bits` zero bits. */
export function solve(challenge: string, bits: number): string {
  for (let nonce = 0; ; nonce++) if (meetsDifficulty(challenge, String(nonce), bits)) return String(nonce);
}

/** A nonce that does not solve the challenge. */
export function wrongNonce(challenge: string, bits: number): string {
  for (let nonce = 0; ; nonce++) if (!meetsDifficulty(challenge, String(nonce), bits)) return String(nonce);
}
