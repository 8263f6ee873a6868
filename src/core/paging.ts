import { AuthError } from './errors.ts';

/** Auth0's code for a query string it refuses. */
const invalidQuery = (message: string) => new AuthError(400, 'invalid_query_string', message);

/** Auth0's offset paging: page `page` (from 0) of `per_page` items. */
export interface Page {
  page: number;
  perPage: number;
  includeTotals: boolean;
}

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 100;
/** Auth0 lets offset paging reach the first 1000 items; past them, checkpoint paging (`from`/`take`). */
export const MAX_OFFSET_ITEMS = 1000;

/** Reads `page`, `per_page` and `include_totals` as a query string carries them. */
export function readPage(query: { page?: string; per_page?: string; include_totals?: string }): Page {
  const page = query.page === undefined ? 0 : Number(query.page);
  const perPage = query.per_page === undefined ? DEFAULT_PER_PAGE : Number(query.per_page);
  if (!Number.isSafeInteger(page) || page < 0) throw invalidQuery('page must be a whole number from 0');
  if (!Number.isSafeInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE)
    throw invalidQuery(`per_page must be a whole number from 1 to ${MAX_PER_PAGE}`);
  if ((page + 1) * perPage > MAX_OFFSET_ITEMS)
    throw invalidQuery(`Only the first ${MAX_OFFSET_ITEMS} items can be paged to; narrow the query`);
  return { page, perPage, includeTotals: query.include_totals === 'true' };
}

/**
 * The answer Auth0 gives for a page: the items alone, or with `include_totals` an object with the
 * items under `key` and where they stand (`start`, `limit`, `length`, `total`).
 */
export function pageAnswer<T>(
  key: string,
  items: T[],
  page: Page,
  total: number,
): T[] | Record<string, unknown> {
  if (!page.includeTotals) return items;
  return { start: page.page * page.perPage, limit: page.perPage, length: items.length, total, [key]: items };
}

/**
 * Auth0's checkpoint paging (`from`, `take`), which its SDKs use for connections: `take` items from
 * the opaque position `from` (here the offset, as text). Null when the query asks for none.
 */
export interface Checkpoint {
  from: number;
  take: number;
}

export function readCheckpoint(query: { from?: string; take?: string }): Checkpoint | null {
  if (query.from === undefined && query.take === undefined) return null;
  const from = query.from === undefined || query.from === '' ? 0 : Number(query.from);
  const take = query.take === undefined ? DEFAULT_PER_PAGE : Number(query.take);
  if (!Number.isSafeInteger(from) || from < 0)
    throw invalidQuery('from must be a value a previous page gave as next');
  if (!Number.isSafeInteger(take) || take < 1 || take > MAX_PER_PAGE)
    throw invalidQuery(`take must be a whole number from 1 to ${MAX_PER_PAGE}`);
  return { from, take };
}

/** `{ <key>: items, next }`, `next` only while items remain after this page. */
export function checkpointAnswer<T>(key: string, all: T[], checkpoint: Checkpoint): Record<string, unknown> {
  const end = checkpoint.from + checkpoint.take;
  return { [key]: all.slice(checkpoint.from, end), ...(end < all.length && { next: String(end) }) };
}

/** One offset page of a list held whole (applications, connections), as Auth0 answers it. */
export function pageOf<T>(key: string, all: T[], page: Page): T[] | Record<string, unknown> {
  const start = page.page * page.perPage;
  return pageAnswer(key, all.slice(start, start + page.perPage), page, all.length);
}
