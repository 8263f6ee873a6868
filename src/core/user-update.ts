import type { Context } from './context.ts';
import { AuthError } from './errors.ts';
import { identifierField, normaliseEmail, normalisePhone } from './identifiers.ts';
import { checkMetadata } from './metadata.ts';
import type { User } from './model.ts';
import type { UserPatch } from './ports/store.ts';
import { getUserByAdmin } from './user-lookup.ts';

/** The body of `PATCH /api/v2/users/{id}` after schema validation; `null` unsets a field. */
export interface UpdateUserRequest {
  connection?: string;
  email?: string | null;
  email_verified?: boolean;
  phone_number?: string | null;
  phone_verified?: boolean;
  name?: string | null;
  nickname?: string | null;
  picture?: string | null;
  blocked?: boolean;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

type Metadata = Record<string, unknown>;

/**
 * Merges a metadata patch as Auth0 does: keys at the top level are merged, each taking the new
 * value whole (a nested object replaces the old one), a `null` removes its key, and an empty
 * object empties the metadata.
 */
export function mergeMetadata(current: Metadata, patch: Metadata | undefined): Metadata {
  if (patch === undefined) return current;
  if (Object.keys(patch).length === 0) return {};
  const merged: Metadata = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

const invalidBody = (message: string) => new AuthError(400, 'invalid_body', message);
const taken = () =>
  new AuthError(409, 'conflict', 'The email or phone number is already in use by another user.');

/** How often an update is recomputed when the metadata changed under it (another update won). */
const ATTEMPTS = 16;

/**
 * `PATCH /api/v2/users/{id}`. The patch is worked out from the user as read and written only if
 * their metadata are still as read, so two concurrent merges both land.
 */
export async function updateUserByAdmin(ctx: Context, userId: string, req: UpdateUserRequest): Promise<User> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const user = await getUserByAdmin(ctx, userId);
    const patch = await patchFor(ctx, user, req);
    const outcome = await ctx.store.updateUser(userId, patch, {
      app_metadata: user.app_metadata,
      user_metadata: user.user_metadata,
    });
    if (outcome === 'taken') throw taken();
    if (outcome === undefined) throw new AuthError(404, 'inexistent_user', 'The user does not exist.');
    if (outcome !== 'changed') return outcome;
  }
  throw new AuthError(409, 'conflict', 'The user is being changed by other requests; try again.');
}

async function patchFor(ctx: Context, user: User, req: UpdateUserRequest): Promise<UserPatch> {
  if (req.connection !== undefined && req.connection !== user.connection)
    throw invalidBody('The user has no identity on that connection.');
  const patch: UserPatch = { updated_at: ctx.clock.now() };
  for (const field of ['name', 'nickname', 'picture'] as const) {
    if (req[field] !== undefined) patch[field] = req[field];
  }
  if (req.blocked !== undefined) patch.blocked = req.blocked;
  Object.assign(patch, await identifierPatch(ctx, user, req, 'email'));
  Object.assign(patch, await identifierPatch(ctx, user, req, 'phone_number'));
  for (const field of ['app_metadata', 'user_metadata'] as const) {
    if (req[field] === undefined) continue;
    const merged = mergeMetadata(user[field], req[field]);
    checkMetadata(field, merged);
    patch[field] = merged;
  }
  return patch;
}

/**
 * A new email address or phone number, normalised as at sign-up, unverified unless the request
 * says otherwise; 409 when another user of the connection has it. The connection's own
 * identifier cannot be removed.
 */
async function identifierPatch(
  ctx: Context,
  user: User,
  req: UpdateUserRequest,
  field: 'email' | 'phone_number',
): Promise<UserPatch> {
  const verified = field === 'email' ? 'email_verified' : 'phone_verified';
  const raw = req[field];
  if (raw === undefined) return req[verified] === undefined ? {} : { [verified]: req[verified] };
  const connection = await ctx.store.getConnection(user.connection);
  const isLogin = connection !== undefined && identifierField(connection.strategy) === field;
  if (raw === null) {
    if (isLogin) throw invalidBody(`${field} is how this user logs in: it cannot be removed.`);
    return { [field]: null, [verified]: false };
  }
  let value: string;
  try {
    value = field === 'email' ? normaliseEmail(raw) : normalisePhone(raw);
  } catch (error) {
    throw invalidBody((error as AuthError).description);
  }
  if (value === user[field]) return req[verified] === undefined ? {} : { [verified]: req[verified] };
  const holder = await ctx.store.findUser(user.connection, field, value);
  if (holder && holder.user_id !== user.user_id) throw taken();
  return { [field]: value, [verified]: req[verified] ?? false };
}
