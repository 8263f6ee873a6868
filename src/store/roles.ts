import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { PermissionRef, Role, UserPermission } from '../core/model.ts';
import type { RoleStore } from '../core/ports/store.ts';
import { Prepared } from './prepared.ts';
import type { Database } from './tables.ts';

/** Roles, their permissions and assignments (Auth0's RBAC), over the tables of 0010_roles. */
export function roleStore(db: Kysely<Database>): RoleStore {
  // The one statement a login to an API with RBAC adds: the user's permissions for that API,
  // direct and through roles. Prepared once (see Prepared).
  const permissionsFor = new Prepared<{ user_id: string; api: string }, { permission_name: string }>((p) =>
    db
      .selectFrom('user_permissions')
      .select('permission_name')
      .where('user_id', '=', p('user_id'))
      .where('resource_server_identifier', '=', p('api'))
      .union(
        db
          .selectFrom('user_roles as ur')
          .innerJoin('role_permissions as rp', 'rp.role_id', 'ur.role_id')
          .select('rp.permission_name')
          .where('ur.user_id', '=', p('user_id'))
          .where('rp.resource_server_identifier', '=', p('api')),
      ),
  );
  const toRole = (row: Role): Role => ({ ...row, created_at: Number(row.created_at) });
  async function getRole(id: string): Promise<Role | undefined> {
    const row = await db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRole(row) : undefined;
  }

  return {
    async createRole(role) {
      const inserted = await db
        .insertInto('roles')
        .values(role)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    getRole,
    async findRoles(ids) {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('roles').selectAll().where('id', 'in', ids).execute();
      return rows.map(toRole);
    },
    async listRoles(slice, nameFilter) {
      const filter = nameFilter ? nameContains(nameFilter) : sql<SqlBool>`1 = 1`;
      const [rows, count] = await Promise.all([
        db
          .selectFrom('roles')
          .selectAll()
          .where(filter)
          .orderBy('name')
          .orderBy('id')
          .offset(slice.offset)
          .limit(slice.limit)
          .execute(),
        db.selectFrom('roles').select(db.fn.countAll<number>().as('n')).where(filter).executeTakeFirst(),
      ]);
      return { items: rows.map(toRole), total: Number(count?.n ?? 0) };
    },
    async updateRole(id, patch) {
      if (patch.name === undefined && patch.description === undefined) {
        const role = await getRole(id);
        return role ? { role } : { missing: true };
      }
      try {
        const row = await db
          .updateTable('roles')
          .set(patch)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row ? { role: toRole(row) } : { missing: true };
      } catch (error) {
        if (isUniqueViolation(error)) return { nameTaken: true };
        throw error;
      }
    },
    async deleteRole(id) {
      const deleted = await db.deleteFrom('roles').where('id', '=', id).executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    },

    async addRolePermissions(roleId, permissions) {
      await db
        .insertInto('role_permissions')
        .values(permissions.map((p) => ({ role_id: roleId, ...pick(p) })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    removeRolePermissions: (roleId, permissions) =>
      inRuns(db, permissions, (trx, run) =>
        trx
          .deleteFrom('role_permissions')
          .where('role_id', '=', roleId)
          .where((eb) => eb.or(run.map((p) => eb.and(pick(p)))))
          .execute(),
      ),
    async listRolePermissions(roleId, slice) {
      const [rows, count] = await Promise.all([
        db
          .selectFrom('role_permissions')
          .select(['resource_server_identifier', 'permission_name'])
          .where('role_id', '=', roleId)
          .orderBy('resource_server_identifier')
          .orderBy('permission_name')
          .offset(slice.offset)
          .limit(slice.limit)
          .execute(),
        db
          .selectFrom('role_permissions')
          .select(db.fn.countAll<number>().as('n'))
          .where('role_id', '=', roleId)
          .executeTakeFirst(),
      ]);
      return { items: rows, total: Number(count?.n ?? 0) };
    },

    async assignRoles(userIds, roleIds) {
      if (userIds.length === 0 || roleIds.length === 0) return;
      // One statement, so that a user or role deleted meanwhile is simply not assigned.
      await db
        .insertInto('user_roles')
        .columns(['user_id', 'role_id'])
        .expression(
          db
            .selectFrom('users')
            .innerJoin('roles', (join) => join.on('roles.id', 'in', roleIds))
            .select(['users.user_id', 'roles.id'])
            .where('users.user_id', 'in', userIds),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async removeUserRoles(userId, roleIds) {
      await db
        .deleteFrom('user_roles')
        .where('user_id', '=', userId)
        .where('role_id', 'in', roleIds)
        .execute();
    },
    async listUserRoles(userId, slice) {
      const base = db
        .selectFrom('user_roles')
        .innerJoin('roles', 'roles.id', 'user_roles.role_id')
        .where('user_roles.user_id', '=', userId);
      const [rows, count] = await Promise.all([
        base
          .selectAll('roles')
          .orderBy('roles.name')
          .orderBy('roles.id')
          .offset(slice.offset)
          .limit(slice.limit)
          .execute(),
        base.select(db.fn.countAll<number>().as('n')).executeTakeFirst(),
      ]);
      return { items: rows.map(toRole), total: Number(count?.n ?? 0) };
    },
    async listRoleMembers(roleId, page) {
      const base = db
        .selectFrom('user_roles')
        .innerJoin('users', 'users.user_id', 'user_roles.user_id')
        .where('user_roles.role_id', '=', roleId);
      let rows = base
        .select(['users.user_id', 'users.email', 'users.name', 'users.picture'])
        .orderBy('users.user_id')
        .limit(page.limit);
      if (page.after !== undefined) rows = rows.where('users.user_id', '>', page.after);
      else rows = rows.offset(page.offset ?? 0);
      const [items, count] = await Promise.all([
        rows.execute(),
        base.select(db.fn.countAll<number>().as('n')).executeTakeFirst(),
      ]);
      return { items, total: Number(count?.n ?? 0) };
    },

    async addUserPermissions(userId, permissions) {
      // One statement through a select on users, so that a user that does not exist (or is deleted
      // meanwhile) is given nothing. VALUES names its columns column1, column2 in both dialects.
      const values = sql.join(
        permissions.map(
          (p) => sql`(cast(${p.resource_server_identifier} as text), cast(${p.permission_name} as text))`,
        ),
      );
      await sql`insert into user_permissions (user_id, resource_server_identifier, permission_name)
        select u.user_id, v.column1, v.column2 from users u cross join (values ${values}) as v
        where u.user_id = ${userId}
        on conflict do nothing`.execute(db);
    },
    removeUserPermissions: (userId, permissions) =>
      inRuns(db, permissions, (trx, run) =>
        trx
          .deleteFrom('user_permissions')
          .where('user_id', '=', userId)
          .where((eb) => eb.or(run.map((p) => eb.and(pick(p)))))
          .execute(),
      ),
    async listUserPermissions(userId, slice) {
      const rows = await db
        .selectFrom('user_permissions')
        .select([
          'resource_server_identifier',
          'permission_name',
          sql<string | null>`null`.as('role_id'),
          sql<string | null>`null`.as('role_name'),
        ])
        .where('user_id', '=', userId)
        .unionAll(
          db
            .selectFrom('user_roles as ur')
            .innerJoin('role_permissions as rp', 'rp.role_id', 'ur.role_id')
            .innerJoin('roles as r', 'r.id', 'ur.role_id')
            .select([
              'rp.resource_server_identifier',
              'rp.permission_name',
              'r.id as role_id',
              'r.name as role_name',
            ])
            .where('ur.user_id', '=', userId),
        )
        .execute();
      const all = holdings(rows);
      return { items: all.slice(slice.offset, slice.offset + slice.limit), total: all.length };
    },
    async permissionsFor(userId, resourceServer) {
      const { rows } = await permissionsFor.run(db, { user_id: userId, api: resourceServer });
      return rows.map((r) => r.permission_name);
    },
    async removeUserAssignments(userId) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('user_roles').where('user_id', '=', userId).execute();
        await trx.deleteFrom('user_permissions').where('user_id', '=', userId).execute();
      });
    },
  };
}

/** Only the two columns that name a permission (a request may carry more). */
function pick(p: PermissionRef): PermissionRef {
  return { resource_server_identifier: p.resource_server_identifier, permission_name: p.permission_name };
}

/** Names containing `filter`, ignoring case; `%`, `_` and `\` in it match only themselves. */
function nameContains(filter: string): Expression<SqlBool> {
  const pattern = `%${filter.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`lower(name) like ${pattern} escape '\\'`;
}

/** Gathers a user's permission rows (one per way they hold it) into one entry per permission. */
function holdings(
  rows: {
    resource_server_identifier: string;
    permission_name: string;
    role_id: string | null;
    role_name: string | null;
  }[],
): UserPermission[] {
  const byKey = new Map<string, UserPermission>();
  for (const row of rows) {
    const key = `${row.resource_server_identifier}\u0000${row.permission_name}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = {
        resource_server_identifier: row.resource_server_identifier,
        permission_name: row.permission_name,
        sources: [],
      };
      byKey.set(key, entry);
    }
    entry.sources.push(
      row.role_id === null
        ? { source_type: 'DIRECT' }
        : { source_type: 'ROLE', role_id: row.role_id, role_name: row.role_name ?? '' },
    );
  }
  return [...byKey.values()].sort(
    (a, b) =>
      compare(a.resource_server_identifier, b.resource_server_identifier) ||
      compare(a.permission_name, b.permission_name),
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A unique constraint refused the write: SQLite's code, or PostgreSQL's SQLSTATE 23505. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/**
 * Runs `remove` in one transaction over a request's permissions, at most 100 at a time: one
 * statement's `OR` of them all would pass SQLite's expression depth (1000) for a list the API accepts.
 */
async function inRuns(
  db: Kysely<Database>,
  permissions: readonly PermissionRef[],
  remove: (trx: Kysely<Database>, run: PermissionRef[]) => Promise<unknown>,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < permissions.length; i += 100) await remove(trx, permissions.slice(i, i + 100));
  });
}
