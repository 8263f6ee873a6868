import { performance } from 'node:perf_hooks';
import type { Config } from '../../config/schema.ts';
import type { OutboxMessage } from '../../core/model.ts';
import type { ConnectionStore, OutboxStore } from '../../core/ports/store.ts';
import type { SecretBox } from '../../core/secret-box.ts';
import type { Clock, Random } from '../../core/sources.ts';
import type { TenantLogSink } from '../../core/tenant-log.ts';
import type { Metrics } from '../../metrics.ts';
import type { OutboundMessage } from '../message.ts';
import { asProviderError, ProviderError, type SendContext } from '../provider.ts';
import { type ConnectionProviders, ProviderConfigError, type ProviderRegistry } from '../providers.ts';
import type { OutboxRecords } from './records.ts';
import { afterFailure } from './retry-policy.ts';
import type { Final, Settlements } from './settlements.ts';

export interface OutboxLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** What the outbox keeps of a message, sealed, until it is final. */
export interface StoredBody {
  message: OutboundMessage;
  preview: SendContext['preview'];
  request: SendContext['request'];
}

/** What became of one try: final, or another planned in `delay` ms. */
export type Outcome = Final | { status: 'retry'; delay: number };

export interface CourierOptions {
  store: OutboxStore & ConnectionStore;
  registry: ProviderRegistry;
  records: OutboxRecords;
  settlements: Settlements;
  clock: Clock;
  random: Random;
  logger: OutboxLogger;
  settings: Config['delivery'];
  /** Opens message bodies: sealed at rest, as they contain the code until the message is final. */
  box: SecretBox;
  metrics: Metrics;
  tenantLog: TenantLogSink;
}

/**
 * Makes one try at an outbox message with the provider it is on, and records what became of it:
 * sent, failed for good, or due again when the retry policy says.
 */
export class Courier {
  constructor(private readonly options: CourierOptions) {}

  /** Tries a message taken from the store (a retry, or a send a crash interrupted). */
  async resume(row: OutboxMessage): Promise<Outcome> {
    const connection = await this.options.store.getConnection(row.connection);
    try {
      if (!connection) throw new ProviderConfigError([`connection "${row.connection}" no longer exists`]);
      return await this.attempt(row, this.options.registry.forConnection(connection));
    } catch (error) {
      if (!(error instanceof ProviderConfigError)) throw error;
      return this.finish(row, { status: 'failed', error: new ProviderError('permanent', error.message) });
    }
  }

  /** One try with the provider the message is on; records it and decides what comes next. */
  async attempt(row: OutboxMessage, providers: ConnectionProviders): Promise<Outcome> {
    const { settings, metrics, records, logger } = this.options;
    const provider = row.use_secondary && providers.secondary ? providers.secondary : providers.primary;
    const body = row.body === null ? null : (JSON.parse(await this.options.box.open(row.body)) as StoredBody);
    if (!body) {
      return this.finish(row, {
        status: 'failed',
        error: new ProviderError('permanent', 'message body lost'),
      });
    }
    const started = performance.now();
    let providerMessageId: string | null = null;
    let error: ProviderError | null = null;
    try {
      const result = await provider.send(body.message, {
        signal: AbortSignal.timeout(settings.send_timeout_ms),
        request: body.request,
        preview: body.preview,
      });
      providerMessageId = result.providerMessageId;
    } catch (thrown) {
      error = asProviderError(thrown);
    }
    const latency = Math.round(performance.now() - started);
    if (error) metrics.deliveryFailure(row.channel, provider.name, error.kind);
    else metrics.codeSent(row.channel, provider.name);
    const now = this.options.clock.now();
    // A failed try gets its own record; a successful one is recorded on the message itself
    // (provider, its message id) and in the log line below, sparing every login a write.
    if (error) {
      await records.attempt({
        id: this.options.random.hex(12),
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
    logger.info(
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
    if (!error) return this.finish(row, { status: 'sent' }, provider.name, providerMessageId);
    const next = afterFailure(row, error, { settings, hasSecondary: providers.secondary !== null, now });
    if (next.action === 'fail') return this.finish(row, { status: 'failed', error }, provider.name);
    if (next.action === 'give_up') {
      return this.finish({ ...row, attempts: next.attempts }, { status: 'failed', error: next.error });
    }
    await records.update(row.id, {
      attempts: next.attempts,
      use_secondary: next.useSecondary,
      next_attempt_at: next.at,
      claimed_until: null,
      last_error: error.description,
      updated_at: now,
    });
    return { status: 'retry', delay: next.delay };
  }

  private async finish(
    row: OutboxMessage,
    final: Final,
    provider: string | null = row.provider,
    providerMessageId: string | null = null,
  ): Promise<Final> {
    await this.options.records.update(row.id, {
      status: final.status,
      attempts: final.status === 'sent' ? row.attempts + 1 : row.attempts,
      claimed_until: null,
      provider,
      provider_message_id: providerMessageId,
      last_error: final.status === 'failed' ? final.error.description : row.last_error,
      updated_at: this.options.clock.now(),
    });
    if (final.status === 'failed') {
      this.options.logger.warn(
        { message_id: row.id, connection: row.connection, error: final.error.description },
        'outbox: message failed',
      );
      this.options.tenantLog.emit({
        type: 'fn',
        description: `The message could not be sent: ${final.error.description}`,
        connection: row.connection,
        user_name: row.recipient,
        details: { channel: row.channel, provider, message_id: row.id, attempts: row.attempts },
      });
    }
    this.options.settlements.settle(row.id, final);
    return final;
  }
}
