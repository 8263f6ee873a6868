import type { Config } from '../../config/schema.ts';
import type { ConnectionStore, OutboxStore } from '../../core/ports/store.ts';
import type { Clock } from '../../core/sources.ts';
import { FailureStreak, type StreakLogger } from '../../store/failure-streak.ts';
import type { Courier, Outcome } from './courier.ts';
import type { OutboxRecords } from './records.ts';

/** The longest wait between two polls while the database is failing. */
const MAX_POLL_BACKOFF_MS = 5000;

/** Due messages taken per poll. */
const BATCH = 50;

export interface DispatcherOptions {
  store: OutboxStore & ConnectionStore;
  courier: Courier;
  records: OutboxRecords;
  clock: Clock;
  logger: StreakLogger;
  settings: Config['delivery'];
}

/**
 * Long enough for one send to finish; after it, a crashed sender's message is taken up again, by
 * any instance.
 */
export function claimMs(settings: Pick<Config['delivery'], 'send_timeout_ms'>): number {
  return settings.send_timeout_ms + 5000;
}

/**
 * Sends the outbox's due messages (retries, and sends a crash interrupted): looks for them every
 * `poll_ms`, and sooner when a retry planned here falls due; claims each before its try, so that
 * one instance takes it. While the database fails, it looks less and less often (up to every 5 s),
 * logging once when that begins and once when it ends.
 */
export class Dispatcher {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private poller: NodeJS.Timeout | undefined;
  /** The poll under way, if one is: stop() waits for it before the store closes. */
  private polling: Promise<void> | undefined;
  private stopped = false;
  private readonly polls: FailureStreak;

  constructor(private readonly options: DispatcherOptions) {
    const { poll_ms } = options.settings;
    this.polls = new FailureStreak(
      'outbox: looking for due messages',
      options.logger,
      poll_ms,
      Math.max(poll_ms, MAX_POLL_BACKOFF_MS),
    );
  }

  start(): void {
    this.poll(0);
  }

  /** Stops taking new work and waits for the tries under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.poller);
    for (const timer of this.timers) clearTimeout(timer);
    await this.polling;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Waits for a try made elsewhere (a message's first), as for its own: stop() waits for it, and a retry it plans wakes the dispatcher. */
  async run(attempt: Promise<Outcome>): Promise<Outcome> {
    const outcome = await this.track(attempt);
    if (outcome.status === 'retry') this.wake(outcome.delay);
    return outcome;
  }

  /** Sends every message that is due now; returns how many it took. */
  async dispatchDue(): Promise<number> {
    if (this.stopped) return 0;
    const { store, records, clock, courier } = this.options;
    // What the database missed first: a message it does not know was sent must not go again.
    await records.flush();
    const now = clock.now();
    const due = await store.dueOutboxMessages(now, BATCH);
    let taken = 0;
    for (const id of due) {
      if (this.stopped || records.pending(id)) continue;
      if (!(await store.claimOutboxMessage(id, now, now + claimMs(this.options.settings)))) continue;
      const row = await store.getOutboxMessage(id);
      if (!row) continue;
      taken++;
      void this.run(courier.resume(row)).catch(() => undefined);
    }
    return taken;
  }

  /** Looks for due messages after `delay`, then again after poll_ms, or after a growing wait while that fails. */
  private poll(delay: number): void {
    if (this.stopped) return;
    this.poller = setTimeout(() => {
      this.polling = this.dispatchDue().then(
        () => {
          this.polls.succeeded();
          this.poll(this.options.settings.poll_ms);
        },
        (error: unknown) => this.poll(this.polls.failed(error)),
      );
    }, delay);
    this.poller.unref();
  }

  /** Looks for due messages again after `delay` (sooner than the poll, for a retry made here). */
  private wake(delay: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // A failure here is the poll's to meet and log: it looks again within poll_ms.
      this.dispatchDue().catch(() => undefined);
    }, delay + 5);
    timer.unref();
    this.timers.add(timer);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }
}
