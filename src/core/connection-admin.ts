import { ConnectionSchema } from '../config/schema.ts';
import { applySchema } from '../config/validate.ts';
import type { Context } from './context.ts';
import { AuthError, invalidBody, notFound } from './errors.ts';
import type { Connection } from './model.ts';
import { assertApiOwnsConnection } from './ownership.ts';

/**
 * The Management API's connections (`/api/v2/connections`): made, changed and removed as the
 * config file declares them, checked by the same schema, and refused when they could not send.
 * Provider credentials are sealed by the store's codec and never shown back.
 */

/** `GET /api/v2/connections/{id}`: 404 `inexistent_connection` as Auth0 answers. */
export async function getConnectionByAdmin(ctx: Context, id: string): Promise<Connection> {
  const connection = await ctx.store.getConnectionById(id);
  if (!connection) throw notFound('connection', 'The connection does not exist');
  return connection;
}

/** The connections, by name, with Auth0's filters: any of `strategies`, and an exact `name`. */
export async function listConnectionsByAdmin(
  ctx: Context,
  filter: { strategies?: string[]; name?: string },
): Promise<Connection[]> {
  const all = await ctx.store.listConnections();
  return all.filter(
    (c) =>
      (filter.strategies === undefined || filter.strategies.includes(c.strategy)) &&
      (filter.name === undefined || c.name === filter.name),
  );
}

/** `POST /api/v2/connections`: `{ name, strategy, options?, enabled_clients? }`. */
export async function createConnectionByAdmin(
  ctx: Context,
  body: Record<string, unknown>,
): Promise<Connection> {
  const connection = checked(ctx, structuredClone(body));
  if (await ctx.store.getConnection(connection.name))
    throw new AuthError(409, 'connection_conflict', 'A connection with the same name already exists');
  await ctx.store.putConnection(connection);
  return (await ctx.store.getConnection(connection.name)) as Connection;
}

/**
 * `PATCH /api/v2/connections/{id}`: `options` and `enabled_clients`. As on Auth0, `options` replaces
 * the stored options whole; a credential it leaves out is kept while the provider stays the same,
 * and `null` removes it. The name and strategy cannot change.
 */
export async function updateConnectionByAdmin(
  ctx: Context,
  id: string,
  patch: Record<string, unknown>,
): Promise<Connection> {
  const stored = await getConnectionByAdmin(ctx, id);
  assertApiOwnsConnection(ctx, stored.name);
  for (const key of ['name', 'strategy'])
    if (key in patch && patch[key] !== stored[key as 'name'])
      throw invalidBody([`${key}: a connection's ${key} cannot be changed`]);
  const { id: _id, ...current } = stored;
  const options =
    patch.options === undefined
      ? current.options
      : keepCredentials(ctx, stored, structuredClone(patch.options) as Record<string, unknown>);
  const next = checked(ctx, { ...structuredClone(current), ...structuredClone(patch), options });
  await ctx.store.putConnection(next);
  return (await ctx.store.getConnection(next.name)) as Connection;
}

/**
 * `DELETE /api/v2/connections/{id}`. Its users are kept (Auth0 removes them): a connection made
 * again under the same name finds them.
 */
export async function deleteConnectionByAdmin(ctx: Context, id: string): Promise<void> {
  const stored = await getConnectionByAdmin(ctx, id);
  assertApiOwnsConnection(ctx, stored.name);
  await ctx.store.deleteConnection(stored.name);
}

/**
 * A connection as the Management API shows it: Auth0's members, with `options` lacking every
 * credential, and `credentials_set` saying of each credential its provider reads whether it is set.
 */
export function connectionView(ctx: Context, connection: Connection) {
  const options = structuredClone(connection.options) as Record<string, unknown>;
  for (const key of ctx.delivery.credentialKeys()) removePath(options, key);
  const credentials_set: Record<string, boolean> = {};
  for (const key of ctx.delivery.credentialKeys(connection))
    credentials_set[key] = valueAt(connection.options, key) != null;
  return {
    id: connection.id ?? '',
    name: connection.name,
    strategy: connection.strategy,
    enabled_clients: connection.enabled_clients,
    options,
    credentials_set,
    realms: [connection.name],
    is_domain_connection: false,
  };
}

/** Validates a whole connection with the config file's schema and the providers' own checks. */
function checked(ctx: Context, record: Record<string, unknown>): Connection {
  const problems = applySchema(ConnectionSchema, record);
  if (problems.length > 0) throw invalidBody(problems);
  const connection = record as unknown as Connection;
  const unusable = ctx.delivery.problems(connection);
  if (unusable.length > 0) throw invalidBody(unusable.map((p) => p.replace(/^connection "[^"]*" /, '')));
  return connection;
}

/** Settings that say where a provider sends its credentials: `twilio_base_url`, `host`, `port`... */
const DESTINATION = /(^|_)(url|host|port|domain)$/;

/**
 * New options with the stored credentials they leave out, where the same provider reads them at
 * the same address. A PATCH that points the provider somewhere else (its base URL, host or port)
 * must send the credential again: a stored one is never sent to an address the caller chose.
 */
function keepCredentials(ctx: Context, stored: Connection, options: Record<string, unknown>) {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return options;
  for (const key of ctx.delivery.credentialKeys(stored)) {
    const block = key.startsWith('failover.') ? 'failover.provider' : 'provider';
    const given = valueAt(options, key);
    if (given === null) removePath(options, key);
    else if (given === undefined && valueAt(options, block) === valueAt(stored.options, block)) {
      const kept = valueAt(stored.options, key);
      if (kept === undefined) continue;
      const moved = movedDestination(stored.options, options, key);
      if (moved !== undefined)
        throw invalidBody([
          `${key}: send it again, since ${moved} changed (a stored credential goes only where it went)`,
        ]);
      setPath(options, key, kept);
    }
  }
  return options;
}

/** The destination setting beside `key` whose new value differs from the stored one, if any. */
function movedDestination(before: unknown, after: unknown, key: string): string | undefined {
  const parent = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
  const given = parent ? valueAt(after, parent) : after;
  const stored = parent ? valueAt(before, parent) : before;
  if (typeof given !== 'object' || given === null) return undefined;
  for (const [name, value] of Object.entries(given)) {
    if (!DESTINATION.test(name) || value === undefined) continue;
    const was =
      typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>)[name] : undefined;
    if (JSON.stringify(value) !== JSON.stringify(was)) return parent ? `${parent}.${name}` : name;
  }
  return undefined;
}

function valueAt(object: unknown, path: string): unknown {
  let at: unknown = object;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function setPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop() as string;
  let at = object;
  for (const key of keys) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[last] = value;
}

function removePath(object: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  const last = keys.pop() as string;
  const parent = valueAt(object, keys.join('.'));
  if (keys.length === 0) delete object[last];
  else if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[last];
}
