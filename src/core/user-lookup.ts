import type { Context } from './context.ts';
import { AuthError } from './errors.ts';
import type { User } from './model.ts';

/** `GET /api/v2/users/{id}`: the user with this id; 404 `inexistent_user` as Auth0 answers. */
export async function getUserByAdmin(ctx: Context, userId: string): Promise<User> {
  const user = await ctx.store.getUser(userId);
  if (!user) throw new AuthError(404, 'inexistent_user', 'The user does not exist.');
  return user;
}
