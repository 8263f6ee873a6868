import { isEnabledFor } from './applications.ts';
import { hashSecret } from './codes.ts';
import type { Context } from './context.ts';
import type { Application, Session, User } from './model.ts';

/** A live session and its user. */
export interface ActiveSession {
  session: Session;
  user: User;
}

/** What the browser keeps: a random token (only its hash is stored) and how long the cookie lives. */
export interface SessionCookie {
  token: string;
  maxAge: number;
}

// A session used again within this long is not written back: a page load should not always be a write.
const TOUCH_EVERY_MS = 60_000;

/**
 * Starts a session for a user who has just proved who they are, replacing the browser's previous
 * one. Returns the session (its id is the tokens' `sid`) and the cookie to set.
 */
export async function startSession(
  ctx: Context,
  user: User,
  previousToken: string | undefined,
): Promise<{ session: Session; cookie: SessionCookie }> {
  if (previousToken) await endSession(ctx, previousToken);
  const now = ctx.clock.now();
  const token = ctx.random.token(32);
  const lifetime = ctx.config.session.lifetime;
  const session: Session = {
    id: ctx.random.hex(16),
    token_hash: hashSecret(token),
    user_id: user.user_id,
    auth_time: now,
    created_at: now,
    last_used_at: now,
    expires_at: now + lifetime * 1000,
  };
  await ctx.store.putSession(session);
  return { session, cookie: { token, maxAge: lifetime } };
}

/**
 * The browser's session if it is still live (neither past its lifetime nor idle too long) and
 * its user may still log in; records the use.
 */
export async function currentSession(
  ctx: Context,
  token: string | undefined,
): Promise<ActiveSession | undefined> {
  if (!token) return undefined;
  const session = await ctx.store.findSession(hashSecret(token));
  if (!session) return undefined;
  const now = ctx.clock.now();
  if (session.expires_at <= now || session.last_used_at + ctx.config.session.idle * 1000 <= now) {
    await ctx.store.deleteSession(session.id);
    return undefined;
  }
  const user = await ctx.store.getUser(session.user_id);
  if (!user || user.blocked) return undefined;
  if (now - session.last_used_at >= TOUCH_EVERY_MS) await ctx.store.touchSession(session.id, now);
  return { session, user };
}

/** Ends the session the cookie names, if any. */
export async function endSession(ctx: Context, token: string | undefined): Promise<Session | undefined> {
  if (!token) return undefined;
  const session = await ctx.store.findSession(hashSecret(token));
  if (session) await ctx.store.deleteSession(session.id);
  return session;
}

/** A session is reused for an application only when the user's connection is enabled for it. */
export async function sessionServes(ctx: Context, active: ActiveSession, app: Application): Promise<boolean> {
  const connection = await ctx.store.getConnection(active.user.connection);
  if (!connection) return false;
  return isEnabledFor(connection, app);
}
