import type { Context } from './context.ts';
import { AuthError } from './errors.ts';
import type { Session } from './model.ts';
import type { CheckpointPage, RefreshFamily } from './ports/store.ts';
import { getUserByAdmin } from './user-lookup.ts';

/**
 * The Management API's view of what keeps a user logged in: their browser sessions and refresh
 * tokens, listed and revoked as Auth0's `/sessions` and `/refresh-tokens` do. Neither a token nor
 * its hash is ever shown: a refresh token is named by its family (stable across rotation).
 */

export const DEFAULT_TAKE = 50;
export const MAX_TAKE = 100;

/** Reads Auth0's checkpoint paging (`from`: the last id seen, `take`: how many). */
export function readCheckpoint(query: { from?: string; take?: string }): CheckpointPage {
  const take = query.take === undefined ? DEFAULT_TAKE : Number(query.take);
  if (!Number.isSafeInteger(take) || take < 1 || take > MAX_TAKE)
    throw new AuthError(400, 'invalid_query_string', `take must be a whole number from 1 to ${MAX_TAKE}`);
  return { ...(query.from ? { after: query.from } : {}), limit: take };
}

/** A page of items and, when there are more, the `next` checkpoint to ask from. */
async function checkpointAnswer<T extends { id: string }>(
  key: string,
  page: CheckpointPage,
  read: (page: CheckpointPage) => Promise<T[]>,
): Promise<Record<string, unknown>> {
  const items = await read({ ...page, limit: page.limit + 1 });
  const shown = items.slice(0, page.limit);
  const last = shown.at(-1);
  return { [key]: shown, ...(items.length > page.limit && last ? { next: last.id } : {}) };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A session as Auth0's Management API shows one. */
export function sessionView(ctx: Context, session: Session) {
  const idleEnds = session.last_used_at + ctx.config.session.idle * 1000;
  return {
    id: session.id,
    user_id: session.user_id,
    created_at: iso(session.created_at),
    updated_at: iso(session.last_used_at),
    authenticated_at: iso(session.auth_time),
    idle_expires_at: iso(Math.min(idleEnds, session.expires_at)),
    expires_at: iso(session.expires_at),
    last_interacted_at: iso(session.last_used_at),
  };
}

/** A refresh token as Auth0's Management API shows one. */
export function refreshTokenView(ctx: Context, family: RefreshFamily) {
  const { token } = family;
  return {
    id: token.family_id,
    user_id: token.user_id,
    created_at: iso(family.started_at),
    expires_at: iso(token.expires_at),
    client_id: token.client_id,
    session_id: token.session_id,
    rotating: true,
    resource_servers: [{ audience: token.audience ?? `${ctx.config.issuer}userinfo`, scopes: token.scope }],
    ...(token.created_at > family.started_at && { last_exchanged_at: iso(token.created_at) }),
  };
}

function liveSessionBounds(ctx: Context) {
  const now = ctx.clock.now();
  return { now, idleSince: now - ctx.config.session.idle * 1000 };
}

/** `GET /api/v2/users/{id}/sessions`. */
export async function listUserSessions(ctx: Context, userId: string, page: CheckpointPage) {
  await getUserByAdmin(ctx, userId);
  const live = liveSessionBounds(ctx);
  return checkpointAnswer('sessions', page, async (p) =>
    (await ctx.store.listUserSessions(userId, p, live)).map((s) => sessionView(ctx, s)),
  );
}

/** `DELETE /api/v2/users/{id}/sessions`: every session of the user ends at once. */
export async function deleteUserSessions(ctx: Context, userId: string): Promise<void> {
  await getUserByAdmin(ctx, userId);
  await ctx.store.deleteUserSessions(userId);
}

/** `GET /api/v2/sessions/{id}`: a live session, else 404. */
export async function getSessionByAdmin(ctx: Context, id: string) {
  const session = await ctx.store.getSession(id);
  const { now, idleSince } = liveSessionBounds(ctx);
  if (!session || session.expires_at <= now || session.last_used_at <= idleSince)
    throw new AuthError(404, 'inexistent_session', 'The session does not exist.');
  return sessionView(ctx, session);
}

/** `DELETE /api/v2/sessions/{id}`: 204 whether or not it was there, as deleting is idempotent. */
export async function deleteSessionByAdmin(ctx: Context, id: string): Promise<void> {
  await ctx.store.deleteSession(id);
}

/** `GET /api/v2/users/{id}/refresh-tokens`. */
export async function listUserRefreshTokens(ctx: Context, userId: string, page: CheckpointPage) {
  await getUserByAdmin(ctx, userId);
  const now = ctx.clock.now();
  return checkpointAnswer('tokens', page, async (p) =>
    (await ctx.store.listRefreshFamilies(userId, p, now)).map((f) => refreshTokenView(ctx, f)),
  );
}

/** `DELETE /api/v2/users/{id}/refresh-tokens`: none of them refreshes again. */
export async function revokeUserRefreshTokens(ctx: Context, userId: string): Promise<void> {
  await getUserByAdmin(ctx, userId);
  await ctx.store.revokeUserRefreshTokens(userId, ctx.clock.now());
}

/** `GET /api/v2/refresh-tokens/{id}`: a family with a live token, else 404. */
export async function getRefreshTokenByAdmin(ctx: Context, id: string) {
  const family = await ctx.store.findRefreshFamily(id, ctx.clock.now());
  if (!family) throw new AuthError(404, 'inexistent_refresh_token', 'The refresh token does not exist.');
  return refreshTokenView(ctx, family);
}

/** `DELETE /api/v2/refresh-tokens/{id}`: revokes the family, every rotation of it. */
export async function revokeRefreshTokenByAdmin(ctx: Context, id: string): Promise<void> {
  await ctx.store.revokeRefreshFamily(id, ctx.clock.now());
}
