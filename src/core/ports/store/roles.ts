import type { PermissionRef, Role, RoleMember, UserPermission } from '../../model.ts';

/** A slice of a listing: `limit` items from `offset`, in the listing's fixed order. */
export interface Slice {
  offset: number;
  limit: number;
}

/** A slice's items and how many the whole listing holds. */
export interface Listed<T> {
  items: T[];
  total: number;
}

/** What `updateRole` did: the role as it now is, none with that id, or another role has the name. */
export type RoleUpdate = { role: Role } | { missing: true } | { nameTaken: true };

/**
 * Roles, their permissions, who holds them, and permissions given to users directly (Auth0's
 * RBAC). Additions are idempotent: giving what is already given changes nothing.
 */
export interface RoleStore {
  /** Inserts the role; false when another role has its name. */
  createRole(role: Role): Promise<boolean>;
  getRole(id: string): Promise<Role | undefined>;
  /** The roles with these ids that exist. */
  findRoles(ids: string[]): Promise<Role[]>;
  /** Roles by name; `nameFilter` keeps those whose name contains it, ignoring case. */
  listRoles(slice: Slice, nameFilter?: string): Promise<Listed<Role>>;
  updateRole(id: string, patch: Partial<Pick<Role, 'name' | 'description'>>): Promise<RoleUpdate>;
  /** Deletes the role with its permissions and assignments; false when there was none. */
  deleteRole(id: string): Promise<boolean>;

  addRolePermissions(roleId: string, permissions: PermissionRef[]): Promise<void>;
  removeRolePermissions(roleId: string, permissions: PermissionRef[]): Promise<void>;
  listRolePermissions(roleId: string, slice: Slice): Promise<Listed<PermissionRef>>;

  /** Gives each user each role; pairs whose user or role does not exist are left out. */
  assignRoles(userIds: string[], roleIds: string[]): Promise<void>;
  removeUserRoles(userId: string, roleIds: string[]): Promise<void>;
  listUserRoles(userId: string, slice: Slice): Promise<Listed<Role>>;
  /** A role's users by user_id, from the first after `after` (checkpoint paging) or an offset. */
  listRoleMembers(
    roleId: string,
    page: { after?: string; offset?: number; limit: number },
  ): Promise<Listed<RoleMember>>;

  addUserPermissions(userId: string, permissions: PermissionRef[]): Promise<void>;
  removeUserPermissions(userId: string, permissions: PermissionRef[]): Promise<void>;
  /** Every permission the user holds, directly or through roles, each once with its sources. */
  listUserPermissions(userId: string, slice: Slice): Promise<Listed<UserPermission>>;
  /** The permission names the user holds for one API, in one query (a login's RBAC check). */
  permissionsFor(userId: string, resourceServer: string): Promise<string[]>;
  /** Removes the user's roles and direct permissions: for when the user is deleted. */
  removeUserAssignments(userId: string): Promise<void>;
}
