import type { Kysely } from 'kysely';

/**
 * Roles and permissions (Auth0's RBAC): roles, the API permissions each holds, the users holding
 * each, and permissions given to users directly. A role's or a user's deletion takes its
 * assignments with it (foreign keys, on in SQLite too).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('roles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('role_permissions')
    .addColumn('role_id', 'text', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('resource_server_identifier', 'text', (c) => c.notNull())
    .addColumn('permission_name', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_permissions_pk', [
      'role_id',
      'resource_server_identifier',
      'permission_name',
    ])
    .execute();
  await db.schema
    .createTable('user_roles')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
    .addColumn('role_id', 'text', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role_id'])
    .execute();
  await db.schema.createIndex('user_roles_role').on('user_roles').columns(['role_id', 'user_id']).execute();
  await db.schema
    .createTable('user_permissions')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
    .addColumn('resource_server_identifier', 'text', (c) => c.notNull())
    .addColumn('permission_name', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_permissions_pk', [
      'user_id',
      'resource_server_identifier',
      'permission_name',
    ])
    .execute();
}
