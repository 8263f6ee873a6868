import { Type } from 'typebox';

/** An application (a client) and an API (an audience) as the config file declares them. */

export const PASSWORDLESS_OTP_GRANT = 'http://auth0.com/oauth/grant-type/passwordless/otp';

/** An absolute http(s) URL of printable ASCII (config/url-formats.ts), as an application registers it. */
function HttpUrl(extra: { pattern?: string } = {}) {
  return Type.String({ maxLength: 2048, format: 'http-url', ...extra });
}

/** `http(s)://host[:port]`, as a browser's Origin header says it. */
function WebOrigin() {
  return Type.String({ maxLength: 2048, format: 'web-origin' });
}

/** The most URLs or origins of one kind an application registers. */
export const MAX_URLS = 100;

export const ApplicationSchema = Type.Object(
  {
    client_id: Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$' }),
    client_secret: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
    /** Shown in messages and pages: no control characters. */
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
    app_type: Type.Union(
      [
        Type.Literal('spa'),
        Type.Literal('native'),
        Type.Literal('regular_web'),
        Type.Literal('non_interactive'),
      ],
      { default: 'spa' },
    ),
    callbacks: Type.Array(Type.String({ maxLength: 2048, format: 'redirect-uri' }), {
      maxItems: MAX_URLS,
      default: [],
    }),
    allowed_origins: Type.Array(WebOrigin(), { maxItems: MAX_URLS, default: [] }),
    web_origins: Type.Array(WebOrigin(), { maxItems: MAX_URLS, default: [] }),
    allowed_logout_urls: Type.Array(HttpUrl(), { maxItems: MAX_URLS, default: [] }),
    grant_types: Type.Array(Type.String({ maxLength: 128 }), {
      maxItems: 20,
      default: [PASSWORDLESS_OTP_GRANT],
    }),
    /** Management API scopes this app may request with the client_credentials grant. */
    management_scopes: Type.Array(Type.String({ pattern: '^[a-z_]+:[a-z_]+$', maxLength: 64 }), {
      maxItems: 100,
      default: [],
    }),
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
    /**
     * The scopes (permissions) this API defines, as Auth0's resource servers list them: a token
     * for this audience carries only these (and the OIDC ones), whatever else is asked for.
     */
    scopes: Type.Array(
      Type.Object(
        {
          value: Type.String({ minLength: 1, maxLength: 280, pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$' }),
          description: Type.String({ maxLength: 500, default: '' }),
        },
        { additionalProperties: false },
      ),
      { default: [], maxItems: 1000 },
    ),
    /**
     * Role-based access control (Auth0's "Enable RBAC"): a user's token for this API carries only
     * the scopes asked for that the user holds as permissions, through roles or directly.
     */
    enforce_policies: Type.Boolean({ default: false }),
    /**
     * The access token's profile: `access_token` (Auth0's), `rfc9068_profile` (RFC 9068: `client_id`
     * and `jti` instead of `azp`); the `_authz` forms add the `permissions` claim, which needs
     * `enforce_policies`.
     */
    token_dialect: Type.Union(
      [
        Type.Literal('access_token'),
        Type.Literal('access_token_authz'),
        Type.Literal('rfc9068_profile'),
        Type.Literal('rfc9068_profile_authz'),
      ],
      { default: 'access_token' },
    ),
  },
  { additionalProperties: false },
);
