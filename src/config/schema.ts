import { type Static, Type } from 'typebox';

/**
 * Every setting Tessera reads, with its default. A config file (YAML or JSON) is validated against
 * this schema at start; environment variables override a few top-level keys (see load.ts).
 */

import { ApiSchema, ApplicationSchema } from './application-schema.js';
import { type ConnectionOptionsSchema, ConnectionSchema } from './connection-schema.js';

export { ApiSchema, ApplicationSchema, PASSWORDLESS_OTP_GRANT } from './application-schema.js';
export {
  BRUTE_FORCE_DEFAULTS,
  ConnectionOptionsSchema,
  ConnectionSchema,
  DEFAULT_REFUSED_NUMBER_TYPES,
  NUMBER_TYPES,
  START_LIMIT_DEFAULTS,
} from './connection-schema.js';

export const ConfigSchema = Type.Object(
  {
    /** Public URL of this server; `iss` of every token. Default `http://localhost:<port>/`. */
    issuer: Type.Optional(Type.String({ pattern: '^https?://' })),
    port: Type.Integer({ minimum: 0, maximum: 65_535, default: 3000 }),
    host: Type.String({ default: '0.0.0.0' }),
    data_dir: Type.String({ default: './data' }),
    /**
     * `postgres://user:pass@host:5432/db` (DATABASE_URL) stores everything in PostgreSQL instead of
     * the SQLite file in data_dir, so that several instances can share it.
     */
    database_url: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    /** The PostgreSQL schema Tessera's tables go into (made if missing); default: the connection's own. */
    database_schema: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' })),
    /** Connections each instance keeps open to PostgreSQL (default 10). */
    database_pool_size: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
    /** PostgreSQL: how long a request waits for a connection (a free one, or a new one) before its 503. */
    database_connect_timeout_ms: Type.Integer({ minimum: 100, maximum: 120_000, default: 5000 }),
    /**
     * PostgreSQL: how long one statement may take, its answer's way back included, before it is
     * cancelled and its request answered 503 (migrations are not bounded).
     */
    database_statement_timeout_ms: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
    /** PostgreSQL: requests that may wait for a free connection at once; more are answered 503 at once. */
    database_max_waiting: Type.Integer({ minimum: 1, maximum: 100_000, default: 500 }),
    /**
     * Seconds a starting instance keeps trying to reach the database (answering /healthz, and 503
     * everywhere else) before it gives up and exits with status 1; 0 gives up at the first failure.
     */
    database_start_wait_s: Type.Integer({ minimum: 0, maximum: 86_400, default: 300 }),
    /**
     * `redis://host:6379` (REDIS_URL): rate limits and budgets are counted in Redis, shared by every
     * instance; without it each instance counts on its own.
     */
    redis_url: Type.Optional(Type.String({ pattern: '^rediss?://' })),
    /** Prefix of every key Tessera writes in Redis, so that deployments can share one server. */
    redis_prefix: Type.String({ pattern: '^[A-Za-z0-9:_.-]{1,64}$', default: 'tessera:' }),
    /**
     * Milliseconds one Redis call may take; past it the connection is dropped and made again, and
     * limits are counted in this instance meanwhile: a hung Redis costs one call this long, not
     * every login.
     */
    redis_timeout_ms: Type.Integer({ minimum: 10, maximum: 10_000, default: 100 }),
    /**
     * 32 random bytes, base64: seals signing keys, server secrets and provider credentials in the
     * store. Set it with TESSERA_MASTER_KEY; without it a key file `master.key` is made in data_dir
     * (keep it out of database backups, and back it up on its own: without it they are lost).
     */
    master_key: Type.Optional(Type.String({ minLength: 43, maxLength: 64 })),
    /** Signing keys: how a rotation rolls out and how often instances look for one (docs/security.md). */
    keys: Type.Object(
      {
        /** Seconds a rotated-in key is published before it signs (every instance and JWKS cache sees it). */
        propagation_s: Type.Integer({ minimum: 0, maximum: 2_592_000, default: 3600 }),
        /** Seconds a replaced key stays published past the longest token lifetime. */
        retire_margin_s: Type.Integer({ minimum: 0, maximum: 2_592_000, default: 3600 }),
        /** Rotate a key this many days after it was made, without being asked; unset: only by command. */
        rotate_after_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
        /** Seconds between two reads of the keys, to see rotations made by another instance or the CLI. */
        reload_s: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** `development` shows the dev inbox; `production` hides it unless `dev_inbox` is true. */
    environment: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
      default: 'development',
    }),
    dev_inbox: Type.Optional(Type.Boolean()),
    /** Serve HTTPS directly (PEM files), for SDKs that insist on https:// without a TLS proxy. */
    tls: Type.Optional(
      Type.Object(
        { cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
    ),
    log_level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
      { default: 'info' },
    ),
    /**
     * Whose X-Forwarded-For to believe (config/trust-proxy.ts): `true` any hop, a number of proxies
     * in front, or the proxies' addresses and CIDR ranges (checked at load).
     */
    trust_proxy: Type.Union(
      [
        Type.Boolean(),
        Type.Integer({ minimum: 0, maximum: 100 }),
        Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 100 }),
      ],
      { default: false },
    ),
    /** Days tenant log events (`/api/v2/logs`) are kept; housekeeping deletes older ones. */
    log_retention_days: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
    body_limit: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 65_536 }),
    /** The outbox: how long a send may take, how long /passwordless/start waits, how retries back off. */
    delivery: Type.Object(
      {
        /** One provider call is abandoned (and counted transient) after this long. */
        send_timeout_ms: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
        /** /passwordless/start waits this long for a message whose first try failed transiently. */
        max_wait_ms: Type.Integer({ minimum: 0, maximum: 120_000, default: 8_000 }),
        /** Tries on the primary provider before a configured `failover` provider takes over. */
        primary_attempts: Type.Integer({ minimum: 1, maximum: 20, default: 2 }),
        /** First retry delay; doubled on each further retry (a provider's Retry-After wins when longer). */
        retry_base_ms: Type.Integer({ minimum: 10, maximum: 600_000, default: 1_000 }),
        /** How often each instance looks for due messages (retries, and sends a crash interrupted). */
        poll_ms: Type.Integer({ minimum: 50, maximum: 60_000, default: 1_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Hosted login sessions: a returning browser skips the login page until one of these runs out. */
    session: Type.Object(
      {
        /** Seconds from login until the session ends, however active (Auth0's default: 30 days). */
        lifetime: Type.Integer({ minimum: 60, maximum: 31_536_000, default: 2_592_000 }),
        /** Seconds without use after which the session ends (Auth0's default: 3 days). */
        idle: Type.Integer({ minimum: 60, maximum: 31_536_000, default: 259_200 }),
      },
      { additionalProperties: false, default: {} },
    ),
    rate_limits: Type.Object(
      {
        start_per_ip_per_hour: Type.Integer({ minimum: 1, default: 50 }),
        /** GET/POST /authorize and the hosted login's forms, together, per client IP. */
        authorize_per_ip_per_minute: Type.Integer({ minimum: 1, default: 120 }),
        /** Starts per application (client_id) an hour, over all its connections and identifiers. */
        start_per_application_per_hour: Type.Integer({ minimum: 1, default: 100_000 }),
        /** Failed code and link verifications one IP may make per `verify_failures_window_s`; then 429. */
        verify_failures_per_ip: Type.Integer({ minimum: 1, default: 100 }),
        verify_failures_window_s: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * A proof-of-work challenge on starts from an IP past `after_starts_per_ip` in an hour
     * (docs/security.md#proof-of-work). Off by default: Auth0's SDKs do not solve it.
     */
    proof_of_work: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        /** Starts one IP may make in an hour without a solution; 0 asks for one on every start. */
        after_starts_per_ip: Type.Integer({ minimum: 0, default: 10 }),
        /** Leading zero bits SHA-256(challenge ":" nonce) must have: each one doubles the work. */
        difficulty_bits: Type.Integer({ minimum: 1, maximum: 32, default: 18 }),
        /** Seconds a challenge may be answered. */
        ttl_s: Type.Integer({ minimum: 10, maximum: 3600, default: 120 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Whether /readyz answers 503 when the counters' Redis is unreachable (true), or 200 with
     * `"status": "degraded"` (false): instances keep serving with per-instance limits either way,
     * and false keeps a balancer that polls /readyz from taking every instance out at once.
     */
    readiness_requires_counters: Type.Boolean({ default: true }),
    /** Prometheus metrics at GET /metrics. */
    metrics: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** When set (TESSERA_METRICS_TOKEN), /metrics asks for `Authorization: Bearer <token>`. */
        token: Type.Optional(Type.String({ minLength: 16, maxLength: 1024 })),
      },
      { additionalProperties: false, default: {} },
    ),
    /** What SIGTERM / SIGINT do: stop being ready, drain, finish requests and sends, exit. */
    shutdown: Type.Object(
      {
        /** /readyz answers 503 this long before the listener closes, for load balancers to notice. */
        drain_ms: Type.Integer({ minimum: 0, maximum: 120_000, default: 0 }),
        /** Past this (drain included), the process exits with status 1 without waiting further. */
        timeout_ms: Type.Integer({ minimum: 1000, maximum: 600_000, default: 10_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The Management API's hold on what the config file declares (docs/configuration.md#who-owns-an-object). */
    management_api: Type.Object(
      {
        /**
         * `file`: the applications and connections the file declares are written at every start and
         * the API refuses to change or delete them (409). `seed`: the file only creates those the
         * store lacks, and the API's changes stand.
         */
        config_objects: Type.Union([Type.Literal('file'), Type.Literal('seed')], { default: 'file' }),
      },
      { additionalProperties: false, default: {} },
    ),
    applications: Type.Array(ApplicationSchema, { default: [] }),
    connections: Type.Array(ConnectionSchema, { default: [] }),
    apis: Type.Array(ApiSchema, { default: [] }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema> & { issuer: string };
export type ApplicationConfig = Static<typeof ApplicationSchema>;
export type ConnectionConfig = Static<typeof ConnectionSchema>;
export type ConnectionOptions = Static<typeof ConnectionOptionsSchema>;
export type ApiConfig = Static<typeof ApiSchema>;
