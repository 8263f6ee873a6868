import { type Static, Type } from 'typebox';

/**
 * Every setting Tessera reads, with its default. A config file (YAML or JSON) is validated against
 * this schema at start; environment variables override a few top-level keys (see load.ts).
 */

export const PASSWORDLESS_OTP_GRANT = 'http://auth0.com/oauth/grant-type/passwordless/otp';

/** A BCP 47 language tag such as `en` or `pt-BR` (the shape x-request-language accepts). */
const LANGUAGE_TAG = '^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$';

/** A template for every language (a string), or one per language tag: `{ en: '...', pt-BR: '...' }`. */
function Localized(maxLength: number) {
  return Type.Union([
    Type.String({ maxLength }),
    Type.Record(Type.String(), Type.String({ maxLength }), {
      minProperties: 1,
      propertyNames: { pattern: LANGUAGE_TAG },
    }),
  ]);
}

const TemplateSchema = Type.Object(
  {
    syntax: Type.Optional(Type.Union([Type.Literal('liquid'), Type.Literal('md_with_macros')])),
    /** The email's HTML body. */
    body: Type.Optional(Localized(100_000)),
    subject: Type.Optional(Localized(1000)),
    from: Type.Optional(Type.String({ maxLength: 320 })),
  },
  { additionalProperties: false },
);

/** An absolute http(s) URL of printable ASCII (config/url-formats.ts), as an application registers it. */
function HttpUrl(extra: { pattern?: string } = {}) {
  return Type.String({ maxLength: 2048, format: 'http-url', ...extra });
}

/** `http(s)://host[:port]`, as a browser's Origin header says it. */
function WebOrigin() {
  return Type.String({ maxLength: 2048, format: 'web-origin' });
}

/** Starts one identifier may make per window when a connection sets no `start_limits`. */
export const START_LIMIT_DEFAULTS = { points: 5, duration_s: 900, resend_cooldown_s: 0 } as const;

/**
 * Per-identifier lockout when a connection sets no `brute_force` (docs/security.md): after
 * `failures` wrong codes within `window_s`, verification is locked `lock_s`, doubled for each
 * further wrong code, at most `max_lock_s`.
 */
export const BRUTE_FORCE_DEFAULTS = { failures: 10, lock_s: 60, max_lock_s: 3600, window_s: 86_400 } as const;

/** Number types as libphonenumber-js names them, plus UNKNOWN for a number it cannot type. */
export const NUMBER_TYPES = [
  'FIXED_LINE',
  'MOBILE',
  'FIXED_LINE_OR_MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
  'UNKNOWN',
] as const;

/** Types that cannot read an SMS or that bill the sender (toll fraud's favourite destinations). */
export const DEFAULT_REFUSED_NUMBER_TYPES = [
  'PREMIUM_RATE',
  'SHARED_COST',
  'VOIP',
  'PAGER',
  'UAN',
  'VOICEMAIL',
  'UNKNOWN',
] as const;

function CountryCode() {
  return Type.String({ pattern: '^[A-Z]{2}$' });
}

