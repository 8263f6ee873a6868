import { invalidBody } from './errors.ts';
import type { Application } from './model.ts';

/**
 * An application as Auth0's Management API speaks of a client. Tessera keeps the config file's
 * flat keys (`id_token_lifetime`, `refresh_token_leeway`); Auth0's SDKs send and read some of them
 * nested (`jwt_configuration`, `refresh_token`). Both are taken, and both are shown.
 */

/** How a client authenticates at /oauth/token: `none` is a public client, without a secret. */
export type AuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

const AUTH_METHODS: readonly string[] = ['none', 'client_secret_post', 'client_secret_basic'];

/** Auth0's nested members, each onto the flat key the schema checks (the value is checked there). */
const NESTED: Record<string, Record<string, string | { only: unknown }>> = {
  jwt_configuration: {
    alg: 'id_token_signing_alg',
    lifetime_in_seconds: 'id_token_lifetime',
    secret_encoded: { only: false },
  },
  refresh_token: {
    leeway: 'refresh_token_leeway',
    token_lifetime: 'refresh_token_lifetime',
    rotation_type: { only: 'rotating' },
    expiration_type: { only: 'expiring' },
    infinite_token_lifetime: { only: false },
  },
};

/** Members Auth0's answers carry that a client may send back unchanged (a read, edited, written). */
const ECHOED = { is_first_party: true, oidc_conformant: true, global: false } as const;

/**
 * A request body in the config file's keys: Auth0's nested members moved onto the flat ones, and
 * `token_endpoint_auth_method` taken out. Whatever else it holds is left for the schema to judge.
 */
export function fromAuth0(body: Record<string, unknown>): {
  fields: Record<string, unknown>;
  authMethod: AuthMethod | undefined;
} {
  const fields = structuredClone(body);
  const problems: string[] = [];
  for (const [member, keys] of Object.entries(NESTED)) {
    const nested = fields[member];
    if (nested === undefined) continue;
    delete fields[member];
    if (typeof nested !== 'object' || nested === null || Array.isArray(nested)) {
      problems.push(`${member}: must be object`);
      continue;
    }
    for (const [key, value] of Object.entries(nested)) {
      const target = keys[key];
      if (target === undefined) problems.push(`${member}: unknown key "${key}"`);
      else if (typeof target === 'string') fields[target] = value;
      else if (value !== target.only)
        problems.push(`${member}.${key}: must be ${JSON.stringify(target.only)}`);
    }
  }
  for (const [member, value] of Object.entries(ECHOED)) {
    if (!(member in fields)) continue;
    if (fields[member] !== value) problems.push(`${member}: must be ${JSON.stringify(value)}`);
    delete fields[member];
  }
  const method = fields.token_endpoint_auth_method;
  delete fields.token_endpoint_auth_method;
  if (method !== undefined && !AUTH_METHODS.includes(method as string))
    problems.push(`token_endpoint_auth_method: must be one of ${AUTH_METHODS.join(', ')}`);
  if (problems.length > 0) throw invalidBody(problems);
  return { fields, authMethod: method as AuthMethod | undefined };
}

/** Whether a new client of this type gets a secret when it names no authentication method. */
export function confidentialByDefault(appType: unknown): boolean {
  return appType === 'regular_web' || appType === 'non_interactive';
}

/**
 * A client as the Management API shows it: the config file's keys and Auth0's, never the secret.
 * `client_secret` is added only by the two answers that make one (create and rotate).
 */
export function clientView(app: Application) {
  const { client_secret, ...shown } = app;
  return {
    ...shown,
    token_endpoint_auth_method: (client_secret === undefined ? 'none' : 'client_secret_post') as AuthMethod,
    jwt_configuration: {
      alg: app.id_token_signing_alg,
      lifetime_in_seconds: app.id_token_lifetime,
      secret_encoded: false,
    },
    refresh_token: {
      rotation_type: 'rotating',
      expiration_type: 'expiring',
      leeway: app.refresh_token_leeway,
      token_lifetime: app.refresh_token_lifetime,
      infinite_token_lifetime: false,
    },
    ...ECHOED,
  };
}
