import { CompactEncrypt, compactDecrypt } from 'jose';

/**
 * Seals small secrets (provider credentials) for storage: AES-256-GCM in a compact JWE, under a
 * master key that is kept outside the database (TESSERA_MASTER_KEY, or a key file in the data
 * directory), so a copy of the database alone does not reveal them.
 */
export class SecretBox {
  constructor(private readonly key: Uint8Array) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
  }

  seal(plaintext: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(this.key);
  }

  async open(sealed: string): Promise<string> {
    const { plaintext } = await compactDecrypt(sealed, this.key);
    return new TextDecoder().decode(plaintext);
  }
}

/** How a sealed value sits in stored JSON, where the plain value was. */
export interface SealedValue {
  $sealed: string;
}

function isSealed(value: unknown): value is SealedValue {
  return typeof value === 'object' && value !== null && typeof (value as SealedValue).$sealed === 'string';
}

/**
 * Seals the values at `paths` (dotted, e.g. `smtp.pass`) inside an object, and in its nested
 * `failover` block, returning a copy; `openPaths` reverses it. Values not present are left alone.
 */
export async function sealPaths(box: SecretBox, object: Record<string, unknown>, paths: readonly string[]) {
  return transform(object, paths, async (value) =>
    isSealed(value) ? value : { $sealed: await box.seal(JSON.stringify(value)) },
  );
}

export async function openPaths(box: SecretBox, object: Record<string, unknown>, paths: readonly string[]) {
  return transform(object, paths, async (value) =>
    isSealed(value) ? JSON.parse(await box.open(value.$sealed)) : value,
  );
}

async function transform(
  object: Record<string, unknown>,
  paths: readonly string[],
  change: (value: unknown) => Promise<unknown>,
): Promise<Record<string, unknown>> {
  const copy = structuredClone(object);
  const targets = [copy, copy.failover].filter(
    (t): t is Record<string, unknown> => typeof t === 'object' && t !== null,
  );
  for (const target of targets) {
    for (const path of paths) {
      const keys = path.split('.');
      const last = keys.pop() as string;
      let parent: unknown = target;
      for (const key of keys) parent = (parent as Record<string, unknown> | undefined)?.[key];
      if (typeof parent !== 'object' || parent === null || !(last in parent)) continue;
      const holder = parent as Record<string, unknown>;
      holder[last] = await change(holder[last]);
    }
  }
  return copy;
}

/**
 * The master key cannot open what the database holds: another key sealed it. Starting anyway would
 * make new keys and secrets and silently invalidate every token and code, so start stops instead.
 */
export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/** Whether a stored value is sealed (a compact JWE has five parts; a plain secret or JSON has none). */
export function isSealedText(value: string): boolean {
  return value.split('.').length === 5;
}

/** Opens a sealed value read from the store; a failure means the master key is not the one that sealed it. */
export async function openStored(box: SecretBox, sealed: string, what: string): Promise<string> {
  try {
    return await box.open(sealed);
  } catch {
    throw wrongMasterKey(what);
  }
}

export function wrongMasterKey(what: string): MasterKeyError {
  return new MasterKeyError(
    `the master key cannot open the ${what} stored in the database: it is not the key they were ` +
      'sealed with. Start with the original key (TESSERA_MASTER_KEY, or master.key in the data ' +
      'directory, from its backup); a master.key made at this start because none was found is not ' +
      'it. Without the original key the signing keys, server secrets and provider credentials are lost.',
  );
}
