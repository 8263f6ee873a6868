import { CompactEncrypt, compactDecrypt } from 'jose';
import type { LoginTransaction } from './model.ts';

/**
 * A hosted-page login transaction travels sealed in the page's URL and forms (`tx`) instead of
 * living in a table: a GET of /authorize then writes nothing, whoever sends it, where a row per
 * request let anyone grow the database faster than housekeeping could empty it. The seal is
 * AES-256-GCM under a server secret, so only this server (any of its instances) can make or read
 * one, and a changed byte fails to open. Each step that changes the transaction (a code sent)
 * seals it again; its expiry stays the one it was made with.
 */
export async function sealTransaction(key: CryptoKey, transaction: LoginTransaction): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(transaction)))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'tessera-tx' })
    .encrypt(key);
}

/** The transaction `sealed` holds, or undefined when it is not one this server sealed. */
export async function openTransaction(key: CryptoKey, sealed: string): Promise<LoginTransaction | undefined> {
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(sealed, key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    if (protectedHeader.typ !== 'tessera-tx') return undefined;
    return JSON.parse(new TextDecoder().decode(plaintext)) as LoginTransaction;
  } catch {
    return undefined;
  }
}
