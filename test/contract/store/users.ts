import { describe, expect, it } from 'vitest';
import { NOW, race, type StoreUnderTest } from './contract.ts';

const newUser = (n: number, overrides: Record<string, unknown> = {}) => ({
  user_id: `email|${n}`,
  connection: 'email',
  email: `user${n}@example.com`,
  phone_number: null,
  created_at: NOW,
  ...overrides,
});

/** Users: one per identifier however many requests race to make it; counters bumped atomically. */
export function usersContract(subject: StoreUnderTest): void {
  describe('users', () => {
    it('creates a user once however many requests race to, and finds it by identifier', async () => {
      const { store } = subject;
      const results = await race(10, () => store.createUser(newUser(1)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.user.user_id))).toEqual(new Set(['email|1']));
      const user = await store.findUser('email', 'email', 'user1@example.com');
      expect(user).toMatchObject({
        user_id: 'email|1',
        email_verified: false,
        blocked: false,
        logins_count: 0,
        created_at: NOW,
        app_metadata: {},
      });
      expect(typeof user?.created_at).toBe('number');
      expect(await store.findUser('other', 'email', 'user1@example.com')).toBeUndefined();

      const phone = await store.createUser(
        newUser(2, { email: null, phone_number: '+14155550100', connection: 'sms', phone_verified: true }),
      );
      expect(phone.created).toBe(true);
      expect((await store.findUser('sms', 'phone_number', '+14155550100'))?.phone_verified).toBe(true);
    });
    it('updates users field by field and counts logins atomically', async () => {
      const { store } = subject;
      await store.createUser(newUser(1));
      const updated = await store.updateUser('email|1', {
        name: 'Ada',
        app_metadata: { plan: 'pro' },
        blocked: true,
      });
      expect(updated).toMatchObject({
        name: 'Ada',
        app_metadata: { plan: 'pro' },
        blocked: true,
        user_metadata: {},
      });
      expect(await store.updateUser('email|nobody', { name: 'x' })).toBeUndefined();

      await race(20, (i) => store.recordLogin('email|1', 'email', `10.0.0.${i}`, NOW + i));
      const user = await store.getUser('email|1');
      expect(user?.logins_count).toBe(20);
      expect(user?.email_verified).toBe(true);
      expect(typeof user?.last_login).toBe('number');
    });
  });
}
