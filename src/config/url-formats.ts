/**
 * String formats for the URLs an application registers. Each of them ends up in a header
 * (Location, Content-Security-Policy, Access-Control-Allow-Origin) or is compared with what a
 * browser sends, so a value must be an absolute http(s) URL of printable ASCII: no space, control
 * character or raw non-ASCII (write international names in punycode, percent-encode the rest).
 */
export const URL_FORMATS = {
  /** An absolute http:// or https:// URL. */
  'http-url': isHttpUrl,
  /**
   * A redirect URI: an absolute http(s) URL, or a native app's private-use scheme
   * (`com.example.app:/callback`, RFC 8252) — never javascript:, data: or another browser scheme.
   */
  'redirect-uri': isRedirectUri,
  /** `scheme://host[:port]`, what a browser sends as Origin (a trailing `/` is tolerated). */
  'web-origin': isWebOrigin,
} as const;

export type UrlFormat = keyof typeof URL_FORMATS;

/** What a value of each format must be, for the message that names a bad one. */
export const URL_FORMAT_RULES: Record<UrlFormat, string> = {
  'redirect-uri':
    "must be an absolute http(s):// URL, or a native app's reverse-domain scheme such as com.example.app:/callback, of printable ASCII",
  'http-url':
    'must be an absolute http:// or https:// URL of printable ASCII (no spaces or control characters)',
  'web-origin':
    'must be an origin, http(s)://host[:port] with no path, query or user, of printable ASCII (no spaces or control characters)',
};

// After the scheme, a host (browsers would skip extra slashes, and read `\` as `/`), then printable
// ASCII only.
const PRINTABLE_HTTP = /^https?:\/\/(?![/?#])[\x21-\x5b\x5d-\x7e]+$/;
const ORIGIN = /^https?:\/\/[^/?#@]+\/?$/;

function isHttpUrl(value: string): boolean {
  return PRINTABLE_HTTP.test(value) && URL.canParse(value);
}

// A private-use scheme has a dot (reverse domain name, RFC 8252 section 7.1), which no browser
// scheme such as javascript: or data: has.
const PRIVATE_USE = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:[\x21-\x7e]+$/i;

function isRedirectUri(value: string): boolean {
  return isHttpUrl(value) || (PRIVATE_USE.test(value) && URL.canParse(value));
}

function isWebOrigin(value: string): boolean {
  return isHttpUrl(value) && ORIGIN.test(value);
}
