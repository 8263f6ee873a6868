/**
 * What a search of users asks the store for (`GET /api/v2/users`): a filter tree made from the
 * `q` query (core/user-search.ts), a sort and a page. The store turns it into SQL; nothing here
 * knows of SQL or of the query syntax.
 */

/** A user's own columns a filter or a sort can name. */
export type UserColumn =
  | 'user_id'
  | 'connection'
  | 'email'
  | 'phone_number'
  | 'name'
  | 'nickname'
  | 'blocked'
  | 'email_verified'
  | 'phone_verified'
  | 'logins_count'
  | 'created_at'
  | 'updated_at'
  | 'last_login'
  | 'last_ip';

/** Columns compared without regard to case (Auth0's "normalised" fields). */
export const CASELESS_COLUMNS: readonly UserColumn[] = ['email', 'name', 'nickname'];

/** Where a filter looks: one of the user's columns, or a path into a metadata object. */
export type UserField =
  | { column: UserColumn }
  | { metadata: 'app_metadata' | 'user_metadata'; path: readonly string[] };

/** A value as a filter holds it: text, a whole number (counts and times in ms) or a flag. */
export type FilterValue = string | number | boolean;

/** One end of a range: absent for an open end (`*`). */
export interface RangeEnd {
  value: number;
  inclusive: boolean;
}

export type UserFilter =
  | { kind: 'all' | 'any'; filters: UserFilter[] }
  | { kind: 'not'; filter: UserFilter }
  /** Equal (case-insensitively on CASELESS_COLUMNS); a metadata array matches when one element does. */
  | { kind: 'equals'; field: UserField; value: FilterValue }
  /** Text that starts with `prefix` (`jo*`). */
  | { kind: 'prefix'; field: UserField; prefix: string }
  /** The field holds a value (`field:*`). */
  | { kind: 'present'; field: UserField }
  | { kind: 'range'; field: UserField; min?: RangeEnd; max?: RangeEnd };

/** The columns a list can be sorted by (`sort=field:1|-1`). */
export const SORT_COLUMNS = [
  'created_at',
  'updated_at',
  'last_login',
  'logins_count',
  'email',
  'name',
  'nickname',
  'user_id',
] as const satisfies readonly UserColumn[];

export type SortColumn = (typeof SORT_COLUMNS)[number];

export interface UserSort {
  column: SortColumn;
  descending: boolean;
}

export interface UserQuery {
  filter?: UserFilter;
  sort?: UserSort;
  offset: number;
  limit: number;
  /** Count every match too (`include_totals`). */
  withTotal: boolean;
}

export interface UserList<U> {
  users: U[];
  /** Every match, when asked for. */
  total?: number;
}
