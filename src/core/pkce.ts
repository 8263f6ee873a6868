import { createHash } from 'node:crypto';
import { secretsEqual } from './codes.ts';

/**
 * A PKCE code verifier, and so a `plain` challenge, is 43 to 128 characters of this set
 * (RFC 7636 §4.1); an S256 challenge, base64url of a SHA-256, is 43 of them.
 */
export const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;

/** Whether `verifier` answers the `challenge` an authorization request carried. */
export function pkceMatches(challenge: string, method: string | null, verifier: string | undefined): boolean {
  if (verifier === undefined || !PKCE_VALUE.test(verifier)) return false;
  const derived = method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
  return secretsEqual(derived, challenge);
}
