import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What this server counts for Prometheus (`GET /metrics`). Each instance owns its registry, so
 * several servers in one process (the tests) never share or clash over a metric. Every label takes
 * values from a bounded set: route templates, grant names, error codes, provider names, limit names.
 */
export class Metrics {
  private readonly registry = new Registry();
  private readonly httpRequests = new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by route template and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly logins = new Counter({
    name: 'tessera_logins_total',
    help: 'Token endpoint requests by grant: result "success" when tokens were issued, else the error code',
    labelNames: ['grant', 'result'] as const,
    registers: [this.registry],
  });
  private readonly codesSent = new Counter({
    name: 'tessera_codes_sent_total',
    help: 'Login messages (codes and links) a provider accepted, by channel and provider',
    labelNames: ['channel', 'provider'] as const,
    registers: [this.registry],
  });
  private readonly deliveryFailures = new Counter({
    name: 'tessera_delivery_failures_total',
    help: 'Provider calls that failed, by channel, provider and kind (transient or permanent)',
    labelNames: ['channel', 'provider', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly rateLimitHits = new Counter({
    name: 'tessera_rate_limit_hits_total',
    help: 'Requests refused with 429 by a rate limit or budget, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  private readonly proofsOfWork = new Counter({
    name: 'tessera_proof_of_work_total',
    help: 'Starts past the proof-of-work threshold, by outcome: solved, missing (no solution sent) or rejected',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly identifierLocks = new Counter({
    name: 'tessera_identifier_locks_total',
    help: "Wrong codes that locked (or lengthened the lock of) an identifier's verifications",
    registers: [this.registry],
  });
  private readonly logEvents = new Counter({
    name: 'tessera_log_events_total',
    help: 'Tenant log events by outcome: written to the store, or dropped (buffer full, or store down at shutdown)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly countersDegraded = new Gauge({
    name: 'tessera_counters_degraded',
    help: '1 while the shared rate-limit counters (Redis) cannot be reached, else 0',
    registers: [this.registry],
  });

  private readonly storeUp = new Gauge({
    name: 'tessera_store_up',
    help: '1 while the database answers, 0 from the first statement that found it unavailable until one succeeds again',
    registers: [this.registry],
  });

  constructor() {
    this.countersDegraded.set(0);
    this.storeUp.set(1);
    this.logEvents.inc({ outcome: 'written' }, 0);
    this.logEvents.inc({ outcome: 'dropped' }, 0);
    processMetrics();
  }

  /** The Content-Type of `render()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** One answered request; `route` is the router's template (`/api/v2/users/:id`), never the URL. */
  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.httpRequests.inc({ route, method, status: String(status) });
    this.httpDuration.observe({ route, method }, seconds);
  }

  /** One token-endpoint request: `result` is `success` or the OAuth error code it was refused with. */
  login(grant: string, result: string): void {
    this.logins.inc({ grant, result });
  }

  codeSent(channel: string, provider: string): void {
    this.codesSent.inc({ channel, provider });
  }

  deliveryFailure(channel: string, provider: string, kind: 'transient' | 'permanent'): void {
    this.deliveryFailures.inc({ channel, provider, kind });
  }

  /** One request refused by the limit named `limit` (`start_ip`, `sms_daily`...). */
  rateLimitHit(limit: string): void {
    this.rateLimitHits.inc({ limit });
  }

  /** A start past the proof-of-work threshold: its solution was good, absent, or refused. */
  proofOfWork(outcome: 'solved' | 'missing' | 'rejected'): void {
    this.proofsOfWork.inc({ outcome });
  }

  /** A wrong code locked its identifier's verifications (brute-force protection). */
  identifierLocked(): void {
    this.identifierLocks.inc();
  }

  /** Tenant log events written in a batch. */
  logEventsWritten(count: number): void {
    this.logEvents.inc({ outcome: 'written' }, count);
  }

  /** Tenant log events lost: the buffer was full, or the store refused them at shutdown. */
  logEventsDropped(count: number): void {
    this.logEvents.inc({ outcome: 'dropped' }, count);
  }

  setCountersDegraded(flag: boolean): void {
    this.countersDegraded.set(flag ? 1 : 0);
  }

  setStoreUp(flag: boolean): void {
    this.storeUp.set(flag ? 1 : 0);
  }

  /** This instance's metrics and the process's, in Prometheus' text format. */
  async render(): Promise<string> {
    return (await this.registry.metrics()) + (await processMetrics().metrics());
  }
}

let processRegistry: Registry | undefined;

/**
 * prom-client's process metrics (CPU, memory, event loop lag, GC), collected once per process:
 * they describe the process, not a server, and each collection starts an event-loop monitor and a
 * GC observer that are never stopped, so one per server would pile up where tests start hundreds.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
