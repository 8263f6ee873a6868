import type { Metrics } from '../metrics.ts';
import { LOG_EVENT_TYPES, type LogEventType } from './log-event-types.ts';
import type { Application, LogEvent } from './model.ts';
import type { LogStore } from './ports/store.ts';
import type { Clock, Random } from './sources.ts';

/** What a code path says happened; the tenant log adds the id, the date and the defaults. */
export interface LogInput {
  type: LogEventType;
  /** A sentence of what happened, never a secret (default: Auth0's name for the type). */
  description?: string;
  client_id?: string | null;
  client_name?: string | null;
  connection?: string | null;
  user_id?: string | null;
  /** The email address or phone number the event is about, as Auth0 shows it. */
  user_name?: string | null;
  ip?: string | null;
  user_agent?: string | null;
  details?: Record<string, unknown>;
}

/** Where core reports what happened; never throws, never waits. */
export interface TenantLogSink {
  emit(input: LogInput): void;
}

/** The client members of an event about an application. */
export function appFields(app: Pick<Application, 'client_id' | 'name'>) {
  return { client_id: app.client_id, client_name: app.name };
}

export interface TenantLogOptions {
  store: Pick<LogStore, 'appendLogEvents'>;
  clock: Clock;
  random: Random;
  metrics: Pick<Metrics, 'logEventsDropped' | 'logEventsWritten'>;
  /**
   * Told of each write's outcome (a FailureStreak: the first failure and the recovery are logged);
   * a failure answers how many ms to wait before the next write. A batch that could not be written
   * is kept and tried again then, while there is room.
   */
  writes: { failed(error: unknown): number; succeeded(): void };
  /** How often buffered events are written (ms). */
  flushMs?: number;
  /** Events held in memory at most; one past it is dropped and counted. */
  maxBuffered?: number;
  /** Events one write carries at most. */
  batchSize?: number;
}

/**
 * The tenant log: events are held in memory and written in batches off the request path (on a
 * short timer, and at stop), so that logging costs a login one array push. A database outage loses
 * no login: the batch is kept and tried again; only past `maxBuffered` are events dropped, and
 * counted (tessera_log_events_dropped_total).
 */
export class TenantLog implements TenantLogSink {
  private buffer: LogEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** After a failed write, no timer's flush tries again before this (performance.now() ms). */
  private pausedUntil = 0;
  private readonly flushMs: number;
  private readonly maxBuffered: number;
  private readonly batchSize: number;

  constructor(private readonly options: TenantLogOptions) {
    this.flushMs = options.flushMs ?? 250;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
  }

  emit(input: LogInput): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.options.metrics.logEventsDropped(1);
      return;
    }
    this.buffer.push(this.event(input));
  }

  /** Writes what is buffered on a timer; the timer keeps no process alive. */
  start(): void {
    // A database that is down is not asked again on every tick: it would take a connection (or a
    // place in the pool's queue) that a request could have had.
    this.timer ??= setInterval(() => {
      if (performance.now() >= this.pausedUntil) void this.flush();
    }, this.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left (once: events a failing database refuses are dropped). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.buffer.length > 0) {
      this.options.metrics.logEventsDropped(this.buffer.length);
      this.buffer = [];
    }
  }

  /** Writes the buffered events, batch by batch, until none is left or a write fails. */
  flush(): Promise<void> {
    this.writing ??= this.writeAll().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchSize);
      try {
        await this.options.store.appendLogEvents(batch);
        this.options.metrics.logEventsWritten(batch.length);
        this.options.writes.succeeded();
      } catch (error) {
        // Kept in front of what came meanwhile, as far as there is room: tried again next time.
        const room = Math.max(0, this.maxBuffered - this.buffer.length);
        const kept = batch.slice(0, room);
        if (kept.length < batch.length) this.options.metrics.logEventsDropped(batch.length - kept.length);
        this.buffer = [...kept, ...this.buffer];
        this.pausedUntil = performance.now() + this.options.writes.failed(error);
        return;
      }
    }
  }

  private event(input: LogInput): LogEvent {
    const date = this.options.clock.now();
    return {
      // The date first, so that ids sort as dates do (the checkpoint paging's order).
      log_id: `${String(date).padStart(15, '0')}${this.options.random.hex(8)}`,
      date,
      type: input.type,
      description: clip(input.description ?? LOG_EVENT_TYPES[input.type], 500),
      client_id: input.client_id ?? null,
      client_name: input.client_name ?? null,
      connection: input.connection ?? null,
      connection_id: null,
      user_id: input.user_id ?? null,
      user_name: input.user_name ?? null,
      ip: input.ip ?? null,
      user_agent: input.user_agent == null ? null : clip(input.user_agent, 512),
      details: safeDetails(input.details ?? {}),
    };
  }
}

/** The shape of a log_id (core/tenant-log.ts makes them). */
export const LOG_ID_PATTERN = /^[0-9]{15}[0-9a-f]{16}$/;

/**
 * Names of members that may hold a credential: a code, a link, a secret, a token, a password, a
 * provider's key (`statusCode` is no code). Such a member is dropped from an event's details,
 * however a caller built them.
 */
const SECRET_MEMBER =
  /secret|token|password|passwd|credential|cookie|(^|[_-])(code|otp|link|authorization|api_?key|private_?key)$/i;
/code|otp|secret|token|password|passwd|link|authorization|cookie|credential|api_?key|auth_?token|private/i;

/** Details without any member that may hold a credential, strings clipped, at most 4 levels deep. */
export function safeDetails(details: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (SECRET_MEMBER.test(key)) continue;
    if (typeof value === 'string') safe[key] = clip(value, 500);
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) safe[key] = value;
    else if (typeof value === 'object' && !Array.isArray(value) && depth < 3)
      safe[key] = safeDetails(value as Record<string, unknown>, depth + 1);
  }
  return safe;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
