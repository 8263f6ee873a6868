export interface PurgeStore {
  /**
   * Deletes rows no request can use any more, at most `limit` from each table: a backlog is worked
   * off over several runs instead of holding the database in one. Returns the count per table.
   */
  purgeExpired(before: PurgeBefore, limit: number): Promise<Record<string, number>>;
}

/** The cut-off times (ms since the epoch) of a purge: a row older than its cut-off goes. */
export interface PurgeBefore {
  /** Login codes, authorization codes, login transactions and tickets that expired before this. */
  expired: number;
  /** Sessions unused since this (idle too long); those past their lifetime go with `expired`. */
  sessionsUsed: number;
  /** Refresh tokens that expired, or were revoked, before this. */
  refreshTokens: number;
  /** Outbox messages (and their attempts) final since before this, or pending yet expired before it. */
  outbox: number;
  /** Dev inbox messages made before this. */
  inbox: number;
}
