import type { Config } from '../config/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { KeySet } from './keys.ts';
import type { Counters } from './ports/counters.ts';
import type { Delivery } from './ports/delivery.ts';
import type { Store } from './ports/store.ts';
import type { Clock, Random } from './sources.ts';
import type { TenantLogSink } from './tenant-log.ts';

/** Server-side secrets made on first start and kept in the store. */
export interface Secrets {
  /** HMAC key under which login codes are stored. */
  codeKey: Buffer;
  /** Key of the opaque (encrypted) access tokens issued when no API audience is asked for. */
  accessTokenKey: CryptoKey;
  /** HMAC key of the proof-of-work challenges, so that any instance can check one another made. */
  powKey: Buffer;
  /** Seals the hosted page's login transactions, which travel in its URLs instead of a table. */
  transactionKey: CryptoKey;
}

/** What every core operation works with; built once at start (app.ts) and passed down. */
export interface Context {
  config: Config;
  store: Store;
  clock: Clock;
  random: Random;
  keys: KeySet;
  delivery: Delivery;
  secrets: Secrets;
  /** Start and SMS budgets (src/limits/counters.ts). */
  counters: Counters;
  /** Counts for Prometheus (src/metrics.ts): logins, codes sent, rate-limit refusals. */
  metrics: Metrics;
  /** The tenant log (`/api/v2/logs`): what happened to whom, written off the request path. */
  tenantLog: TenantLogSink;
  /** Where core raises what an operator must look at (the server's logger). */
  log: { warn(details: object, message: string): void };
}
