import { Type } from 'typebox';
import { MAX_QUERY_LENGTH } from '../../../core/user-search.ts';
import { objectOptions, optionalText, text } from '../../schemas.ts';
import { PageQuery } from './paging.ts';

/** The bodies, queries and answers of `/api/v2/users*`, as Auth0's Management API has them. */

const MetadataInput = Type.Optional(
  Type.Record(Type.String({ maxLength: 256 }), Type.Unknown(), { maxProperties: 64 }),
);
/** Free-form metadata as stored: any JSON object, written as it is. */
const Metadata = Type.Object({}, { additionalProperties: true });
/** A field PATCH may set, or unset with `null`. */
const nullableText = (max: number) => Type.Optional(Type.Union([text(max), Type.Null()]));

export const CreateUserBody = Type.Object(
  {
    connection: text(128),
    client_id: optionalText(256),
    email: optionalText(512),
    phone_number: optionalText(64),
    email_verified: Type.Optional(Type.Boolean()),
    phone_verified: Type.Optional(Type.Boolean()),
    verify_email: Type.Optional(Type.Boolean()),
    name: optionalText(300),
    nickname: optionalText(300),
    picture: optionalText(2048),
    blocked: Type.Optional(Type.Boolean()),
    app_metadata: MetadataInput,
    user_metadata: MetadataInput,
  },
  objectOptions,
);

export const UpdateUserBody = Type.Object(
  {
    connection: optionalText(128),
    client_id: optionalText(256),
    email: nullableText(512),
    phone_number: nullableText(64),
    email_verified: Type.Optional(Type.Boolean()),
    phone_verified: Type.Optional(Type.Boolean()),
    verify_email: Type.Optional(Type.Boolean()),
    verify_phone_number: Type.Optional(Type.Boolean()),
    name: nullableText(300),
    nickname: nullableText(300),
    picture: nullableText(2048),
    blocked: Type.Optional(Type.Boolean()),
    app_metadata: MetadataInput,
    user_metadata: MetadataInput,
  },
  objectOptions,
);

const flag = (description: string) =>
  Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description }));

export const ListUsersQuery = Type.Object({
  ...PageQuery,
  q: Type.Optional(
    Type.String({
      maxLength: MAX_QUERY_LENGTH,
      description: "Lucene query syntax, as Auth0's user search v3",
    }),
  ),
  sort: optionalText(64),
  search_engine: Type.Optional(
    Type.Union([Type.Literal('v1'), Type.Literal('v2'), Type.Literal('v3')], {
      description: 'Accepted for compatibility; every query is read as v3',
    }),
  ),
  fields: optionalText(1024),
  include_fields: flag('Whether `fields` lists the members to show (true, default) or to leave out'),
  connection: optionalText(128),
});

export const ByEmailQuery = Type.Object({
  email: text(512),
  fields: optionalText(1024),
  include_fields: flag('Whether `fields` lists the members to show (true, default) or to leave out'),
});

export const FieldsQuery = Type.Object({
  fields: optionalText(1024),
  include_fields: flag('Whether `fields` lists the members to show (true, default) or to leave out'),
});

/**
 * A user as Auth0's Management API shows it (core/users.ts userView). The serialiser writes the
 * required members first, then those a user may lack.
 */
export const UserBody = Type.Object(
  {
    user_id: Type.Optional(Type.String({ description: '`<connection strategy>|<id>`' })),
    email: Type.Optional(Type.String()),
    email_verified: Type.Optional(Type.Boolean()),
    phone_number: Type.Optional(Type.String({ description: 'E.164' })),
    phone_verified: Type.Optional(Type.Boolean()),
    name: Type.Optional(Type.String()),
    nickname: Type.Optional(Type.String()),
    picture: Type.Optional(Type.String()),
    identities: Type.Optional(
      Type.Array(
        Type.Object({
          provider: Type.String(),
          connection: Type.String(),
          user_id: Type.String(),
          isSocial: Type.Boolean(),
        }),
      ),
    ),
    created_at: Type.Optional(Type.String({ format: 'date-time' })),
    updated_at: Type.Optional(Type.String({ format: 'date-time' })),
    last_login: Type.Optional(Type.String({ format: 'date-time' })),
    last_ip: Type.Optional(Type.String()),
    logins_count: Type.Optional(Type.Integer()),
    app_metadata: Type.Optional(Metadata),
    user_metadata: Type.Optional(Metadata),
    blocked: Type.Optional(Type.Boolean()),
  },
  { description: 'A user (every member, or those `fields` asks for)' },
);

export const UserPage = Type.Union([
  Type.Array(UserBody),
  Type.Object({
    start: Type.Integer(),
    limit: Type.Integer(),
    length: Type.Integer(),
    total: Type.Integer(),
    users: Type.Array(UserBody),
  }),
]);

export const UserIdParams = Type.Object({ id: text(256) });
