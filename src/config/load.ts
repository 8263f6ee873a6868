import { accessSync, constants, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Config, ConfigSchema } from './schema.ts';
import { parseTrustProxy, trustProxyProblems } from './trust-proxy.ts';
import { applySchema } from './validate.ts';

/** Thrown when the configuration is invalid; its message names every bad key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  /** Path of a YAML or JSON file; falls back to `TESSERA_CONFIG`. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values that win over both the file and the environment (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

/** Reads the config file and environment once, applies defaults and validates the result. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.TESSERA_CONFIG;
  const fromFile = file ? substituteEnv(readConfigFile(file), env, file) : {};
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
    throw new ConfigError(`${file}: expected a mapping of settings at the top level`);
  }
  const environment = fromEnv(env);
  // The environment's metrics token joins the file's other metrics settings instead of replacing them.
  const fileMetrics = (fromFile as Record<string, unknown>).metrics;
  if (environment.metrics && isMapping(fileMetrics))
    environment.metrics = { ...fileMetrics, ...environment.metrics };
  const merged = { ...fromFile, ...environment, ...options.overrides };
  return validateConfig(merged, file ?? 'configuration');
}

/** Applies defaults to a plain object and validates it against the schema. */
export function validateConfig(raw: unknown, source = 'configuration'): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}: expected an object at the top level`);
  }
  const withDefaults = structuredClone(raw);
  const problems = applySchema(ConfigSchema, withDefaults);
  if (problems.length > 0) {
    throw new ConfigError(`${source} is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  const config = withDefaults as Config;
  config.issuer = normaliseIssuer(
    config.issuer ??
      `${config.tls ? 'https' : 'http'}://localhost:${config.port === 0 ? 3000 : config.port}/`,
  );
  checkReferences(config, source);
  return config;
}

/**
 * Replaces `${NAME}` in every string of the file with the environment variable NAME, so secrets
 * (provider tokens, client secrets) can stay out of the file. An unset variable is an error.
 */
function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, file: string, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined) {
        throw new ConfigError(
          `${file} is invalid:\n  - ${path.slice(1) || '(top level)'}: environment variable ${name} is not set`,
        );
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, file, `${path}.${i}`));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnv(item, env, file, `${path}.${key}`)]),
    );
  }
  return value;
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  try {
    return extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.PORT) out.port = Number(env.PORT);
  if (env.HOST) out.host = env.HOST;
  if (env.TESSERA_DATA_DIR) out.data_dir = env.TESSERA_DATA_DIR;
  if (env.TESSERA_ISSUER) out.issuer = env.TESSERA_ISSUER;
  if (env.DATABASE_URL) out.database_url = env.DATABASE_URL;
  if (env.DATABASE_SCHEMA) out.database_schema = env.DATABASE_SCHEMA;
  if (env.TESSERA_DATABASE_POOL_SIZE) out.database_pool_size = Number(env.TESSERA_DATABASE_POOL_SIZE);
  if (env.TESSERA_TRUST_PROXY) out.trust_proxy = parseTrustProxy(env.TESSERA_TRUST_PROXY);
  if (env.REDIS_URL) out.redis_url = env.REDIS_URL;
  if (env.TESSERA_READINESS_REQUIRES_COUNTERS)
    out.readiness_requires_counters = !['false', '0'].includes(env.TESSERA_READINESS_REQUIRES_COUNTERS);
  if (env.TESSERA_REDIS_PREFIX) out.redis_prefix = env.TESSERA_REDIS_PREFIX;
  if (env.TESSERA_MASTER_KEY) out.master_key = env.TESSERA_MASTER_KEY;
  if (env.TESSERA_TLS_CERT || env.TESSERA_TLS_KEY)
    out.tls = { cert: env.TESSERA_TLS_CERT, key: env.TESSERA_TLS_KEY };
  if (env.LOG_LEVEL) out.log_level = env.LOG_LEVEL;
  if (env.TESSERA_METRICS_TOKEN) out.metrics = { token: env.TESSERA_METRICS_TOKEN };
  if (env.NODE_ENV === 'production' || env.NODE_ENV === 'test') out.environment = env.NODE_ENV;
  if (env.TESSERA_DEV_INBOX)
    out.dev_inbox = env.TESSERA_DEV_INBOX === 'true' || env.TESSERA_DEV_INBOX === '1';
  return out;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normaliseIssuer(issuer: string): string {
  return issuer.endsWith('/') ? issuer : `${issuer}/`;
}

function checkReferences(config: Config, source: string): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  config.applications.forEach((app, i) => {
    if (seen.has(app.client_id)) problems.push(`applications.${i}.client_id: duplicate "${app.client_id}"`);
    seen.add(app.client_id);
    app.callbacks.forEach((uri, j) => {
      if (!URL.canParse(uri)) problems.push(`applications.${i}.callbacks.${j}: not an absolute URL`);
    });
  });
  const names = new Set<string>();
  config.connections.forEach((connection, i) => {
    if (names.has(connection.name)) problems.push(`connections.${i}.name: duplicate "${connection.name}"`);
    names.add(connection.name);
  });
  config.apis.forEach((api, i) => {
    if (api.identifier === `${config.issuer}api/v2/`) {
      problems.push(
        `apis.${i}.identifier: ${api.identifier} is the Management API, which only client_credentials may use`,
      );
    }
    if (api.token_dialect.endsWith('_authz') && !api.enforce_policies) {
      problems.push(
        `apis.${i}.token_dialect: ${api.token_dialect} adds the user's permissions to the token, which needs enforce_policies: true (RBAC)`,
      );
    }
  });
  problems.push(...trustProxyProblems(config.trust_proxy));
  const pow = config.proof_of_work;
  if (pow.enabled && pow.after_starts_per_ip >= config.rate_limits.start_per_ip_per_hour) {
    problems.push(
      'proof_of_work.after_starts_per_ip: must be below rate_limits.start_per_ip_per_hour, or no start ever asks for a proof of work',
    );
  }
  if (config.shutdown.drain_ms >= config.shutdown.timeout_ms) {
    problems.push('shutdown.drain_ms: must be shorter than shutdown.timeout_ms, which counts the drain too');
  }
  for (const key of ['cert', 'key'] as const) {
    const file = config.tls?.[key];
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch {
      problems.push(`tls.${key}: cannot read ${file}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`${source} is invalid:\n  - ${problems.join('\n  - ')}`);
}
