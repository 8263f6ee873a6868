import { performance } from 'node:perf_hooks';
import type { Config } from '../config/schema.ts';
import type { OutboxMessage } from '../core/model.ts';
import type { Delivery, DeliveryFailure, LoginMessage } from '../core/ports/delivery.ts';
import type { ConnectionStore, OutboxStore } from '../core/ports/store.ts';
import type { SecretBox } from '../core/secret-box.ts';
import type { Clock, Random } from '../core/sources.ts';
import type { Metrics } from '../metrics.ts';
import { FailureStreak } from '../store/failure-streak.ts';
import { type OutboundMessage, renderMessage } from './message.ts';
import { OutboxRecords } from './outbox-records.ts';
import { ProviderError, type SendContext } from './provider.ts';
import { type ConnectionProviders, ProviderConfigError, type ProviderRegistry } from './providers.ts';

export interface OutboxLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

type Settings = Config['delivery'];

/** What the outbox keeps of a message until it is final. */
interface StoredBody {
  message: OutboundMessage;
  preview: SendContext['preview'];
  request: SendContext['request'];
}

/** The signal of a send that is never cut short. */
const NEVER_ABORTED = new AbortController().signal;

type Outcome = { status: 'sent' } | { status: 'failed'; error: ProviderError } | { status: 'retry' };

/** The longest wait between two polls while the database is failing. */
const MAX_POLL_BACKOFF_MS = 5000;

/**
 * Every login message is written here before it is sent, then handed to the connection's provider.
 * Transient failures are retried with backoff until the code would expire, moving to the failover
 * provider after `primary_attempts`; permanent ones are not retried. A message a crash interrupted
 * is taken up again, by any instance, once its claim runs out.
 */
export class Outbox implements Delivery {
  private readonly waiting = new Map<string, (outcome: Outcome) => void>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private poller: NodeJS.Timeout | undefined;
  /** The poll under way, if one is: stop() waits for it before the store closes. */
  private polling: Promise<void> | undefined;
  private stopped = false;
  private readonly records: OutboxRecords;
  private readonly polls: FailureStreak;

  constructor(
    private readonly store: OutboxStore & ConnectionStore,
    private readonly registry: ProviderRegistry,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly logger: OutboxLogger,
    private readonly settings: Settings,
    /** Seals message bodies at rest: they contain the code until the message is final. */
    private readonly box: SecretBox,
    private readonly metrics: Metrics,
  ) {
    this.records = new OutboxRecords(store);
    this.polls = new FailureStreak(
      'outbox: looking for due messages',
      logger,
      settings.poll_ms,
      Math.max(settings.poll_ms, MAX_POLL_BACKOFF_MS),
    );
  }

  /**
   * Stores the message and sends it. Answers once the first try succeeded or failed for good; after
   * a transient failure, waits up to `max_wait_ms` for a retry to settle it, then leaves it queued.
   */
  async deliver(login: LoginMessage): Promise<DeliveryFailure | undefined> {
    let providers: ConnectionProviders;
    try {
      providers = this.registry.forConnection(login.connection);
    } catch (error) {
      if (!(error instanceof ProviderConfigError)) throw error;
      return { kind: 'unusable', description: error.problems.join('; ') };
    }
    if (providers.primary.name === 'dev_inbox' && providers.secondary === null) {
      // The dev inbox is a write to this same store: it cannot be down, so queueing it first
      // would only double the writes of every development (and benchmark) login.
      try {
        await providers.primary.send(renderMessage(login), {
          // A write to the store has nothing to time out; a timer per message would only hold
          // memory for send_timeout_ms after each one.
          signal: NEVER_ABORTED,
          preview: { code: login.code, link: login.link },
        });
      } catch (error) {
        this.metrics.deliveryFailure(login.channel, providers.primary.name, asProviderError(error).kind);
        throw error;
      }
      this.metrics.codeSent(login.channel, providers.primary.name);
      return undefined;
    }
    const now = this.clock.now();
    const body: StoredBody = {
      message: renderMessage(login),
      // Only the dev inbox shows the code apart from the message; real providers never see it.
      preview: isDevInbox(providers) ? { code: login.code, link: login.link } : undefined,
      request: login.request && { ...login.request, language: login.language },
    };
    const row: OutboxMessage = {
      id: this.random.hex(12),
      connection: login.connection.name,
      channel: login.channel,
      recipient: login.to,
      body: await this.box.seal(JSON.stringify(body)),
      status: 'pending',
      attempts: 0,
      use_secondary: false,
      next_attempt_at: now,
      claimed_until: now + this.claimMs(),
      expires_at: now + login.ttl_seconds * 1000,
      provider: null,
      provider_message_id: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    };
    await this.store.putOutboxMessage(row);
    const first = await this.track(this.attempt(row, providers));
    if (first.status === 'sent') return undefined;
    if (first.status === 'failed') return failureOf(first.error);
    const later = await this.settled(row.id);
    return later?.status === 'failed' ? failureOf(later.error) : undefined;
  }

