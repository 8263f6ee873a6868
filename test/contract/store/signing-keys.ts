import { describe, expect, it } from 'vitest';
import type { SigningKey } from '../../../src/core/model.ts';
import { HOUR, NOW, type StoreUnderTest } from './contract.ts';

function key(kid: string, overrides: Partial<SigningKey> = {}): SigningKey {
  return {
    kid,
    alg: 'RS256',
    private_jwk: `sealed-${kid}`,
    public_jwk: JSON.stringify({ kid }),
    created_at: NOW,
    activates_at: NOW,
    retires_at: null,
    replaces: 'none:RS256',
    ...overrides,
  };
}

/**
 * Signing keys (migration 0005 included): a rotation either lands whole or not at all, and two
 * rotations of one key cannot both land.
 */
export function signingKeysContract(subject: StoreUnderTest): void {
  describe('signing keys', () => {
    it('stores a key with its times as numbers, newest first', async () => {
      const { store } = subject;
      expect(await store.putSigningKey(key('a'))).toBe(true);
      expect(
        await store.putSigningKey(key('b', { created_at: NOW + 1, replaces: 'a', activates_at: NOW + HOUR })),
      ).toBe(true);
      expect(await store.listSigningKeys()).toEqual([
        key('b', { created_at: NOW + 1, replaces: 'a', activates_at: NOW + HOUR }),
        key('a'),
      ]);
    });
    it('refuses a second key replacing the same one, and a second first key', async () => {
      const { store } = subject;
      expect(await store.putSigningKey(key('a'))).toBe(true);
      expect(await store.putSigningKey(key('a2'))).toBe(false);
      expect(await store.rotateSigningKey(key('b', { replaces: 'a' }), NOW + HOUR)).toBe(true);
      expect(await store.rotateSigningKey(key('c', { replaces: 'a' }), NOW + 2 * HOUR)).toBe(false);
      expect((await store.listSigningKeys()).map((k) => [k.kid, k.retires_at]).sort()).toEqual([
        ['a', NOW + HOUR],
        ['b', null],
      ]);
    });
    it('rotates: gives only the other keys of the algorithm without a retirement time one', async () => {
      const { store } = subject;
      await store.putSigningKey(key('old', { retires_at: NOW + 5 * HOUR }));
      await store.putSigningKey(key('a', { replaces: 'old' }));
      await store.putSigningKey(key('es', { alg: 'ES256', replaces: 'none:ES256' }));
      expect(await store.rotateSigningKey(key('b', { replaces: 'a' }), NOW + 9 * HOUR)).toBe(true);
      const retires = Object.fromEntries((await store.listSigningKeys()).map((k) => [k.kid, k.retires_at]));
      expect(retires).toEqual({ old: NOW + 5 * HOUR, a: NOW + 9 * HOUR, b: null, es: null });
    });
    it('updates a key’s private half and retirement time', async () => {
      const { store } = subject;
      await store.putSigningKey(key('a'));
      await store.updateSigningKey('a', { private_jwk: 'sealed-again' });
      await store.updateSigningKey('a', { retires_at: NOW + HOUR });
      expect(await store.listSigningKeys()).toEqual([
        key('a', { private_jwk: 'sealed-again', retires_at: NOW + HOUR }),
      ]);
    });
  });
}
