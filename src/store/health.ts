import { describeFault, isWriteFault } from './unavailable.ts';

export interface StoreHealthLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

interface Outage {
  since: number;
  code: string | undefined;
  reason: string;
  /** A full disk or a read-only database: reads still work, so only a write proves it over. */
  writes: boolean;
}

/**
 * Whether the database answers, as the store's own statements find out: every statement the
 * drivers run reports here. The first one that fails because the database cannot answer starts an
 * outage (logged once, with its reason); the first that succeeds after ends it (logged once, with
 * how long it lasted). Meanwhile PostgreSQL lets one statement at a time try (postgres-pool.ts)
 * and refuses the others at once, so requests answer 503 quickly instead of each waiting out a
 * timeout.
 */
export class StoreHealth {
  private outage: Outage | undefined;

  constructor(
    private readonly log?: StoreHealthLogger,
    /** Told true when the database answers again, false when an outage begins. */
    private readonly onChange?: (up: boolean) => void,
  ) {}

  get up(): boolean {
    return this.outage === undefined;
  }

  /** True while only writes fail (a full disk): readiness then proves recovery with a write. */
  get writesFailing(): boolean {
    return this.outage?.writes === true;
  }

  /** What the outage under way is, for an error refused without trying. */
  get reason(): string {
    return this.outage?.reason ?? '';
  }

  /** A statement failed because the database cannot answer now. */
  fault(error: unknown): void {
    if (this.outage) return;
    const { code, reason } = describeFault(error);
    this.outage = { since: Date.now(), code, reason, writes: isWriteFault(error) };
    this.log?.warn(
      { code, reason },
      this.outage.writes
        ? 'the database cannot write (disk full or read-only): requests that write answer 503 until it can'
        : 'the database is unavailable: requests that need it answer 503 until it answers again',
    );
    this.onChange?.(false);
  }

  /** A statement was answered (an error of its own, such as a duplicate key, counts too). */
  answered(wrote: boolean): void {
    const outage = this.outage;
    if (!outage || (outage.writes && !wrote)) return;
    this.outage = undefined;
    this.log?.info({ down_ms: Date.now() - outage.since, code: outage.code }, 'the database answers again');
    this.onChange?.(true);
  }
}
