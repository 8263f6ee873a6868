/** The code of StoreUnavailableError. */
const STORE_UNAVAILABLE = 'STORE_UNAVAILABLE';

/** Network errors and PostgreSQL SQLSTATEs that mean "the database cannot answer now", not "the query is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'SQLITE_BUSY',
  'SQLITE_FULL', // the disk (or the filesystem's quota) is full
  'SQLITE_THREAD_EXITED', // the SQLite connection's thread is gone (store/sqlite-thread.ts)
  STORE_UNAVAILABLE,
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '25006', // read_only_sql_transaction: a standby, or a primary demoted by a failover
  '53100', // disk_full
  '53300', // too_many_connections
  '57014', // query_canceled: statement_timeout
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/** Codes of faults that only a successful write proves over (a read still works meanwhile). */
const WRITE_FAULTS = new Set(['SQLITE_FULL', '25006', '53100']);

/**
 * Refused at once, without trying the database: it is known to be down and another statement is
 * already finding out whether it is back (store/health.ts), or too many requests wait for it.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly code = STORE_UNAVAILABLE;
}

/**
 * Whether an error says the database is out of reach for now (down, restarting, pool exhausted,
 * disk full, too slow): the request is answered 503 with Retry-After instead of 500, and may be
 * tried again.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  // better-sqlite3 gives extended codes too: SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE...
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_IOERR'))
  )
    return true;
  // pg's pool and client say these in words, without a code.
  return (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated|connection timeout|Query read timeout|not queryable|timeout expired/i.test(
      message,
    )
  );
}

/** Whether a fault is one that reads do not show (a full disk, a read-only database). */
export function isWriteFault(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (WRITE_FAULTS.has(code) || code.startsWith('SQLITE_IOERR'));
}

/** What an operator reads in the log about a fault: its code and message, never a URL's password. */
export function describeFault(error: unknown): { code: string | undefined; reason: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return {
    code: typeof code === 'string' ? code : undefined,
    reason: text.replace(/\/\/[^/\s@]*@/g, '//[redacted]@').slice(0, 300),
  };
}
