import type { Context } from './context.ts';
import { AuthError } from './errors.ts';
import { readAccessToken } from './tokens.ts';
import { profileClaims } from './users.ts';

/** What `/userinfo` answers: the subject and the profile claims its token's scopes allow. */
export interface UserinfoClaims {
  sub: string;
  name?: string;
  nickname?: string;
  picture?: string;
  updated_at?: string;
  email?: string;
  email_verified?: boolean;
  phone_number?: string;
  phone_number_verified?: boolean;
}

/**
 * The claims of the user a bearer access token speaks for. The token must be one for this
 * server's userinfo endpoint, and its user must still exist and not be blocked: a blocked user's
 * tokens are worth nothing, though they have not expired yet.
 */
export async function userinfo(ctx: Context, accessToken: string): Promise<UserinfoClaims> {
  const token = await readAccessToken(ctx, accessToken);
  if (!token.aud.includes(`${ctx.config.issuer}userinfo`)) {
    throw invalidToken('The access token is not valid for userinfo');
  }
  const user = await ctx.store.getUser(token.sub);
  if (!user) throw invalidToken('The user no longer exists');
  if (user.blocked) throw invalidToken('The user is blocked');
  // profileClaims writes only the members above, each of its type.
  return { sub: user.user_id, ...profileClaims(user, token.scope.split(' ')) } as UserinfoClaims;
}

const invalidToken = (description: string) =>
  new AuthError(401, 'invalid_token', description, { 'www-authenticate': 'Bearer error="invalid_token"' });
