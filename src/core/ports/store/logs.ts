import type { LogEvent } from '../../model.ts';

/** The fields a log search may name with a value (Auth0's searchable fields Tessera fills). */
export const LOG_SEARCH_FIELDS = [
  'type',
  'user_id',
  'user_name',
  'client_id',
  'connection',
  'ip',
  'log_id',
] as const;
export type LogSearchField = (typeof LOG_SEARCH_FIELDS)[number];

/** A search over log events, as core/log-query.ts reads it from Auth0's `q`. */
export type LogFilter =
  | { field: LogSearchField; equals: string }
  /** Events from `from` (inclusive) until `before` (exclusive), ms since the epoch. */
  | { field: 'date'; from?: number; before?: number }
  | { and: readonly LogFilter[] }
  | { or: readonly LogFilter[] }
  | { not: LogFilter };

export interface LogSearch {
  filter?: LogFilter;
  /** By date (and log_id, which sorts as date does). */
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

/** The tenant log: written in batches, read by search or from a checkpoint, trimmed by age. */
export interface LogStore {
  appendLogEvents(events: LogEvent[]): Promise<void>;
  getLogEvent(logId: string): Promise<LogEvent | undefined>;
  searchLogEvents(search: LogSearch): Promise<LogEvent[]>;
  countLogEvents(filter?: LogFilter): Promise<number>;
  /** Events whose log_id sorts after `logId`, oldest first (Auth0's checkpoint paging). */
  logEventsAfter(logId: string, limit: number): Promise<LogEvent[]>;
  /** Deletes at most `limit` events dated before `before`; returns how many went. */
  deleteLogEventsBefore(before: number, limit: number): Promise<number>;
}
