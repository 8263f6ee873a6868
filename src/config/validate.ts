import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from 'typebox';
import { URL_FORMAT_RULES, URL_FORMATS } from './url-formats.ts';

// One Ajv for every settings schema: it fills defaults while it validates, and reports every
// problem at once. (Fastify's own Ajv validates requests; this one never sees a request.)
const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false, coerceTypes: false, verbose: true });
for (const [name, check] of Object.entries(URL_FORMATS))
  ajv.addFormat(name, { type: 'string', validate: check });
const compiled = new WeakMap<TSchema, ValidateFunction>();

/** Fills defaults in `value` (in place) and returns the problems, each naming its dotted key. */
export function applySchema(schema: TSchema, value: unknown): string[] {
  const kept = schemaErrors(schema, value);
  if (kept.length === 0) return [];
  // Unknown keys of one object are named together.
  const unknown = new Map<string, string[]>();
  for (const e of kept.filter((e) => e.keyword === 'additionalProperties')) {
    const keys = unknown.get(keyOf(e)) ?? [];
    keys.push((e.params as { additionalProperty: string }).additionalProperty);
    unknown.set(keyOf(e), keys);
  }
  const named = [...unknown].map(
    ([key, keys]) =>
      `${key}: unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`,
  );
  const others = kept.filter((e) => e.keyword !== 'additionalProperties' && e.keyword !== 'propertyNames');
  return [...new Set([...named, ...others.map(describe)])];
}

/**
 * Fills defaults in `value` (in place) and returns what the schema finds wrong with it, without a
 * failed union's noise: for callers that word the problems their own way (provider settings).
 */
export function schemaErrors(schema: TSchema, value: unknown): ErrorObject[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate(value) ? [] : withoutUnionNoise(validate.errors ?? []);
}

/**
 * A failed union (anyOf) reports every branch's complaint. A branch of the wrong type says
 * nothing useful; when the branch of the right type has something to say, that is kept instead
 * of the union's own summary.
 */
function withoutUnionNoise(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath);
  const within = (e: ErrorObject, p: string) => e.instancePath === p || e.instancePath.startsWith(`${p}/`);
  const inUnion = (e: ErrorObject) => unions.some((p) => within(e, p));
  const wrongBranch = (e: ErrorObject) =>
    unions.includes(e.instancePath) && (e.keyword === 'type' || e.keyword === 'const');
  const specific = errors.filter(
    (e) => e.keyword !== 'anyOf' && e.keyword !== 'propertyNames' && inUnion(e) && !wrongBranch(e),
  );
  const covered = new Set(unions.filter((p) => specific.some((e) => within(e, p))));
  return errors.filter((e) => {
    if (e.keyword === 'anyOf') return !covered.has(e.instancePath);
    return !inUnion(e) || specific.includes(e);
  });
}

/** The dotted key an error is about, e.g. `applications.0.callbacks`. */
export function keyOf(error: ErrorObject): string {
  // A bad key of a map (propertyNames) is named as that key.
  const path = error.instancePath + (error.propertyName === undefined ? '' : `/${error.propertyName}`);
  return path === '' ? '(top level)' : path.slice(1).replaceAll('/', '.');
}

function describe(error: ErrorObject): string {
  const key = keyOf(error);
  if (error.keyword === 'anyOf') {
    const branches = (error.parentSchema as { anyOf?: { const?: unknown; type?: string }[] })?.anyOf ?? [];
    const allowed = branches
      .map((b) => (b.const !== undefined ? JSON.stringify(b.const) : b.type))
      .filter(Boolean);
    return `${key}: must be ${allowed.length > 0 ? `one of ${allowed.join(', ')}` : 'one of the allowed forms'}`;
  }
  if (error.keyword === 'format') {
    const rule =
      URL_FORMAT_RULES[(error.params as { format: string }).format as keyof typeof URL_FORMAT_RULES];
    if (rule) return `${key}: ${rule}`;
  }
  return `${key}: ${(error.message ?? 'is not valid').replace('must NOT', 'must not')}`;
}
