import type { Context } from './context.ts';
import { accessDenied, badRequest } from './errors.ts';
import { identifierField } from './identifiers.ts';
import type { Application, Connection, User } from './model.ts';
import { appFields } from './tenant-log.ts';

/** The OIDC claims of a user that the granted scopes allow. */
export function profileClaims(user: User, scopes: string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile')) {
    if (user.name !== null) claims.name = user.name;
    if (user.nickname !== null) claims.nickname = user.nickname;
    if (user.picture !== null) claims.picture = user.picture;
    claims.updated_at = new Date(user.updated_at).toISOString();
  }
  if (scopes.includes('email') && user.email !== null) {
    claims.email = user.email;
    claims.email_verified = user.email_verified;
  }
  if (scopes.includes('phone') && user.phone_number !== null) {
    claims.phone_number = user.phone_number;
    claims.phone_number_verified = user.phone_verified;
  }
  return claims;
}

/** The user as Auth0's APIs show it (ISO dates, `identities`). */
export function userView(user: User): Record<string, unknown> {
  const [provider, id] = splitUserId(user.user_id);
  return {
    user_id: user.user_id,
    ...(user.email !== null && { email: user.email, email_verified: user.email_verified }),
    ...(user.phone_number !== null && {
      phone_number: user.phone_number,
      phone_verified: user.phone_verified,
    }),
    ...(user.name !== null && { name: user.name }),
    ...(user.nickname !== null && { nickname: user.nickname }),
    ...(user.picture !== null && { picture: user.picture }),
    identities: [{ provider, connection: user.connection, user_id: id, isSocial: false }],
    created_at: new Date(user.created_at).toISOString(),
    updated_at: new Date(user.updated_at).toISOString(),
    ...(user.last_login !== null && { last_login: new Date(user.last_login).toISOString() }),
    ...(user.last_ip !== null && { last_ip: user.last_ip }),
    logins_count: user.logins_count,
    app_metadata: user.app_metadata,
    user_metadata: user.user_metadata,
    blocked: user.blocked,
  };
}

function splitUserId(userId: string): [string, string] {
  const bar = userId.indexOf('|');
  return [userId.slice(0, bar), userId.slice(bar + 1)];
}

export interface NewUserInput {
  connection: Connection;
  identifier: string;
  verified?: boolean;
  name?: string;
  nickname?: string;
  picture?: string;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  blocked?: boolean;
  /** Creating the user as the first login completes: recorded in the same write. */
  firstLogin?: { ip: string };
}

/**
 * Creates a user, or finds the one that already has this identifier on this connection
 * (`created` says which).
 */
export function createUser(ctx: Context, input: NewUserInput): Promise<{ user: User; created: boolean }> {
  const { connection, identifier } = input;
  const isEmail = identifierField(connection.strategy) === 'email';
  const now = ctx.clock.now();
  return ctx.store.createUser({
    user_id: `${connection.strategy}|${ctx.random.hex(12)}`,
    connection: connection.name,
    email: isEmail ? identifier : null,
    phone_number: isEmail ? null : identifier,
    email_verified: isEmail && input.verified === true,
    phone_verified: !isEmail && input.verified === true,
    name: input.name ?? identifier,
    nickname: input.nickname ?? (isEmail ? identifier.split('@')[0] : identifier),
    picture: input.picture ?? null,
    app_metadata: input.app_metadata ?? {},
    user_metadata: input.user_metadata ?? {},
    blocked: input.blocked ?? false,
    created_at: now,
    ...(input.firstLogin && { last_login: now, last_ip: input.firstLogin.ip, logins_count: 1 }),
  });
}

/**
 * Completes a login for the owner of a verified identifier: creates the user on first login
 * (unless sign-up is disabled), refuses blocked users, and records the login. The tenant log gets
 * `s` (and `ss` for a first login), or `fs` / `f` with why.
 */
export async function completeLogin(
  ctx: Context,
  app: Application,
  connection: Connection,
  identifier: string,
  ip: string,
): Promise<User> {
  const about = { ...appFields(app), connection: connection.name, user_name: identifier, ip };
  const field = identifierField(connection.strategy);
  let user = await ctx.store.findUser(connection.name, field, identifier);
  if (!user) {
    if (connection.options.disable_signup) {
      ctx.tenantLog.emit({ ...about, type: 'fs', description: 'Signups are not allowed.' });
      throw accessDenied('Signups are not allowed.');
    }
    const { user: made, created } = await createUser(ctx, {
      connection,
      identifier,
      verified: true,
      firstLogin: { ip },
    });
    // One write made the user and recorded this login, unless a concurrent login made them first.
    if (created) {
      ctx.tenantLog.emit({ ...about, type: 'ss', user_id: made.user_id });
      ctx.tenantLog.emit({ ...about, type: 's', user_id: made.user_id });
      return made;
    }
    user = made;
  }
  const refuse = (description: string) => {
    ctx.tenantLog.emit({ ...about, type: 'f', description, user_id: user.user_id });
    return accessDenied(description);
  };
  if (user.blocked) throw refuse('user is blocked');
  const updated = await ctx.store.recordLogin(user.user_id, field, ip, ctx.clock.now());
  if (!updated) throw refuse('The user no longer exists.');
  ctx.tenantLog.emit({ ...about, type: 's', user_id: updated.user_id });
  return updated;
}

/**
 * With `disable_signup`, only an existing user may be sent a code or link. The answer (`bad.user`)
 * tells whoever asks that the address has no account: the documented trade-off of that setting.
 */
export async function refuseSignupAtStart(
  ctx: Context,
  connection: Connection,
  identifier: string,
): Promise<void> {
  if (!connection.options.disable_signup) return;
  if (await ctx.store.findUser(connection.name, identifierField(connection.strategy), identifier)) return;
  throw badRequest('bad.user', 'Signups are disabled for this connection and the user does not exist');
}
