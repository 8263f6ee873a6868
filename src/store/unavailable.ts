/** Network errors and PostgreSQL SQLSTATEs that mean "the database cannot answer now", not "the query is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'SQLITE_BUSY',
  'SQLITE_THREAD_EXITED', // the SQLite connection's thread is gone (store/sqlite-thread.ts)
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/**
 * Whether an error says the database is out of reach for now (down, restarting, pool exhausted):
 * the request is answered 503 with Retry-After instead of 500, and may be tried again.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  // better-sqlite3 gives extended codes too: SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY...
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_BUSY')))
    return true;
  // pg's pool and client say these in words, without a code.
  return (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated|connection timeout/i.test(message)
  );
}