  /**
   * Starts looking for due messages (retries, and sends a crash interrupted) every `poll_ms`; while
   * the database fails, less and less often (up to every 5 s), logging once when that begins and
   * once when it ends.
   */
  start(): void {
    this.poll(0);
  }

  /** Stops taking new work and waits for the sends under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.poller);
    for (const timer of this.timers) clearTimeout(timer);
    await this.polling;
    await Promise.allSettled([...this.inFlight]);
    // Starts still waiting on a retry answer now: their message stays queued for the next start.
    for (const done of this.waiting.values()) done({ status: 'retry' });
    // A last try at what the database missed; what it still cannot take is sent again later.
    await this.records.flush().catch(() => undefined);
  }

  /** Sends every message that is due now; returns how many it took. */
  async dispatchDue(): Promise<number> {
    if (this.stopped) return 0;
    // What the database missed first: a message it does not know was sent must not go again.
    await this.records.flush();
    const now = this.clock.now();
    const due = await this.store.dueOutboxMessages(now, 50);
    let taken = 0;
    for (const id of due) {
      if (this.stopped || this.records.pending(id)) continue;
      if (!(await this.store.claimOutboxMessage(id, now, now + this.claimMs()))) continue;
      const row = await this.store.getOutboxMessage(id);
      if (!row) continue;
      taken++;
      void this.track(this.resume(row));
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
          this.poll(this.settings.poll_ms);
        },
        (error: unknown) => this.poll(this.polls.failed(error)),
      );
    }, delay);
    this.poller.unref();
  }

  private async resume(row: OutboxMessage): Promise<Outcome> {
    const connection = await this.store.getConnection(row.connection);
    try {
      if (!connection) throw new ProviderConfigError([`connection "${row.connection}" no longer exists`]);
      return await this.attempt(row, this.registry.forConnection(connection));
    } catch (error) {
      if (!(error instanceof ProviderConfigError)) throw error;
      return this.finish(row, { status: 'failed', error: new ProviderError('permanent', error.message) });
    }
  }

  /** One try with the provider the message is on; records it and decides what comes next. */
  private async attempt(row: OutboxMessage, providers: ConnectionProviders): Promise<Outcome> {
    const provider = row.use_secondary && providers.secondary ? providers.secondary : providers.primary;
    const body = row.body === null ? null : (JSON.parse(await this.box.open(row.body)) as StoredBody);
    if (!body)
      return this.finish(row, {
        status: 'failed',
        error: new ProviderError('permanent', 'message body lost'),
      });
    const started = performance.now();
    let outcome: Outcome;
    let providerMessageId: string | null = null;
    let error: ProviderError | null = null;
    try {
      const result = await provider.send(body.message, {
        signal: AbortSignal.timeout(this.settings.send_timeout_ms),
        request: body.request,
        preview: body.preview,
      });
      providerMessageId = result.providerMessageId;
      outcome = { status: 'sent' };
    } catch (thrown) {
      error = asProviderError(thrown);
      outcome = error.kind === 'permanent' ? { status: 'failed', error } : { status: 'retry' };
    }
    const latency = Math.round(performance.now() - started);
    if (error) this.metrics.deliveryFailure(row.channel, provider.name, error.kind);
    else this.metrics.codeSent(row.channel, provider.name);
    const now = this.clock.now();
    // A failed try gets its own record; a successful one is recorded on the message itself
    // (provider, its message id) and in the log line below, sparing every login a write.
    if (error) {
      await this.records.attempt({
        id: this.random.hex(12),
        message_id: row.id,
        provider: provider.name,
        outcome: error.kind,
        http_status: error.details.status ?? null,
        error: error.description,
        latency_ms: latency,
        provider_message_id: null,
        created_at: now,
      });
    }
    this.logger.info(
      {
        message_id: row.id,
        connection: row.connection,
        channel: row.channel,
        provider: provider.name,
        outcome: error ? error.kind : 'sent',
        latency_ms: latency,
        provider_message_id: providerMessageId ?? undefined,
        error: error?.description,
      },
      'outbox: delivery attempt',
    );
    if (outcome.status === 'retry') return this.retry(row, providers, error as ProviderError, now);
    return this.finish(row, outcome, provider.name, providerMessageId);
  }

  private async retry(
    row: OutboxMessage,
    providers: ConnectionProviders,
    error: ProviderError,
    now: number,
  ): Promise<Outcome> {
    const attempts = row.attempts + 1;
    const toSecondary =
      !row.use_secondary && providers.secondary !== null && attempts >= this.settings.primary_attempts;
    const onCurrent = row.use_secondary ? attempts - this.settings.primary_attempts : attempts;
    const backoff = this.settings.retry_base_ms * 2 ** Math.max(0, onCurrent - 1);
    const delay = toSecondary ? 0 : Math.max(backoff, error.details.retryAfterMs ?? 0);
    const next = now + delay;
    if (next >= row.expires_at) {
      const expired = new ProviderError(
        'transient',
        `${error.description} (gave up: the code expires before another try)`,
        error.details,
      );
      return this.finish({ ...row, attempts }, { status: 'failed', error: expired });
    }
    await this.records.update(row.id, {
      attempts,
      use_secondary: row.use_secondary || toSecondary,
      next_attempt_at: next,
      claimed_until: null,
      last_error: error.description,
      updated_at: now,
    });
    this.wake(delay);
    return { status: 'retry' };
  }

  private async finish(
    row: OutboxMessage,
    outcome: Exclude<Outcome, { status: 'retry' }>,
    provider: string | null = row.provider,
    providerMessageId: string | null = null,
  ): Promise<Outcome> {
    const now = this.clock.now();
    await this.records.update(row.id, {
      status: outcome.status,
      attempts: outcome.status === 'sent' ? row.attempts + 1 : row.attempts,
      claimed_until: null,
      provider,
      provider_message_id: providerMessageId,
      last_error: outcome.status === 'failed' ? outcome.error.description : row.last_error,
      updated_at: now,
    });
    if (outcome.status === 'failed') {
      this.logger.warn(
        { message_id: row.id, connection: row.connection, error: outcome.error.description },
        'outbox: message failed',
      );
    }
    this.waiting.get(row.id)?.(outcome);
    return outcome;
  }

  /** Waits up to `max_wait_ms` for a queued message to be sent or to fail for good. */
  private settled(id: string): Promise<Outcome | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), this.settings.max_wait_ms);
      const done = (outcome: Outcome | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(outcome);
      };
      this.waiting.set(id, done);
    });
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

  /** Long enough for one send to finish; after it, a crashed sender's message is taken up again. */
  private claimMs(): number {
    return this.settings.send_timeout_ms + 5000;
  }
}

function isDevInbox(providers: ConnectionProviders): boolean {
  return providers.primary.name === 'dev_inbox' || providers.secondary?.name === 'dev_inbox';
}

function asProviderError(thrown: unknown): ProviderError {
  if (thrown instanceof ProviderError) return thrown;
  const name = (thrown as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new ProviderError('transient', 'the provider did not answer in time');
  return new ProviderError('transient', 'the provider could not be reached');
}

function failureOf(error: ProviderError): DeliveryFailure {
  return { kind: error.kind, description: error.description };
}
