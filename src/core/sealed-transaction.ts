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
  const plaintext = new TextEncoder().encode(JSON.stringify(transaction));
  if (plaintext.length > MAX_TRANSACTION_BYTES) throw new TransactionTooLarge();
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'tessera-tx' })
    .encrypt(key);
}

/**
 * The most a transaction may hold, as JSON: its authorize parameters (MAX_AUTHORIZE_LENGTH bytes,
 * which JSON escaping may still grow) and the rest. Sealed, it must fit in a URL that browsers,
 * proxies and Node's 16 KB header limit all take.
 */
export const MAX_TRANSACTION_BYTES = 10_240;
/** The longest sealed transaction: base64url (4/3) of the JSON, with the seal's header, IV and tag. */
export const MAX_SEALED_LENGTH = Math.ceil((MAX_TRANSACTION_BYTES * 4) / 3) + 128;

/** A transaction too large to travel in a URL (parameters that JSON escaping made long). */
export class TransactionTooLarge extends Error {}

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
