import { describe, expect, it } from 'vitest';
import type { LoginTicket, RefreshToken } from '../../../src/core/model.ts';
import { HOUR, NOW, race, type StoreUnderTest } from './contract.ts';

export function refreshToken(overrides: Partial<RefreshToken> = {}): RefreshToken {
  return {
    id: 'rt1',
    token_hash: 'rt-hash-1',
    family_id: 'fam1',
    client_id: 'app1',
    user_id: 'email|1',
    scope: 'openid offline_access',
    audience: null,
    session_id: 's1',
    auth_time: NOW,
    created_at: NOW,
    expires_at: NOW + HOUR,
    used_at: null,
    revoked_at: null,
    ...overrides,
  };
}

function loginTicket(overrides: Partial<LoginTicket> = {}): LoginTicket {
  return {
    ticket_hash: 'tk-hash',
    co_id: 'co1',
    verifier_hash: 'vh',
    client_id: 'app1',
    user_id: 'email|1',
    origin: 'https://app.example.com',
    auth_time: NOW,
    expires_at: NOW + 60_000,
    consumed_at: null,
    ...overrides,
  };
}

/** Refresh tokens, sessions and login tickets: each used once, a family revoked whole. */
export function tokensContract(subject: StoreUnderTest): void {
  describe('refresh tokens', () => {
    it('rotates refresh tokens once and revokes a whole family', async () => {
      const { store } = subject;
      await store.putRefreshToken(refreshToken());
      await store.putRefreshToken(refreshToken({ id: 'rt2', token_hash: 'rt-hash-2' }));
      expect(await store.findRefreshToken('rt-hash-1')).toMatchObject({
        id: 'rt1',
        used_at: null,
        expires_at: NOW + HOUR,
      });
      const won = await race(10, () => store.useRefreshToken('rt1', NOW));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect((await store.findRefreshToken('rt-hash-1'))?.used_at).toBe(NOW);

      await store.revokeRefreshFamily('fam1', NOW + 1);
      expect(await store.useRefreshToken('rt2', NOW + 2)).toBe(false);
      expect((await store.findRefreshToken('rt-hash-2'))?.revoked_at).toBe(NOW + 1);
    });
  });
  describe('sessions and login tickets', () => {
    it('keeps sessions, login transactions and tickets, and consumes a ticket once', async () => {
      const { store } = subject;
      await store.putSession({
        id: 's1',
        token_hash: 'st-hash',
        user_id: 'email|1',
        auth_time: NOW,
        created_at: NOW,
        last_used_at: NOW,
        expires_at: NOW + HOUR,
      });
      await store.touchSession('s1', NOW + 5);
      expect(await store.findSession('st-hash')).toMatchObject({ id: 's1', last_used_at: NOW + 5 });
      await store.deleteSession('s1');
      expect(await store.findSession('st-hash')).toBeUndefined();

      await store.putLoginTicket(loginTicket());
      expect((await store.findLoginTicket('tk-hash'))?.co_id).toBe('co1');
      const won = await race(10, () => store.consumeLoginTicket('tk-hash', NOW));
      expect(won.filter(Boolean)).toHaveLength(1);
    });
  });
}
