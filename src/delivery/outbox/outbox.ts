import type { Config } from '../../config/schema.ts';
import type { Connection, OutboxMessage } from '../../core/model.ts';
import type { Delivery, DeliveryFailure, LoginMessage } from '../../core/ports/delivery.ts';
import type { ConnectionStore, OutboxStore } from '../../core/ports/store.ts';
import type { SecretBox } from '../../core/secret-box.ts';
import type { Clock, Random } from '../../core/sources.ts';
import type { TenantLogSink } from '../../core/tenant-log.ts';
import type { Metrics } from '../../metrics.ts';
import { renderMessage, templateProblems } from '../message.ts';
import { asProviderError, type Provider, type ProviderError } from '../provider.ts';
import { type ConnectionProviders, ProviderConfigError, type ProviderRegistry } from '../providers.ts';
import { Courier, type OutboxLogger, type StoredBody } from './courier.ts';
import { claimMs, Dispatcher } from './dispatcher.ts';
import { OutboxRecords } from './records.ts';
import { Settlements } from './settlements.ts';

export type { OutboxLogger } from './courier.ts';

export interface OutboxOptions {
  store: OutboxStore & ConnectionStore;
  registry: ProviderRegistry;
  clock: Clock;
  random: Random;
  logger: OutboxLogger;
  settings: Config['delivery'];
  /** Seals message bodies at rest: they contain the code until the message is final. */
  box: SecretBox;
  metrics: Metrics;
  /** Where a message given up on is written (`fn`), for an operator to read why a code never came. */
  tenantLog: TenantLogSink;
}

/** The signal of a send that is never cut short. */
const NEVER_ABORTED = new AbortController().signal;

/**
 * Every login message is written here before it is sent, then handed to the connection's provider
 * (the courier's first try). A transient failure leaves it queued for the dispatcher, which retries
 * it as the retry policy says, until the code would expire; a message a crash interrupted is taken
 * up again, by any instance, once its claim runs out.
 */
export class Outbox implements Delivery {
  private readonly records: OutboxRecords;
  private readonly settlements = new Settlements();
  private readonly courier: Courier;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly options: OutboxOptions) {
    this.records = new OutboxRecords(options.store);
    this.courier = new Courier({ ...options, records: this.records, settlements: this.settlements });
    this.dispatcher = new Dispatcher({ ...options, courier: this.courier, records: this.records });
  }

  /**
   * Stores the message and sends it. Answers once the first try succeeded or failed for good; after
   * a transient failure, waits up to `max_wait_ms` for a retry to settle it, then leaves it queued.
   */
  async deliver(login: LoginMessage): Promise<DeliveryFailure | undefined> {
    let providers: ConnectionProviders;
    try {
      providers = this.options.registry.forConnection(login.connection);
    } catch (error) {
      if (!(error instanceof ProviderConfigError)) throw error;
      return { kind: 'unusable', description: error.problems.join('; ') };
    }
    if (providers.primary.inline && providers.secondary === null) {
      return this.sendInline(login, providers.primary);
    }
    const row = await this.enqueue(login, providers);
    const first = await this.dispatcher.run(this.courier.attempt(row, providers));
    if (first.status === 'sent') return undefined;
    if (first.status === 'failed') return failureOf(first.error);
    const later = await this.settlements.wait(row.id, this.options.settings.max_wait_ms);
    return later?.status === 'failed' ? failureOf(later.error) : undefined;
  }

  problems(connection: Connection): string[] {
    return [...templateProblems(connection), ...this.options.registry.problems(connection)];
  }

  credentialKeys(connection?: Connection): string[] {
    return this.options.registry.credentialKeys(connection);
  }

  /** Starts the dispatcher: due messages are looked for every `poll_ms`. */
  start(): void {
    this.dispatcher.start();
  }

  /** Stops taking new work and waits for the sends under way. */
  async stop(): Promise<void> {
    await this.dispatcher.stop();
    // Starts still waiting on a retry answer now: their message stays queued for the next start.
    this.settlements.releaseAll();
    // A last try at what the database missed; what it still cannot take is sent again later.
    await this.records.flush().catch(() => undefined);
  }

  /**
   * Sends at once, without storing the message first: for a provider that cannot be down (the dev
   * inbox, a write to this same store), queueing would only double the writes of every login.
   */
  private async sendInline(login: LoginMessage, provider: Provider): Promise<undefined> {
    try {
      await provider.send(renderMessage(login), {
        // Nothing to time out; a timer per message would only hold memory for send_timeout_ms.
        signal: NEVER_ABORTED,
        preview: provider.showsPreview ? { code: login.code, link: login.link } : undefined,
      });
    } catch (error) {
      this.options.metrics.deliveryFailure(login.channel, provider.name, asProviderError(error).kind);
      throw error;
    }
    this.options.metrics.codeSent(login.channel, provider.name);
    return undefined;
  }

  /** Writes the message, claimed by this instance for its first try. */
  private async enqueue(login: LoginMessage, providers: ConnectionProviders): Promise<OutboxMessage> {
    const { clock, random, box, store, settings } = this.options;
    const now = clock.now();
    const showsPreview = providers.primary.showsPreview || providers.secondary?.showsPreview;
    const body: StoredBody = {
      message: renderMessage(login),
      // Only a provider that shows it (the dev inbox) is given the code apart from the message.
      preview: showsPreview ? { code: login.code, link: login.link } : undefined,
      request: login.request && { ...login.request, language: login.language },
    };
    const row: OutboxMessage = {
      id: random.hex(12),
      connection: login.connection.name,
      channel: login.channel,
      recipient: login.to,
      body: await box.seal(JSON.stringify(body)),
      status: 'pending',
      attempts: 0,
      use_secondary: false,
      next_attempt_at: now,
      claimed_until: now + claimMs(settings),
      expires_at: now + login.ttl_seconds * 1000,
      provider: null,
      provider_message_id: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    };
    await store.putOutboxMessage(row);
    return row;
  }
}

function failureOf(error: ProviderError): DeliveryFailure {
  return { kind: error.kind, description: error.description };
}
