import type { Context } from './context.ts';
import { AuthError, invalidRequest } from './errors.ts';
import type { PermissionRef, Role, User, UserPermission } from './model.ts';
import type { Page } from './paging.ts';
import { checkPermissions, permissionView } from './resource-servers.ts';
import { getUserByAdmin } from './user-lookup.ts';

/** Roles and who holds them, as the Management API's `/roles` and `/users/{id}/roles|permissions` manage them. */

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const inexistentRole = () => new AuthError(404, 'inexistent_role', 'The role does not exist.');
const nameTaken = () => new AuthError(409, 'conflict', 'A role with this name already exists.');

/** Checkpoint paging's `take` out of its range. */
export const badTake = () => invalidRequest('take must be a whole number from 1 to 100');

/** A role as Auth0 shows it. */
export const roleView = (role: Role) => ({ id: role.id, name: role.name, description: role.description });

/** Where a page starts and how long it is, as the store takes it. */
export const sliceOf = (page: Page) => ({ offset: page.page * page.perPage, limit: page.perPage });

export async function createRole(ctx: Context, input: { name: string; description?: string }): Promise<Role> {
  let id = 'rol_';
  for (let i = 0; i < 16; i++) id += ID_ALPHABET[ctx.random.int(ID_ALPHABET.length)];
  const role: Role = {
    id,
    name: input.name,
    description: input.description ?? '',
    created_at: ctx.clock.now(),
  };
  if (!(await ctx.store.createRole(role))) throw nameTaken();
  return role;
}

export async function requireRole(ctx: Context, id: string): Promise<Role> {
  const role = await ctx.store.getRole(id);
  if (!role) throw inexistentRole();
  return role;
}

export async function updateRole(
  ctx: Context,
  id: string,
  patch: { name?: string; description?: string },
): Promise<Role> {
  const result = await ctx.store.updateRole(id, patch);
  if ('missing' in result) throw inexistentRole();
  if ('nameTaken' in result) throw nameTaken();
  return result.role;
}

export async function deleteRole(ctx: Context, id: string): Promise<void> {
  if (!(await ctx.store.deleteRole(id))) throw inexistentRole();
}

/** Gives a role permissions; each must be one a configured API defines. */
export async function addRolePermissions(
  ctx: Context,
  id: string,
  permissions: PermissionRef[],
): Promise<void> {
  checkPermissions(ctx, permissions);
  await requireRole(ctx, id);
  await ctx.store.addRolePermissions(id, permissions);
}

export async function removeRolePermissions(ctx: Context, id: string, permissions: PermissionRef[]) {
  await requireRole(ctx, id);
  await ctx.store.removeRolePermissions(id, permissions);
}

export async function listRolePermissions(ctx: Context, id: string, page: Page) {
  await requireRole(ctx, id);
  const { items, total } = await ctx.store.listRolePermissions(id, sliceOf(page));
  return { items: items.map((p) => permissionView(ctx, p)), total };
}

/** Gives users a role; every user must exist (404 names the first that does not). */
export async function assignRoleUsers(ctx: Context, id: string, userIds: string[]): Promise<void> {
  await requireRole(ctx, id);
  for (const userId of new Set(userIds)) await getUserByAdmin(ctx, userId);
  await ctx.store.assignRoles(userIds, [id]);
}

/** Gives a user roles; every role must exist. */
export async function assignUserRoles(ctx: Context, userId: string, roleIds: string[]): Promise<void> {
  await getUserByAdmin(ctx, userId);
  const unique = [...new Set(roleIds)];
  if ((await ctx.store.findRoles(unique)).length !== unique.length) throw inexistentRole();
  await ctx.store.assignRoles([userId], unique);
}

export async function removeUserRoles(ctx: Context, userId: string, roleIds: string[]): Promise<void> {
  await getUserByAdmin(ctx, userId);
  await ctx.store.removeUserRoles(userId, roleIds);
}

export async function listUserRoles(ctx: Context, userId: string, page: Page) {
  await getUserByAdmin(ctx, userId);
  const { items, total } = await ctx.store.listUserRoles(userId, sliceOf(page));
  return { items: items.map(roleView), total };
}

export async function addUserPermissions(ctx: Context, userId: string, permissions: PermissionRef[]) {
  checkPermissions(ctx, permissions);
  await getUserByAdmin(ctx, userId);
  await ctx.store.addUserPermissions(userId, permissions);
}

export async function removeUserPermissions(ctx: Context, userId: string, permissions: PermissionRef[]) {
  await getUserByAdmin(ctx, userId);
  await ctx.store.removeUserPermissions(userId, permissions);
}

/** A user's permissions, direct and through roles, each with its `sources` as Auth0 lists them. */
export async function listUserPermissions(ctx: Context, userId: string, page: Page) {
  await getUserByAdmin(ctx, userId);
  const { items, total } = await ctx.store.listUserPermissions(userId, sliceOf(page));
  return { items: items.map((p) => userPermissionView(ctx, p)), total };
}

function userPermissionView(ctx: Context, p: UserPermission) {
  return {
    ...permissionView(ctx, p),
    sources: p.sources.map((s) =>
      s.source_type === 'DIRECT'
        ? { source_id: '', source_name: '', source_type: 'DIRECT' as const }
        : { source_id: s.role_id, source_name: s.role_name, source_type: 'ROLE' as const },
    ),
  };
}

/** A role's member as Auth0 lists it: only the members the user has. */
export const memberView = (user: Pick<User, 'user_id' | 'email' | 'name' | 'picture'>) => ({
  user_id: user.user_id,
  ...(user.email !== null && { email: user.email }),
  ...(user.name !== null && { name: user.name }),
  ...(user.picture !== null && { picture: user.picture }),
});
