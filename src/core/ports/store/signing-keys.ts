import type { SigningKey } from '../../model.ts';

export interface SigningKeyStore {
  /** Every stored signing key, retired ones too, newest first. */
  listSigningKeys(): Promise<SigningKey[]>;
  /** Inserts a key unless one with its kid or its `replaces` exists; true when it was inserted. */
  putSigningKey(key: SigningKey): Promise<boolean>;
  /**
   * A rotation, in one transaction: inserts `key` as `putSigningKey` does and, if it went in, gives
   * every other key of its algorithm that has no retirement time yet `retiresAt`.
   */
  rotateSigningKey(key: SigningKey, retiresAt: number): Promise<boolean>;
  updateSigningKey(
    kid: string,
    patch: Partial<Pick<SigningKey, 'private_jwk' | 'retires_at'>>,
  ): Promise<void>;
}