export const ConnectionOptionsSchema = Type.Object(
  {
    totp: Type.Object(
      {
        length: Type.Integer({ minimum: 4, maximum: 10, default: 6 }),
        time_step: Type.Integer({ minimum: 30, maximum: 86_400, default: 300 }),
      },
      { additionalProperties: false, default: {} },
    ),
    max_attempts: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
    disable_signup: Type.Boolean({ default: false }),
    /** Locks an identifier's verifications after repeated wrong codes, across codes (`brute_force`). */
    brute_force_protection: Type.Boolean({ default: true }),
    brute_force: Type.Object(
      {
        /** Wrong codes for one identifier, across its codes, before verification is locked. */
        failures: Type.Integer({ minimum: 1, maximum: 10_000, default: BRUTE_FORCE_DEFAULTS.failures }),
        /** The first lock; each further wrong code doubles it. */
        lock_s: Type.Integer({ minimum: 1, maximum: 86_400, default: BRUTE_FORCE_DEFAULTS.lock_s }),
        max_lock_s: Type.Integer({ minimum: 1, maximum: 604_800, default: BRUTE_FORCE_DEFAULTS.max_lock_s }),
        /** Wrong codes are counted in windows this long (from the first); a login forgets them. */
        window_s: Type.Integer({ minimum: 60, maximum: 2_592_000, default: BRUTE_FORCE_DEFAULTS.window_s }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Where messages go: the dev inbox until a real provider is configured. */
    provider: Type.String({ default: 'dev_inbox' }),
    /** A second provider, with its own settings, used once the primary has had its tries. */
    failover: Type.Optional(Type.Object({ provider: Type.String() }, { additionalProperties: true })),
    /** Magic links opened in a browser other than the one that asked may complete after a click. */
    cross_device_links: Type.Boolean({ default: true }),
    /** Lifetime of a magic link in seconds (a link is typed by nobody, so it can be long and random). */
    link_lifetime: Type.Optional(Type.Integer({ minimum: 30, maximum: 86_400 })),
    /** SMS: the template text and its syntax. */
    syntax: Type.Optional(Type.Union([Type.Literal('liquid'), Type.Literal('md_with_macros')])),
    template: Type.Optional(Localized(2000)),
    from: Type.Optional(Type.String({ maxLength: 320 })),
    /** Email: `code` and `link` templates. */
    email: Type.Optional(TemplateSchema),
    link_email: Type.Optional(TemplateSchema),
    /** The template variant used when the request names no language the templates have. */
    default_language: Type.Optional(Type.String({ pattern: LANGUAGE_TAG, default: 'en' })),
    /** Limits on starts per identifier (email or phone number) on this connection. */
    start_limits: Type.Object(
      {
        per_identifier: Type.Object(
          {
            points: Type.Integer({ minimum: 1, default: START_LIMIT_DEFAULTS.points }),
            duration_s: Type.Integer({
              minimum: 1,
              maximum: 86_400,
              default: START_LIMIT_DEFAULTS.duration_s,
            }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Seconds after a start before the same identifier may start again; 0 turns it off. */
        resend_cooldown_s: Type.Integer({ minimum: 0, maximum: 3600, default: 0 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * SMS connections: which numbers may be sent codes, and how many (see docs/security.md). Without
     * it the default `refuse_number_types` still apply.
     */
    sms_guard: Type.Optional(
      Type.Object(
        {
          /** ISO 3166 alpha-2 codes; when set, only numbers of these countries are sent codes. */
          allowed_countries: Type.Optional(Type.Array(CountryCode(), { maxItems: 300 })),
          denied_countries: Type.Optional(Type.Array(CountryCode(), { maxItems: 300 })),
          /** libphonenumber types (PREMIUM_RATE, VOIP...) never sent codes; UNKNOWN is a number of no known type. */
          refuse_number_types: Type.Array(Type.Union(NUMBER_TYPES.map((type) => Type.Literal(type))), {
            default: [...DEFAULT_REFUSED_NUMBER_TYPES],
          }),
          per_country_per_hour: Type.Optional(Type.Integer({ minimum: 1 })),
          /** Codes an hour to numbers sharing their first `digits` digits (country code included). */
          per_prefix_per_hour: Type.Optional(
            Type.Object(
              { digits: Type.Integer({ minimum: 1, maximum: 15 }), limit: Type.Integer({ minimum: 1 }) },
              { additionalProperties: false },
            ),
          ),
          /** Codes a day on this connection; crossing it is refused and logged as an alert. */
          daily_budget: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: true, default: {} },
);

export const ConnectionSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$' }),
    strategy: Type.Union([Type.Literal('email'), Type.Literal('sms')]),
    /** client_ids allowed to use this connection; `["*"]` (the default) means every application. */
    enabled_clients: Type.Array(Type.String(), { default: ['*'] }),
    options: ConnectionOptionsSchema,
  },
  { additionalProperties: false },
);

export const ApplicationSchema = Type.Object(
  {
    client_id: Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$' }),
    client_secret: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    app_type: Type.Union(
      [
        Type.Literal('spa'),
        Type.Literal('native'),
        Type.Literal('regular_web'),
        Type.Literal('non_interactive'),
      ],
      { default: 'spa' },
    ),
    callbacks: Type.Array(Type.String({ maxLength: 2048, format: 'redirect-uri' }), { default: [] }),
    allowed_origins: Type.Array(WebOrigin(), { default: [] }),
    web_origins: Type.Array(WebOrigin(), { default: [] }),
    allowed_logout_urls: Type.Array(HttpUrl(), { default: [] }),
    grant_types: Type.Array(Type.String(), { default: [PASSWORDLESS_OTP_GRANT] }),
    /** Management API scopes this app may request with the client_credentials grant. */
    management_scopes: Type.Array(Type.String(), { default: [] }),
    id_token_lifetime: Type.Integer({ minimum: 60, maximum: 2_592_000, default: 36_000 }),
    access_token_lifetime: Type.Integer({ minimum: 60, maximum: 2_592_000, default: 86_400 }),
    refresh_token_lifetime: Type.Integer({ minimum: 60, maximum: 31_536_000, default: 2_592_000 }),
    /**
     * Seconds after a refresh token was exchanged during which it may be exchanged again without
     * counting as a replay (Auth0's rotation "reuse interval"): a client that sent the same
     * refresh twice keeps its session. Past it, a used token revokes its family.
     */
    refresh_token_leeway: Type.Integer({ minimum: 0, maximum: 300, default: 5 }),
    /** RS256 (default, what Auth0's SDKs expect), ES256 (cheaper to sign), or HS256 with the client_secret. */
    id_token_signing_alg: Type.Union([Type.Literal('RS256'), Type.Literal('ES256'), Type.Literal('HS256')], {
      default: 'RS256',
    }),
    /**
     * Hosted login page branding: a logo (absolute https:// or http:// URL) shown above the form.
     * It is named in the page's Content-Security-Policy, where `;` and `,` would end the source.
     */
    logo_uri: Type.Optional(HttpUrl({ pattern: '^[^;,]*$' })),
    /** Hosted login page branding: the colour of buttons and links, as `#rrggbb`. */
    primary_color: Type.Optional(Type.String({ pattern: '^#[0-9A-Fa-f]{6}$' })),
    /** The app's page that runs auth0.js `crossOriginVerification()`, for browsers without third-party cookies. */
    cross_origin_loc: Type.Optional(HttpUrl()),
  },
  { additionalProperties: false },
);

export const ApiSchema = Type.Object(
  {
    identifier: Type.String({ minLength: 1, maxLength: 2048 }),
    name: Type.String({ default: '' }),
    token_lifetime: Type.Integer({ minimum: 60, maximum: 2_592_000, default: 86_400 }),
  },
  { additionalProperties: false },
);

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
