import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../../core/context.ts';
import { authoriseManagement } from '../../../core/management-tokens.ts';
import { readPage } from '../../../core/paging.ts';
import * as roles from '../../../core/roles.ts';
import {
  answerPage,
  CheckpointUsers,
  CreateRoleBody,
  PagedQuery,
  Permission,
  PermissionsBody,
  paged,
  Role,
  RoleMember,
  RoleParams,
  RolesBody,
  RolesQuery,
  RoleUsersQuery,
  UpdateRoleBody,
  UserParams,
  UserPermission,
  UsersBody,
} from './role-schemas.ts';

/**
 * Roles and permissions, as Auth0's Management API manages them: `/api/v2/roles*`, and a user's
 * roles and direct permissions at `/api/v2/users/{id}/roles|permissions`. Each route takes the
 * scopes Auth0 lists for it, any one of them enough.
 */
export const roleRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  const authorise = (authorization: string | undefined, ...scopes: string[]) =>
    authoriseManagement(ctx, authorization, scopes);

  app.get(
    '/api/v2/roles',
    { schema: { querystring: RolesQuery, response: { 200: paged('roles', Role) } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:roles');
      const page = readPage(request.query);
      const filter = request.query.name_filter || undefined;
      const { items, total } = await ctx.store.listRoles(roles.sliceOf(page), filter);
      return answerPage('roles', items.map(roles.roleView), page, total);
    },
  );
  app.post(
    '/api/v2/roles',
    { schema: { body: CreateRoleBody, response: { 200: Role } } },
    async (request) => {
      await authorise(request.headers.authorization, 'create:roles');
      return roles.roleView(await roles.createRole(ctx, request.body));
    },
  );
  app.get(
    '/api/v2/roles/:id',
    { schema: { params: RoleParams, response: { 200: Role } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:roles');
      return roles.roleView(await roles.requireRole(ctx, request.params.id));
    },
  );
  app.patch(
    '/api/v2/roles/:id',
    { schema: { params: RoleParams, body: UpdateRoleBody, response: { 200: Role } } },
    async (request) => {
      await authorise(request.headers.authorization, 'update:roles');
      return roles.roleView(await roles.updateRole(ctx, request.params.id, request.body));
    },
  );
  app.delete('/api/v2/roles/:id', { schema: { params: RoleParams } }, async (request, reply) => {
    await authorise(request.headers.authorization, 'delete:roles');
    await roles.deleteRole(ctx, request.params.id);
    return reply.status(200).send();
  });

  app.get(
    '/api/v2/roles/:id/permissions',
    {
      schema: {
        params: RoleParams,
        querystring: PagedQuery,
        response: { 200: paged('permissions', Permission) },
      },
    },
    async (request) => {
      await authorise(request.headers.authorization, 'read:roles');
      const page = readPage(request.query);
      const { items, total } = await roles.listRolePermissions(ctx, request.params.id, page);
      return answerPage('permissions', items, page, total);
    },
  );
  app.post(
    '/api/v2/roles/:id/permissions',
    { schema: { params: RoleParams, body: PermissionsBody } },
    async (request, reply) => {
      await authorise(request.headers.authorization, 'update:roles');
      await roles.addRolePermissions(ctx, request.params.id, request.body.permissions);
      return reply.status(201).send();
    },
  );
  app.delete(
    '/api/v2/roles/:id/permissions',
    { schema: { params: RoleParams, body: PermissionsBody } },
    async (request, reply) => {
      await authorise(request.headers.authorization, 'update:roles');
      await roles.removeRolePermissions(ctx, request.params.id, request.body.permissions);
      return reply.status(200).send();
    },
  );

  app.get(
    '/api/v2/roles/:id/users',
    {
      schema: {
        params: RoleParams,
        querystring: RoleUsersQuery,
        response: { 200: Type.Union([paged('users', RoleMember), CheckpointUsers]) },
      },
    },
    async (request) => {
      await authorise(request.headers.authorization, 'read:users', 'read:roles', 'read:role_members');
      await roles.requireRole(ctx, request.params.id);
      const { from, take } = request.query;
      if (from !== undefined || take !== undefined) {
        // Checkpoint paging: `next` names the last user given; past the first 1000 too.
        const limit = take === undefined ? 50 : Number(take);
        if (limit < 1 || limit > 100) throw roles.badTake();
        const after = from === undefined ? undefined : Buffer.from(from, 'base64url').toString();
        const { items } = await ctx.store.listRoleMembers(request.params.id, { after, limit: limit + 1 });
        const users = items.slice(0, limit).map(roles.memberView);
        const last = users[users.length - 1];
        return items.length > limit && last
          ? { users, next: Buffer.from(last.user_id).toString('base64url') }
          : { users };
      }
      const page = readPage(request.query);
      const { items, total } = await ctx.store.listRoleMembers(request.params.id, roles.sliceOf(page));
      return answerPage('users', items.map(roles.memberView), page, total);
    },
  );
  app.post(
    '/api/v2/roles/:id/users',
    { schema: { params: RoleParams, body: UsersBody } },
    async (request, reply) => {
      await authorise(request.headers.authorization, 'update:roles', 'create:role_members');
      await roles.assignRoleUsers(ctx, request.params.id, request.body.users);
      return reply.status(200).send();
    },
  );

  app.get(
    '/api/v2/users/:id/roles',
    { schema: { params: UserParams, querystring: PagedQuery, response: { 200: paged('roles', Role) } } },
    async (request) => {
      await authorise(request.headers.authorization, 'read:users', 'read:roles', 'read:role_members');
      const page = readPage(request.query);
      const { items, total } = await roles.listUserRoles(ctx, request.params.id, page);
      return answerPage('roles', items, page, total);
    },
  );
  app.post(
    '/api/v2/users/:id/roles',
    { schema: { params: UserParams, body: RolesBody } },
    async (request, reply) => {
      await authorise(request.headers.authorization, 'update:users', 'create:role_members');
      await roles.assignUserRoles(ctx, request.params.id, request.body.roles);
      return reply.status(204).send();
    },
  );
  app.delete(
    '/api/v2/users/:id/roles',
    { schema: { params: UserParams, body: RolesBody } },
    async (request, reply) => {
      await authorise(request.headers.authorization, 'update:users', 'delete:role_members');
      await roles.removeUserRoles(ctx, request.params.id, request.body.roles);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v2/users/:id/permissions',
    {
      schema: {
        params: UserParams,
        querystring: PagedQuery,
        response: { 200: paged('permissions', UserPermission) },
      },
    },
    async (request) => {
      await authorise(request.headers.authorization, 'read:users');
      const page = readPage(request.query);
      const { items, total } = await roles.listUserPermissions(ctx, request.params.id, page);
      return answerPage('permissions', items, page, total);
    },
  );
  app.post(
    '/api/v2/users/:id/permissions',
    { schema: { params: UserParams, body: PermissionsBody } },
    async (request, reply) => {
      await authorise(request.headers.authorization, 'update:users');
      await roles.addUserPermissions(ctx, request.params.id, request.body.permissions);
      return reply.status(201).send();
    },
  );
  app.delete(
    '/api/v2/users/:id/permissions',
    { schema: { params: UserParams, body: PermissionsBody } },
    async (request, reply) => {
      await authorise(request.headers.authorization, 'update:users');
      await roles.removeUserPermissions(ctx, request.params.id, request.body.permissions);
      return reply.status(204).send();
    },
  );
};
