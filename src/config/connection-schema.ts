import { Type } from 'typebox';

/** A connection as the config file declares it: its strategy, the applications it serves, and its options. */

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
    enabled_clients: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 1000, default: ['*'] }),
    options: ConnectionOptionsSchema,
  },
  { additionalProperties: false },
);
