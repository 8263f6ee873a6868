import { describe, expect, it } from 'vitest';
import type { UserFilter, UserQuery } from '../../../src/core/user-query.ts';
import { parseUserSearch } from '../../../src/core/user-search.ts';
import { HOUR, NOW, race, type StoreUnderTest } from './contract.ts';
import { refreshToken } from './tokens.ts';

// What the Management API asks of the users role beyond logins: searching (the filter tree as
// SQL, metadata through each dialect's JSON functions), updating against a metadata snapshot,
// and deleting a user with every grant of theirs in one transaction.

const user = (n: number, overrides: Record<string, unknown> = {}) => ({
  user_id: `email|${n}`,
  connection: 'email',
  email: `user${n}@example.com`,
  phone_number: null,
  created_at: NOW + n * HOUR,
  ...overrides,
});

const query = (filter: UserFilter | undefined, extra: Partial<UserQuery> = {}): UserQuery => ({
  filter,
  offset: 0,
  limit: 50,
  withTotal: false,
  ...extra,
});

export function userAdminContract(subject: StoreUnderTest): void {
  describe('users for the Management API', () => {
    async function seed() {
      const { store } = subject;
      await store.createUser(
        user(1, { name: 'Ada Lovelace', app_metadata: { plan: 'gold', seats: 3, tags: ['a', 'b'] } }),
      );
      await store.createUser(
        user(2, { name: 'Alan Turing', app_metadata: { plan: 'silver', seats: 30 }, blocked: true }),
      );
      await store.createUser(
        user(3, { name: 'grace hopper', app_metadata: { nested: { plan: 'gold' }, on: true } }),
      );
    }
    const ids = async (q: string, extra: Partial<UserQuery> = {}) =>
      (await subject.store.listUsers(query(parseUserSearch(q), extra))).users.map((u) => u.user_id);

    it('searches columns and metadata the same way on every database', async () => {
      await seed();
      expect(await ids('')).toEqual(['email|1', 'email|2', 'email|3']);
      expect(await ids('name:a*')).toEqual(['email|1', 'email|2']);
      expect(await ids('name:"GRACE HOPPER"')).toEqual(['email|3']);
      expect(await ids('blocked:true OR app_metadata.on:true')).toEqual(['email|2', 'email|3']);
      expect(await ids('NOT blocked:true')).toEqual(['email|1', 'email|3']);
      expect(await ids('app_metadata.plan:gold')).toEqual(['email|1']);
      expect(await ids('app_metadata.nested.plan:gold')).toEqual(['email|3']);
      expect(await ids('app_metadata.tags:b')).toEqual(['email|1']);
      expect(await ids('app_metadata.seats:[3 TO 30}')).toEqual(['email|1']);
      expect(await ids('app_metadata.seats:3')).toEqual(['email|1']);
      expect(await ids('app_metadata.seats:"3"')).toEqual(['email|1']);
      expect(await ids('app_metadata.plan:sil*')).toEqual(['email|2']);
      expect(await ids('app_metadata.nested:*')).toEqual(['email|3']);
      expect(await ids(`created_at:[${new Date(NOW + 2 * HOUR).toISOString()} TO *]`)).toEqual([
        'email|2',
        'email|3',
      ]);
      expect(await ids('name:"%" OR name:_*')).toEqual([]);
    });

    it('sorts, pages and counts', async () => {
      await seed();
      const sorted = await subject.store.listUsers(
        query(undefined, {
          sort: { column: 'name', descending: true },
          limit: 2,
          offset: 1,
          withTotal: true,
        }),
      );
      expect(sorted.users.map((u) => u.user_id)).toEqual(['email|2', 'email|1']);
      expect(sorted.total).toBe(3);
      expect((await subject.store.listUsers(query(undefined, { offset: 3 }))).users).toEqual([]);
    });

    it('finds users by email on every connection', async () => {
      const { store } = subject;
      await store.createUser(user(1));
      await store.createUser(user(2, { connection: 'other', email: 'user1@example.com' }));
      expect((await store.findUsersByEmail('user1@example.com')).map((u) => u.connection)).toEqual([
        'email',
        'other',
      ]);
      expect(await store.findUsersByEmail('USER1@example.com')).toEqual([]);
    });

    it('updates only while the metadata are as read, and says when an identifier is taken', async () => {
      const { store } = subject;
      await store.createUser(user(1, { user_metadata: { a: 1 } }));
      await store.createUser(user(2));
      const snapshot = { app_metadata: {}, user_metadata: { a: 1 } };
      const results = await race(5, (i) =>
        store.updateUser('email|1', { user_metadata: { a: 1, [`k${i}`]: i } }, snapshot),
      );
      expect(results.filter((r) => typeof r === 'object')).toHaveLength(1);
      expect(results.filter((r) => r === 'changed')).toHaveLength(4);
      expect(await store.updateUser('email|1', { email: 'user2@example.com' })).toBe('taken');
      expect(await store.updateUser('email|nobody', { name: 'x' }, snapshot)).toBeUndefined();
      expect((await store.getUser('email|1'))?.email).toBe('user1@example.com');
    });

    it('deletes a user with their codes, sessions and tokens, and nobody else’s', async () => {
      const { store } = subject;
      for (const n of [1, 2]) {
        await store.createUser(user(n));
        await store.putSession({
          id: `s${n}`,
          token_hash: `st${n}`,
          user_id: `email|${n}`,
          auth_time: NOW,
          created_at: NOW,
          last_used_at: NOW,
          expires_at: NOW + HOUR,
        });
        await store.putRefreshToken(
          refreshToken({ id: `rt${n}`, token_hash: `rth${n}`, family_id: `f${n}`, user_id: `email|${n}` }),
        );
      }
      await store.createRole({ id: 'rol_deleted0000001', name: 'reader', description: '', created_at: NOW });
      await store.assignRoles(['email|1', 'email|2'], ['rol_deleted0000001']);
      await store.addUserPermissions('email|1', [
        { resource_server_identifier: 'https://api.example.com/', permission_name: 'read:things' },
      ]);
      expect(await store.deleteUser('email|1')).toBe(true);
      expect(await store.deleteUser('email|1')).toBe(false);
      // Their roles and permissions went with them: a user made again with the id holds none.
      await store.createUser(user(1));
      expect((await store.listUserRoles('email|1', { offset: 0, limit: 10 })).total).toBe(0);
      expect((await store.listUserPermissions('email|1', { offset: 0, limit: 10 })).total).toBe(0);
      expect((await store.listUserRoles('email|2', { offset: 0, limit: 10 })).total).toBe(1);
      await store.deleteUser('email|1');
      expect(await store.getUser('email|1')).toBeUndefined();
      expect(await store.findSession('st1')).toBeUndefined();
      expect(await store.findRefreshToken('rth1')).toBeUndefined();
      expect(await store.findSession('st2')).toBeDefined();
      expect(await store.findRefreshToken('rth2')).toBeDefined();
    });
  });

  describe('sessions and refresh tokens by user', () => {
    it('lists live sessions after a checkpoint and deletes them all', async () => {
      const { store } = subject;
      for (const [id, lastUsed, expires] of [
        ['a', NOW, NOW + HOUR],
        ['b', NOW, NOW + HOUR],
        ['c', NOW - 2 * HOUR, NOW + HOUR], // idle
        ['d', NOW, NOW - 1], // over
      ] as const) {
        await store.putSession({
          id,
          token_hash: `h${id}`,
          user_id: 'email|1',
          auth_time: NOW,
          created_at: NOW,
          last_used_at: lastUsed,
          expires_at: expires,
        });
      }
      const live = { now: NOW, idleSince: NOW - HOUR };
      expect((await store.listUserSessions('email|1', { limit: 10 }, live)).map((s) => s.id)).toEqual([
        'a',
        'b',
      ]);
      expect(
        (await store.listUserSessions('email|1', { after: 'a', limit: 10 }, live)).map((s) => s.id),
      ).toEqual(['b']);
      expect((await store.getSession('c'))?.last_used_at).toBe(NOW - 2 * HOUR);
      await store.deleteUserSessions('email|1');
      expect(await store.getSession('a')).toBeUndefined();
    });

    it('shows each family once, by its live token, and revokes them', async () => {
      const { store } = subject;
      await store.putRefreshToken(
        refreshToken({ id: 'r1', token_hash: 'x1', family_id: 'f1', created_at: NOW }),
      );
      await store.useRefreshToken('r1', NOW + 1);
      await store.putRefreshToken(
        refreshToken({ id: 'r2', token_hash: 'x2', family_id: 'f1', created_at: NOW + 5 }),
      );
      await store.putRefreshToken(
        refreshToken({ id: 'r3', token_hash: 'x3', family_id: 'f2', created_at: NOW }),
      );
      const families = await store.listRefreshFamilies('email|1', { limit: 10 }, NOW + 10);
      expect(families.map((f) => [f.token.id, f.started_at])).toEqual([
        ['r2', NOW],
        ['r3', NOW],
      ]);
      expect(
        (await store.listRefreshFamilies('email|1', { after: 'f1', limit: 10 }, NOW)).map((f) => f.token.id),
      ).toEqual(['r3']);
      expect((await store.findRefreshFamily('f1', NOW))?.token.id).toBe('r2');
      await store.revokeUserRefreshTokens('email|1', NOW + 20);
      expect(await store.listRefreshFamilies('email|1', { limit: 10 }, NOW + 30)).toEqual([]);
      expect((await store.findRefreshToken('x3'))?.revoked_at).toBe(NOW + 20);
    });
  });
}
