import { describe, expect, it } from 'vitest';
import type { Role } from '../../../src/core/model.ts';
import { NOW, race, type StoreUnderTest } from './contract.ts';

const API = 'https://api.example.com/';
const OTHER = 'https://other.example.com/';
const perm = (permission_name: string, resource_server_identifier = API) => ({
  resource_server_identifier,
  permission_name,
});
const role = (n: number, overrides: Partial<Role> = {}): Role => ({
  id: `rol_${String(n).padStart(16, '0')}`,
  name: `role ${n}`,
  description: '',
  created_at: NOW,
  ...overrides,
});

/** Roles: unique names, idempotent grants, one query for a login's permissions, cascading deletes. */
export function rolesContract(subject: StoreUnderTest): void {
  describe('roles', () => {
    async function user(n: number): Promise<string> {
      const { user } = await subject.store.createUser({
        user_id: `email|r${n}`,
        connection: 'email',
        email: `r${n}@example.com`,
        phone_number: null,
        created_at: NOW,
      });
      return user.user_id;
    }

    it('keeps names unique however many requests race, and pages and filters by name', async () => {
      const { store } = subject;
      const made = await race(8, (i) => store.createRole(role(100 + i, { name: 'Admin' })));
      expect(made.filter(Boolean)).toHaveLength(1);
      for (const [n, name] of [
        [1, 'Reader'],
        [2, 'reader_plus'],
        [3, 'Writer'],
        [4, '100% admin'],
      ] as const)
        expect(await store.createRole(role(n, { name, description: `d${n}` }))).toBe(true);
      const all = await store.listRoles({ offset: 0, limit: 50 });
      expect(all.total).toBe(5);
      expect(all.items.map((r) => r.name)).toEqual([
        '100% admin',
        'Admin',
        'Reader',
        'Writer',
        'reader_plus',
      ]);
      expect(typeof all.items[0]?.created_at).toBe('number');
      const page = await store.listRoles({ offset: 1, limit: 2 });
      expect(page).toMatchObject({ total: 5, items: [{ name: 'Admin' }, { name: 'Reader' }] });
      // Case is ignored; LIKE's wildcards in the filter match only themselves.
      expect((await store.listRoles({ offset: 0, limit: 50 }, 'READ')).items.map((r) => r.name)).toEqual([
        'Reader',
        'reader_plus',
      ]);
      expect((await store.listRoles({ offset: 0, limit: 50 }, '_')).items.map((r) => r.name)).toEqual([
        'reader_plus',
      ]);
      expect((await store.listRoles({ offset: 0, limit: 50 }, '%')).total).toBe(1);
      expect((await store.listRoles({ offset: 0, limit: 50 }, "'; drop table roles; --")).total).toBe(0);
    });

    it('updates a role, refusing a name another role has, and tells a missing role apart', async () => {
      const { store } = subject;
      await store.createRole(role(1, { name: 'one' }));
      await store.createRole(role(2, { name: 'two' }));
      expect(await store.updateRole(role(1).id, { name: 'uno', description: 'first' })).toEqual({
        role: { ...role(1), name: 'uno', description: 'first' },
      });
      expect(await store.updateRole(role(1).id, { name: 'two' })).toEqual({ nameTaken: true });
      expect(await store.updateRole('rol_nobody', { name: 'x' })).toEqual({ missing: true });
      expect(await store.updateRole('rol_nobody', {})).toEqual({ missing: true });
      expect(await store.findRoles([role(2).id, 'rol_nobody'])).toEqual([role(2, { name: 'two' })]);
    });

    it("gives permissions and roles once, lists a user's permissions with their sources", async () => {
      const { store } = subject;
      const ada = await user(1);
      await store.createRole(role(1, { name: 'readers' }));
      await store.createRole(role(2, { name: 'writers' }));
      await race(5, () => store.addRolePermissions(role(1).id, [perm('read:orders'), perm('read:stock')]));
      await store.addRolePermissions(role(2).id, [
        perm('read:orders'),
        perm('write:orders'),
        perm('x', OTHER),
      ]);
      await race(5, () => store.assignRoles([ada], [role(1).id, role(2).id, 'rol_nobody']));
      await store.assignRoles(['email|nobody'], [role(1).id]);
      await store.addUserPermissions(ada, [perm('admin:orders'), perm('read:orders')]);
      await store.addUserPermissions(ada, [perm('admin:orders')]);
      await store.addUserPermissions('email|nobody', [perm('admin:orders')]);

      expect((await store.permissionsFor(ada, API)).sort()).toEqual([
        'admin:orders',
        'read:orders',
        'read:stock',
        'write:orders',
      ]);
      expect(await store.permissionsFor(ada, OTHER)).toEqual(['x']);
      expect(await store.permissionsFor('email|nobody', API)).toEqual([]);
      expect(await store.listRolePermissions(role(1).id, { offset: 1, limit: 5 })).toEqual({
        items: [perm('read:stock')],
        total: 2,
      });
      const roles = await store.listUserRoles(ada, { offset: 0, limit: 50 });
      expect(roles.items.map((r) => r.name)).toEqual(['readers', 'writers']);
      expect(roles.total).toBe(2);

      const held = await store.listUserPermissions(ada, { offset: 0, limit: 50 });
      expect(held.total).toBe(5);
      expect(held.items.find((p) => p.permission_name === 'read:orders')?.sources).toEqual(
        expect.arrayContaining([
          { source_type: 'DIRECT' },
          { source_type: 'ROLE', role_id: role(1).id, role_name: 'readers' },
          { source_type: 'ROLE', role_id: role(2).id, role_name: 'writers' },
        ]),
      );
      expect((await store.listUserPermissions(ada, { offset: 4, limit: 50 })).items).toEqual([
        {
          ...perm('x', OTHER),
          sources: [{ source_type: 'ROLE', role_id: role(2).id, role_name: 'writers' }],
        },
      ]);

      await store.removeRolePermissions(role(2).id, [perm('write:orders'), perm('nothing')]);
      await store.removeUserPermissions(ada, [perm('admin:orders')]);
      await store.removeUserRoles(ada, [role(1).id]);
      expect((await store.permissionsFor(ada, API)).sort()).toEqual(['read:orders']);
    });

    it('gives and takes 1000 permissions in one call, as the API accepts them', async () => {
      const { store } = subject;
      const ada = await user(1);
      await store.createRole(role(1));
      const many = Array.from({ length: 1000 }, (_, i) => perm(`p${i}`));
      await store.addRolePermissions(role(1).id, many);
      await store.addUserPermissions(ada, many);
      expect((await store.listRolePermissions(role(1).id, { offset: 0, limit: 1 })).total).toBe(1000);
      await store.removeRolePermissions(role(1).id, many.slice(0, 999));
      await store.removeUserPermissions(ada, many);
      expect((await store.listRolePermissions(role(1).id, { offset: 0, limit: 10 })).items).toEqual([
        perm('p999'),
      ]);
      expect((await store.listUserPermissions(ada, { offset: 0, limit: 10 })).total).toBe(0);
    });

    it("pages a role's members by offset or after a user_id, and deletes assignments with either side", async () => {
      const { store } = subject;
      const users = [await user(3), await user(1), await user(2)];
      await store.createRole(role(1));
      await store.assignRoles(users, [role(1).id]);
      await store.addRolePermissions(role(1).id, [perm('read:orders')]);
      const first = await store.listRoleMembers(role(1).id, { limit: 2 });
      expect(first.total).toBe(3);
      expect(first.items).toEqual([
        { user_id: 'email|r1', email: 'r1@example.com', name: null, picture: null },
        { user_id: 'email|r2', email: 'r2@example.com', name: null, picture: null },
      ]);
      expect((await store.listRoleMembers(role(1).id, { after: 'email|r2', limit: 2 })).items).toEqual([
        { user_id: 'email|r3', email: 'r3@example.com', name: null, picture: null },
      ]);
      expect((await store.listRoleMembers(role(1).id, { offset: 2, limit: 2 })).items).toHaveLength(1);

      await store.addUserPermissions('email|r1', [perm('read:stock')]);
      await store.removeUserAssignments('email|r1');
      expect(await store.permissionsFor('email|r1', API)).toEqual([]);
      expect(await store.permissionsFor('email|r2', API)).toEqual(['read:orders']);

      expect(await store.deleteRole(role(1).id)).toBe(true);
      expect(await store.deleteRole(role(1).id)).toBe(false);
      expect(await store.permissionsFor('email|r2', API)).toEqual([]);
      expect(await store.listUserRoles('email|r2', { offset: 0, limit: 50 })).toEqual({
        items: [],
        total: 0,
      });
      const rows = await store.db.selectFrom('role_permissions').selectAll().execute();
      expect(rows).toEqual([]);
    });
  });
}
