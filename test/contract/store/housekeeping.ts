import { describe, expect, it } from 'vitest';
import { loginCode } from './codes.ts';
import { NOW, type StoreUnderTest } from './contract.ts';
import { outboxMessage } from './messages.ts';
import { refreshToken } from './tokens.ts';

/** The purge: only rows past their cut-off, a bounded number at a time. */
export function housekeepingContract(subject: StoreUnderTest): void {
  describe('housekeeping', () => {
    it('purges only rows past their cut-off, at most `limit` a table at a time', async () => {
      const { store } = subject;
      for (let i = 0; i < 3; i++)
        await store.putLoginCode(
          loginCode({ id: `old${i}`, identifier: `old${i}@x.com`, expires_at: NOW - 1 }),
        );
      await store.putLoginCode(loginCode({ id: 'live' }));
      await store.putRefreshToken(refreshToken({ expires_at: NOW - 1 }));
      await store.putOutboxMessage(
        outboxMessage({ id: 'done', status: 'sent', body: null, updated_at: NOW - 1 }),
      );
      await store.putOutboxMessage(outboxMessage({ id: 'pending' }));
      const before = { expired: NOW, sessionsUsed: NOW, refreshTokens: NOW, outbox: NOW, inbox: NOW };

      const first = await store.purgeExpired(before, 2);
      expect(first.login_codes).toBe(2);
      expect(first.refresh_tokens).toBe(1);
      const second = await store.purgeExpired(before, 2);
      expect(second.login_codes).toBe(1);
      expect(await store.findLoginCode('app1', 'email', 'ada@example.com')).toMatchObject({ id: 'live' });
      expect(await store.getOutboxMessage('done')).toBeUndefined();
      expect(await store.getOutboxMessage('pending')).toBeDefined();
    });
  });
}
