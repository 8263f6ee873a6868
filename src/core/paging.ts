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
