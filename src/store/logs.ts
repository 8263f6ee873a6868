import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool } from 'kysely';
import type { LogEvent } from '../core/model.ts';
import type { LogFilter, LogStore } from '../core/ports/store.ts';
import type { Database, LogEventRow } from './tables.ts';

/** Rows one insert carries at most: well under SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_CHUNK = 200;

export function logStore(db: Kysely<Database>): LogStore {
  return {
    async appendLogEvents(events) {
      for (let i = 0; i < events.length; i += INSERT_CHUNK) {
        const rows = events
          .slice(i, i + INSERT_CHUNK)
          .map((event) => ({ ...event, details: JSON.stringify(event.details) }));
        // One batch may be written twice (a flush retried after a lost answer): the second is a no-op.
        await db
          .insertInto('log_events')
          .values(rows)
          .onConflict((oc) => oc.column('log_id').doNothing())
          .execute();
      }
    },
    async getLogEvent(logId) {
      const row = await db
        .selectFrom('log_events')
        .selectAll()
        .where('log_id', '=', logId)
        .executeTakeFirst();
      return row ? toLogEvent(row) : undefined;
    },
    async searchLogEvents({ filter, order, offset, limit }) {
      let query = db.selectFrom('log_events').selectAll();
      if (filter) query = query.where((eb) => condition(eb, filter));
      const rows = await query
        .orderBy('date', order)
        .orderBy('log_id', order)
        .limit(limit)
        .offset(offset)
        .execute();
      return rows.map(toLogEvent);
    },
    async countLogEvents(filter) {
      let query = db.selectFrom('log_events').select((eb) => eb.fn.countAll().as('n'));
      if (filter) query = query.where((eb) => condition(eb, filter));
      const row = await query.executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async logEventsAfter(logId, limit) {
      const rows = await db
        .selectFrom('log_events')
        .selectAll()
        .where('log_id', '>', logId)
        .orderBy('log_id')
        .limit(limit)
        .execute();
      return rows.map(toLogEvent);
    },
    async deleteLogEventsBefore(before, limit) {
      // DELETE ... LIMIT is not portable SQL: the rows are named by a subquery.
      const old = db.selectFrom('log_events').select('log_id').where('date', '<', before).limit(limit);
      const result = await db.deleteFrom('log_events').where('log_id', 'in', old).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

/** A search filter as a WHERE condition: every value is bound, none is written into the SQL. */
function condition(eb: ExpressionBuilder<Database, 'log_events'>, filter: LogFilter): Expression<SqlBool> {
  if ('and' in filter) return eb.and(filter.and.map((f) => condition(eb, f)));
  if ('or' in filter) return eb.or(filter.or.map((f) => condition(eb, f)));
  if ('not' in filter) return eb.not(condition(eb, filter.not));
  if (filter.field === 'date') {
    const bounds: Expression<SqlBool>[] = [];
    if (filter.from !== undefined) bounds.push(eb('date', '>=', filter.from));
    if (filter.before !== undefined) bounds.push(eb('date', '<', filter.before));
    return eb.and(bounds);
  }
  return eb(filter.field, '=', filter.equals);
}

function toLogEvent(row: Selectable<LogEventRow>): LogEvent {
  return { ...row, date: Number(row.date), details: JSON.parse(row.details) as Record<string, unknown> };
}
