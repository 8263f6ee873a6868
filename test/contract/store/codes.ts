import { describe, expect, it } from 'vitest';
import type { AuthorizationCode, LoginCode } from '../../../src/core/model.ts';
import { HOUR, NOW, race, type StoreUnderTest } from './contract.ts';

export function loginCode(overrides: Partial<LoginCode> = {}): LoginCode {
  return {
    id: 'lc1',
    client_id: 'app1',
    connection: 'email',
    identifier: 'ada@example.com',
    send: 'code',
    code_hash: 'hash-1',
    binding_hash: null,
    auth_params: { scope: 'openid' },
    attempts: 0,
    max_attempts: 3,
    created_at: NOW,
    expires_at: NOW + HOUR,
    consumed_at: null,
    ...overrides,
  };
}

function authorizationCode(overrides: Partial<AuthorizationCode> = {}): AuthorizationCode {
  return {
    code_hash: 'ac-hash',
    client_id: 'app1',
    user_id: 'email|1',
    redirect_uri: 'https://app.example.com/callback',
    scope: 'openid',
    audience: null,
    nonce: 'n-1',
    code_challenge: 'challenge',
    code_challenge_method: 'S256',
    auth_time: NOW,
    session_id: 's1',
    expires_at: NOW + 60_000,
    consumed_at: null,
    ...overrides,
  };
}

/** Login and authorization codes: single use and bounded guesses, whoever races. */
export function codesContract(subject: StoreUnderTest): void {
  describe('login codes', () => {
    it('replaces the login code of the same client, connection and identifier', async () => {
      const { store } = subject;
      await store.putLoginCode(loginCode());
      await store.putLoginCode(loginCode({ id: 'lc2', code_hash: 'hash-2', attempts: 0 }));
      const code = await store.findLoginCode('app1', 'email', 'ada@example.com');
      expect(code).toMatchObject({ id: 'lc2', code_hash: 'hash-2', auth_params: { scope: 'openid' } });
      expect(code?.expires_at).toBe(NOW + HOUR);
      expect(await store.findLoginCode('app2', 'email', 'ada@example.com')).toBeUndefined();
    });
    it('gives out exactly max_attempts attempts to concurrent guesses', async () => {
      const { store } = subject;
      await store.putLoginCode(loginCode({ max_attempts: 5 }));
      const taken = await race(30, () => store.takeLoginAttempt('lc1', NOW));
      expect(taken.filter(Boolean)).toHaveLength(5);
      expect((await store.findLoginCode('app1', 'email', 'ada@example.com'))?.attempts).toBe(5);
      await store.returnLoginAttempt('lc1');
      expect(await store.takeLoginAttempt('lc1', NOW)).toMatchObject({ attempts: 5 });
      expect(await store.takeLoginAttempt('lc1', NOW)).toBeUndefined();
    });
    it('refuses attempts on an expired or used code', async () => {
      const { store } = subject;
      await store.putLoginCode(loginCode());
      expect(await store.takeLoginAttempt('lc1', NOW + HOUR)).toBeUndefined();
      expect(await store.consumeLoginCode('lc1', NOW)).toBe(true);
      expect(await store.takeLoginAttempt('lc1', NOW)).toBeUndefined();
      await store.deleteLoginCode('lc1');
      expect(await store.findLoginCode('app1', 'email', 'ada@example.com')).toBeUndefined();
    });
    it('lets exactly one of many concurrent consumers use a login code', async () => {
      const { store } = subject;
      await store.putLoginCode(loginCode());
      const won = await race(25, () => store.consumeLoginCode('lc1', NOW));
      expect(won.filter(Boolean)).toHaveLength(1);
    });
  });
  describe('authorization codes', () => {
    it('hands an authorization code out once, and never after it expires', async () => {
      const { store } = subject;
      await store.putAuthorizationCode(authorizationCode());
      const results = await race(10, () => store.consumeAuthorizationCode('ac-hash', NOW, 'fam-1'));
      const winners = results.filter(Boolean);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ nonce: 'n-1', auth_time: NOW, code_challenge_method: 'S256' });

      await store.putAuthorizationCode(authorizationCode({ code_hash: 'old', expires_at: NOW }));
      expect(await store.consumeAuthorizationCode('old', NOW, 'fam-2')).toBeUndefined();
    });
    it('records a used authorization code presented again, with the family its exchange started', async () => {
      const { store } = subject;
      await store.putAuthorizationCode(authorizationCode());
      // Unused codes are not "presented again".
      expect(await store.markAuthorizationCodeReused('ac-hash', NOW)).toBeUndefined();
      expect(await store.authorizationCodeReused('ac-hash')).toBe(false);
      await store.consumeAuthorizationCode('ac-hash', NOW, 'fam-1');
      expect(await store.authorizationCodeReused('ac-hash')).toBe(false);
      expect(await store.markAuthorizationCodeReused('ac-hash', NOW + 1)).toBe('fam-1');
      expect(await store.authorizationCodeReused('ac-hash')).toBe(true);
      expect(await store.markAuthorizationCodeReused('unknown', NOW)).toBeUndefined();
    });
  });
}
