import type { Context } from './context.ts';
import { AuthError, invalidRequest } from './errors.ts';
import { readLogQuery } from './log-query.ts';
import type { LogEvent } from './model.ts';
import { pageAnswer, readPage } from './paging.ts';
import type { LogFilter } from './ports/store.ts';
import { LOG_ID_PATTERN } from './tenant-log.ts';

/** The query of `GET /api/v2/logs`, as strings (Auth0's names). */
export interface LogListQuery {
  q?: string;
  from?: string;
  take?: string;
  page?: string;
  per_page?: string;
  include_totals?: string;
  sort?: string;
  fields?: string;
  include_fields?: string;
}

/** Auth0's most per request, by checkpoint (`take`) as by page (`per_page`). */
const MAX_TAKE = 100;
const DEFAULT_TAKE = 50;

/** An event's members, as `fields` may name them. */
export const LOG_FIELDS = [
  'log_id',
  'date',
  'type',
  'description',
  'client_id',
  'client_name',
  'connection',
  'connection_id',
  'user_id',
  'user_name',
  'ip',
  'user_agent',
  'details',
] as const;

/** A log event as Auth0 shows it: the date as ISO 8601, members without a value left out. */
export type LogView = Partial<Record<(typeof LOG_FIELDS)[number], unknown>>;

/**
 * `GET /api/v2/logs`: from a checkpoint (`from`, `take`: the events after a log_id, oldest first,
 * every other parameter ignored, as Auth0 does), or a search (`q`, `sort`, offset paging).
 */
export async function listLogs(ctx: Context, query: LogListQuery) {
  const pick = readFields(query.fields, query.include_fields);
  if (query.from !== undefined) {
    if (!LOG_ID_PATTERN.test(query.from)) throw invalidRequest('from must be a log_id');
    const events = await ctx.store.logEventsAfter(query.from, readTake(query.take));
    return events.map((e) => pick(logView(e)));
  }
  const filter = query.q === undefined || query.q.trim() === '' ? undefined : readLogQuery(query.q);
  if (query.take !== undefined && query.page === undefined && query.per_page === undefined)
    return searchPage(ctx, filter, query.sort, { page: '0', per_page: String(readTake(query.take)) }, pick);
  return searchPage(ctx, filter, query.sort, query, pick);
}

/** `GET /api/v2/users/{id}/logs`: that user's events, newest first unless `sort` says otherwise. */
export function listUserLogs(
  ctx: Context,
  userId: string,
  query: Pick<LogListQuery, 'page' | 'per_page' | 'include_totals' | 'sort'>,
) {
  return searchPage(ctx, { field: 'user_id', equals: userId }, query.sort, query, (view) => view);
}

/** `GET /api/v2/logs/{id}`. */
export async function getLog(ctx: Context, logId: string): Promise<LogView> {
  const event = LOG_ID_PATTERN.test(logId) ? await ctx.store.getLogEvent(logId) : undefined;
  if (!event) throw new AuthError(404, 'inexistent_log', 'The log does not exist.');
  return logView(event);
}

async function searchPage(
  ctx: Context,
  filter: LogFilter | undefined,
  sort: string | undefined,
  paging: Pick<LogListQuery, 'page' | 'per_page' | 'include_totals'>,
  pick: (view: LogView) => LogView,
) {
  const order = readSort(sort);
  const page = readPage(paging);
  const offset = page.page * page.perPage;
  const [events, total] = await Promise.all([
    ctx.store.searchLogEvents({ filter, order, offset, limit: page.perPage }),
    page.includeTotals ? ctx.store.countLogEvents(filter) : Promise.resolve(0),
  ]);
  return pageAnswer(
    'logs',
    events.map((e) => pick(logView(e))),
    page,
    total,
  );
}

function readTake(take: string | undefined): number {
  if (take === undefined) return DEFAULT_TAKE;
  const n = Number(take);
  if (!/^[0-9]{1,6}$/.test(take) || n < 1 || n > MAX_TAKE)
    throw invalidRequest(`take must be a whole number from 1 to ${MAX_TAKE}`);
  return n;
}

function readSort(sort: string | undefined): 'asc' | 'desc' {
  if (sort === undefined || sort === 'date:-1') return 'desc';
  if (sort === 'date:1') return 'asc';
  throw invalidRequest('sort must be date:1 or date:-1');
}

/** `fields` and `include_fields`: which members each event keeps. */
function readFields(fields: string | undefined, include: string | undefined): (view: LogView) => LogView {
  if (include !== undefined && include !== 'true' && include !== 'false')
    throw invalidRequest('include_fields must be true or false');
  if (fields === undefined || fields === '') return (view) => view;
  const named = fields.split(',').map((f) => f.trim());
  const unknown = named.find((f) => !(LOG_FIELDS as readonly string[]).includes(f));
  if (unknown !== undefined) throw invalidRequest(`fields: ${unknown.slice(0, 64)} is not a log event field`);
  const keep = include !== 'false';
  return (view) => Object.fromEntries(Object.entries(view).filter(([key]) => named.includes(key) === keep));
}

export function logView(event: LogEvent): LogView {
  const view: LogView = { date: new Date(event.date).toISOString() };
  for (const field of LOG_FIELDS) {
    if (field === 'date') continue;
    const value = event[field];
    if (value !== null) view[field] = value;
  }
  return view;
}
