import type { ErrorObject } from 'ajv';
import { type Static, type TObject, type TSchema, Type } from 'typebox';
import { keyOf, schemaErrors } from '../config/validate.ts';
import type { Provider, ProviderFactory } from './provider.ts';

/**
 * A provider as its file declares it: its name and channel, its settings as a TypeBox schema (the
 * keys it reads from a connection's options, or from a `failover` block), and how it is made from
 * valid settings.
 */
export interface ProviderSpec<T extends TObject> {
  /** The `provider` value that selects it, e.g. `twilio`. */
  name: string;
  channel: 'sms' | 'email';
  /** Mark credentials with `credential: true` (Credential()): sealed at rest, never shown back or logged. */
  settings: T;
  /**
   * Rules across settings that the schema cannot say (`smtp.pass` with `smtp.user`), over the
   * settings as written: one may be malformed, so test presence, not shape. Returns the problems.
   */
  check?(given: Record<string, unknown>): string[];
  make(settings: Static<T>): Provider;
}

/**
 * The factory for a provider: reads its settings out of a connection's options through the
 * config validator, with defaults filled and every problem reported at once, each naming its key
 * (`smtp.host is required`, `twilio_sid must be a Twilio Account SID ...`) and never its value,
 * which may be a credential. Unset settings are left out first: null (Auth0 stores unset keys as
 * null) and blank strings. Values are never trimmed.
 */
export function defineProvider<T extends TObject>(spec: ProviderSpec<T>): ProviderFactory {
  return {
    name: spec.name,
    channel: spec.channel,
    secretKeys: credentialPaths(spec.settings),
    create(options) {
      const given: Record<string, unknown> = {};
      for (const key of Object.keys(spec.settings.properties)) {
        const value = withoutUnset(options[key]);
        if (value !== undefined) given[key] = value;
      }
      const problems = [...schemaErrors(spec.settings, given).map(problem), ...(spec.check?.(given) ?? [])];
      return problems.length > 0 ? { problems } : spec.make(given as Static<T>);
    },
  };
}

/** A string setting; `mustBe` words the problem when it does not match `pattern`. */
export function Text(options: { pattern?: string; mustBe?: string; default?: string } = {}) {
  return Type.String(options);
}

/** A credential: sealed in the store, never shown back or logged. */
export function Credential() {
  return Type.String({ credential: true });
}

/** An absolute http(s) URL (an API's base address, a gateway), of printable ASCII. */
export function HttpUrl(options: { default?: string; mustBe?: string } = {}) {
  return Type.String({ format: 'http-url', mustBe: 'an absolute http or https URL', ...options });
}

export function Port() {
  return Type.Integer({ minimum: 1, maximum: 65_535, mustBe: 'a port number (1-65535)' });
}

/** true or false; Auth0's own examples write the strings `"true"` and `"false"`, which count too. */
export function Switch() {
  return Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')], {
    mustBe: 'true or false',
  });
}

/** Whether a Switch() is on; unset is off. */
export function isOn(value: unknown): boolean {
  return value === true || value === 'true';
}

/** A settings block as written (`options.smtp`), for a check(): empty when it is not an object. */
export function blockOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** How a value of each type is named when a setting has the wrong one. */
const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
};

/** One problem in a provider's words: `<key> is required`, `<key> must be <what the schema says>`. */
function problem(error: ErrorObject): string {
  if (error.keyword === 'required') {
    const { missingProperty } = error.params as { missingProperty: string };
    return `${error.instancePath === '' ? '' : `${keyOf(error)}.`}${missingProperty} is required`;
  }
  const typeName = error.keyword === 'type' ? TYPE_NAMES[String(error.params.type)] : undefined;
  const mustBe = typeName ?? (error.parentSchema as { mustBe?: string } | undefined)?.mustBe;
  return `${keyOf(error)} ${mustBe ? `must be ${mustBe}` : (error.message ?? 'is not valid')}`;
}

/** The value with unset settings left out: null, and strings that are empty or only spaces. */
function withoutUnset(value: unknown): unknown {
  if (value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return value;
  const kept: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const cleaned = withoutUnset(inner);
    if (cleaned !== undefined) kept[key] = cleaned;
  }
  return kept;
}

/** The dotted keys of the settings marked `credential`. */
function credentialPaths(schema: TSchema, prefix = ''): string[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  return Object.entries(properties).flatMap(([key, inner]) =>
    (inner as { credential?: boolean }).credential
      ? [`${prefix}${key}`]
      : credentialPaths(inner, `${prefix}${key}.`),
  );
}
