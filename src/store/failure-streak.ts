import { describeFault, isDatabaseUnavailable } from './unavailable.ts';

export interface StreakLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/**
 * A background task's failures in a row (the outbox's poll, the housekeeping, the start): the
 * first is logged, the next ones are not, and the first success after them is, so an outage of
 * minutes writes two lines, not one per tick. Each failure also says how long to wait before the
 * next try: `baseMs`, doubled after each failure, at most `maxMs`.
 */
export class FailureStreak {
  private failures = 0;
  private since = 0;

  constructor(
    /** What fails, as the log says it: `outbox: looking for due messages`. */
    private readonly task: string,
    private readonly log: StreakLogger,
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  get failing(): boolean {
    return this.failures > 0;
  }

  /** Counts a failure; returns how long to wait before trying again. */
  failed(error: unknown): number {
    if (this.failures === 0) {
      this.since = Date.now();
      this.log.warn(
        {
          ...describeFault(error),
          // A database outage is logged by the store too; anything else may be a bug: its stack.
          ...(!isDatabaseUnavailable(error) && { err: error }),
        },
        `${this.task} failed; retrying with backoff (logged again once it works)`,
      );
    }
    this.failures++;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures - 1, 20));
  }

  /** Ends the streak, if there was one. */
  succeeded(): void {
    if (this.failures === 0) return;
    this.log.info(
      { failures: this.failures, failing_ms: Date.now() - this.since },
      `${this.task} works again`,
    );
    this.failures = 0;
  }
}
