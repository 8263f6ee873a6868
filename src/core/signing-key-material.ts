import { createSecretKey } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import type { SigningKey } from './model.ts';
import { isSealedText, openStored, type SecretBox } from './secret-box.ts';

/** Algorithms the server signs with its own keys (HS256 uses an application's secret instead). */
export type KeyAlgorithm = 'RS256' | 'ES256';

/** A signing key opened for use: its two halves, and the public one as the JWKS shows it. */
export interface KeyMaterial {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** A new key pair of `alg`, its private half sealed, taking over from the key `replaces`. */
export async function makeSigningKey(
  box: SecretBox,
  alg: KeyAlgorithm,
  now: number,
  activatesAt: number,
  replaces: string,
): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    alg,
    private_jwk: await box.seal(JSON.stringify(await exportJWK(privateKey))),
    public_jwk: JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
    created_at: now,
    activates_at: activatesAt,
    retires_at: null,
    replaces,
  };
}

/** Opens a stored key (its private half sealed, or plain in a database not yet upgraded). */
export async function openSigningKey(box: SecretBox, row: SigningKey): Promise<KeyMaterial> {
  const privateJwk = isSealedText(row.private_jwk)
    ? await openStored(box, row.private_jwk, 'signing keys')
    : row.private_jwk;
  const publicJwk = JSON.parse(row.public_jwk) as JWK;
  return {
    privateKey: (await importJWK(JSON.parse(privateJwk) as JWK, row.alg)) as CryptoKey,
    publicKey: (await importJWK(publicJwk, row.alg)) as CryptoKey,
    publicJwk,
  };
}

/** Signs with a shared secret (an application's client_secret), for apps that ask for HS256. */
export function signWithSecret(payload: JWTPayload, secret: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(createSecretKey(Buffer.from(secret)));
}
