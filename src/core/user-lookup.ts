import type { Context } from './context.ts';
import { AuthError } from './errors.ts';
import { normaliseEmail } from './identifiers.ts';
import type { User } from './model.ts';
import { type Page, pageAnswer } from './paging.ts';
import { SORT_COLUMNS, type SortColumn, type UserSort } from './user-query.ts';
import { parseUserSearch } from './user-search.ts';

/** `GET /api/v2/users/{id}`: the user with this id; 404 `inexistent_user` as Auth0 answers. */
export async function getUserByAdmin(ctx: Context, userId: string): Promise<User> {
  const user = await ctx.store.getUser(userId);
  if (!user) throw new AuthError(404, 'inexistent_user', 'The user does not exist.');
  return user;
}

/** The query of `GET /api/v2/users` once its schema has passed it. */
export interface UserListRequest {
  q?: string;
  sort?: string;
  search_engine?: string;
}

/**
 * `GET /api/v2/users`: the page of users `q` matches (all users without it), sorted by `sort`,
 * answered as Auth0 does: the users alone, or with `include_totals` where they stand.
 */
export async function listUsersByAdmin<T>(
  ctx: Context,
  request: UserListRequest,
  page: Page,
  view: (user: User) => T,
): Promise<T[] | Record<string, unknown>> {
  // v1 and v2 are retired at Auth0: their queries are read as v3's, which is what Tessera speaks.
  const filter = parseUserSearch(request.q ?? '');
  const { users, total } = await ctx.store.listUsers({
    filter,
    sort: readSort(request.sort),
    offset: page.page * page.perPage,
    limit: page.perPage,
    withTotal: page.includeTotals,
  });
  return pageAnswer('users', users.map(view), page, total ?? 0);
}

/** `sort=field:1` (ascending) or `field:-1` (descending). */
export function readSort(sort: string | undefined): UserSort | undefined {
  if (sort === undefined || sort === '') return undefined;
  const match = /^([a-z_]{1,32}):(1|-1)$/.exec(sort);
  if (!match) throw new AuthError(400, 'invalid_query_string', 'sort must be field:1 or field:-1');
  const column = match[1] as SortColumn;
  if (!SORT_COLUMNS.includes(column))
    throw new AuthError(
      400,
      'invalid_query_string',
      `sort cannot use ${column}: use one of ${SORT_COLUMNS.join(', ')}`,
    );
  return { column, descending: match[2] === '-1' };
}

/**
 * `GET /api/v2/users-by-email`: every user with the address, on any connection. Addresses are
 * kept lower-cased, so any case of it finds them.
 */
export async function usersByEmail(ctx: Context, email: string): Promise<User[]> {
  let normalised: string;
  try {
    normalised = normaliseEmail(email);
  } catch {
    throw new AuthError(400, 'invalid_query_string', 'email is not a valid address');
  }
  return ctx.store.findUsersByEmail(normalised);
}
