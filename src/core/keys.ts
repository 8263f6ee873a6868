import { createSecretKey } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import type { Store } from '../store/store.ts';
import type { SigningKey } from './model.ts';
import type { Clock } from './sources.ts';

interface LoadedKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** Algorithms the server signs with its own keys (HS256 uses an application's secret instead). */
export type KeyAlgorithm = 'RS256' | 'ES256';

/**
 * The server's signing keys. For each algorithm the newest key signs; every stored key stays
 * published in the JWKS so tokens it signed keep verifying.
 */
export class KeySet {
  /** Resolves a token's `kid` to a public key, for verifying tokens this server signed. */
  readonly verificationKeys: ReturnType<typeof createLocalJWKSet>;

  private constructor(private keys: LoadedKey[]) {
    this.verificationKeys = createLocalJWKSet(this.jwks());
  }

  /** Loads the stored keys, creating a key for each needed algorithm that has none (RS256 always). */
  static async open(store: Store, clock: Clock, algorithms: KeyAlgorithm[] = []): Promise<KeySet> {
    let stored = await store.listSigningKeys();
    for (const alg of new Set<KeyAlgorithm>(['RS256', ...algorithms])) {
      if (!stored.some((key) => key.alg === alg))
        await store.putSigningKey(await createSigningKey(alg, clock));
    }
    stored = await store.listSigningKeys();
    return new KeySet(await Promise.all(stored.map(loadKey)));
  }

  /** The newest key of an algorithm (keys are kept newest first). */
  current(alg: KeyAlgorithm = 'RS256'): LoadedKey {
    const key = this.keys.find((k) => k.alg === alg);
    if (!key) throw new Error(`no ${alg} signing key`);
    return key;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  /** Signs claims with the current key of `alg` (`kid` in the header). */
  sign(payload: JWTPayload, typ?: string, algorithm: KeyAlgorithm = 'RS256'): Promise<string> {
    const { kid, alg, privateKey } = this.current(algorithm);
    return new SignJWT(payload).setProtectedHeader({ alg, kid, ...(typ && { typ }) }).sign(privateKey);
  }
}

/** Signs with a shared secret (an application's client_secret), for apps that ask for HS256. */
export function signWithSecret(payload: JWTPayload, secret: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(createSecretKey(Buffer.from(secret)));
}

export async function createSigningKey(alg: KeyAlgorithm, clock: Clock): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg,
    private_jwk: JSON.stringify(privateJwk),
    public_jwk: JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
    created_at: clock.now(),
  };
}

async function loadKey(key: SigningKey): Promise<LoadedKey> {
  const privateKey = (await importJWK(JSON.parse(key.private_jwk) as JWK, key.alg)) as CryptoKey;
  return { kid: key.kid, alg: key.alg, privateKey, publicJwk: JSON.parse(key.public_jwk) as JWK };
}
