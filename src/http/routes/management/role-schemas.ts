import { type TSchema, Type } from 'typebox';
import { type Page, pageAnswer } from '../../../core/paging.ts';
import { objectOptions, text } from '../../schemas.ts';
import { PageQuery } from './paging.ts';

/** The schemas of `/api/v2/roles*`, `/api/v2/users/{id}/roles|permissions` and `/api/v2/resource-servers*`. */

/** Text of 1 to `max` characters without control characters. */
const name = (max: number) =>
  Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]*$' });

const RoleIdString = Type.String({
  pattern: '^rol_[A-Za-z0-9]{1,32}$',
  description: '`rol_` and letters or digits',
});
const UserIdString = name(256);

export const RoleParams = Type.Object({ id: RoleIdString });
export const UserParams = Type.Object({ id: UserIdString });
export const ResourceServerParams = Type.Object({ id: name(2048) });

export const CreateRoleBody = Type.Object(
  { name: name(200), description: Type.Optional(text(500)) },
  objectOptions,
);
export const UpdateRoleBody = Type.Object(
  { name: Type.Optional(name(200)), description: Type.Optional(text(500)) },
  objectOptions,
);

const PermissionRef = Type.Object(
  { resource_server_identifier: name(2048), permission_name: name(280) },
  objectOptions,
);
export const PermissionsBody = Type.Object(
  { permissions: Type.Array(PermissionRef, { minItems: 1, maxItems: 1000 }) },
  objectOptions,
);
export const RolesBody = Type.Object(
  { roles: Type.Array(RoleIdString, { minItems: 1, maxItems: 1000 }) },
  objectOptions,
);
export const UsersBody = Type.Object(
  { users: Type.Array(UserIdString, { minItems: 1, maxItems: 1000 }) },
  objectOptions,
);

export const RolesQuery = Type.Object({ ...PageQuery, name_filter: Type.Optional(text(200)) });
export const PagedQuery = Type.Object(PageQuery);
export const RoleUsersQuery = Type.Object({
  ...PageQuery,
  from: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{1,512}$',
      description: 'Checkpoint: the `next` of the page before',
    }),
  ),
  take: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,3}$', description: 'Checkpoint: items per page, 1 to 100 (50)' }),
  ),
});

export const Role = Type.Object(
  { id: Type.String(), name: Type.String(), description: Type.String() },
  { description: 'A role' },
);
export const Permission = Type.Object(
  {
    resource_server_identifier: Type.String(),
    permission_name: Type.String(),
    resource_server_name: Type.String(),
    description: Type.String(),
  },
  { description: 'A permission, with its API' },
);
export const UserPermission = Type.Object(
  {
    ...Permission.properties,
    sources: Type.Array(
      Type.Object({
        source_id: Type.String({ description: 'The role id, or empty for a direct permission' }),
        source_name: Type.String(),
        source_type: Type.Union([Type.Literal('ROLE'), Type.Literal('DIRECT')]),
      }),
    ),
  },
  { description: "A user's permission, with where it comes from" },
);
export const RoleMember = Type.Object(
  {
    user_id: Type.String(),
    email: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    picture: Type.Optional(Type.String()),
  },
  { description: 'A user holding the role' },
);
export const ResourceServer = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    is_system: Type.Boolean(),
    identifier: Type.String(),
    scopes: Type.Array(Type.Object({ value: Type.String(), description: Type.String() })),
    signing_alg: Type.String(),
    allow_offline_access: Type.Boolean(),
    skip_consent_for_verifiable_first_party_clients: Type.Boolean(),
    token_lifetime: Type.Integer(),
    token_lifetime_for_web: Type.Integer(),
    enforce_policies: Type.Boolean(),
    token_dialect: Type.String(),
  },
  { description: 'An API (resource server), from the configuration' },
);

/** Auth0's offset-paged answer: the items, or with `include_totals` the items under `key` and where they stand. */
export function paged(key: string, item: TSchema) {
  return Type.Union([
    Type.Array(item),
    Type.Object({
      start: Type.Integer(),
      limit: Type.Integer(),
      length: Type.Integer(),
      total: Type.Integer(),
      [key]: Type.Array(item),
    }),
  ]);
}

/** The checkpoint-paged answer of a role's users: `next` is there while more remain. */
export const CheckpointUsers = Type.Object({
  users: Type.Array(RoleMember),
  next: Type.Optional(Type.String()),
});

/** core's pageAnswer, typed as `paged` describes it (its own type says only Record<string, unknown>). */
export function answerPage<T>(key: string, items: T[], page: Page, total: number) {
  return pageAnswer(key, items, page, total) as T[] | Record<string, number | T[]>;
}
