import type { Config } from '../config/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/store.ts';
import type { KeySet } from './keys.ts';
import type { Application, Connection } from './model.ts';
import type { Clock, Random } from './sources.ts';
import type { Counters } from './start-limits.ts';

/** One login message for the delivery side to render and send. */
export interface LoginMessage {
  application: Application;
  connection: Connection;
  channel: 'email' | 'sms';
  to: string;
  send: 'code' | 'link';
  /** The code to show (for links, the link itself carries the secret). */
  code: string | null;
  link: string | null;
  /** From x-request-language / Accept-Language; null when the request named none. */
  language: string | null;
  ttl_seconds: number;
  /** The start request's client, for providers that forward it (the SMS gateway's `req`). */
  request?: { ip: string | null; user_agent: string | null };
}

/** Renders and sends login messages; throws AuthError (`email_provider_error`...) when it cannot. */
export interface Delivery {
  deliver(message: LoginMessage): Promise<void>;
}

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
export interface Tessera {
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
  /** Where core raises what an operator must look at (the server's logger). */
  log: { warn(details: object, message: string): void };
}
