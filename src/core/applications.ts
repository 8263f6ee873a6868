import { secretsEqual } from './codes.ts';
import type { Context } from './context.ts';
import { AuthError, invalidClient, unauthorizedClient } from './errors.ts';
import type { Application, Connection } from './model.ts';

/** Which endpoint family is asking: the error codes differ between /passwordless and /oauth. */
export type Family = 'passwordless' | 'oauth';

/** Looks up the application, failing with the family's error code when it is unknown. */
export async function findApplication(ctx: Context, clientId: unknown, family: Family): Promise<Application> {
  const app =
    typeof clientId === 'string' && clientId.length > 0
      ? await ctx.store.getApplication(clientId)
      : undefined;
  if (app) return app;
  if (family === 'passwordless') throw new AuthError(400, 'bad.client_id', 'Unknown client_id');
  throw invalidClient('Unknown client or client authentication failed');
}

/** Confidential applications (those with a secret) must present it; public ones need not. */
export function authenticateClient(app: Application, secret: unknown, family: Family): void {
  if (app.client_secret === undefined) return;
  if (typeof secret === 'string' && secretsEqual(secret, app.client_secret)) return;
  const description =
    secret === undefined || secret === ''
      ? 'client_secret is required for this client'
      : 'Wrong client_secret';
  throw new AuthError(401, family === 'passwordless' ? 'unauthorized_client' : 'invalid_client', description);
}

export function requireGrant(app: Application, ...grants: string[]): void {
  if (grants.some((g) => app.grant_types.includes(g))) return;
  throw unauthorizedClient(`Grant type '${grants[0]}' not allowed for the client.`);
}

/** The named connection, provided it exists and is enabled for this application. */
export async function findConnection(
  ctx: Context,
  app: Application,
  name: unknown,
  family: Family,
): Promise<Connection> {
  const code = family === 'passwordless' ? 'bad.connection' : 'invalid_request';
  const connection =
    typeof name === 'string' && name.length > 0 ? await ctx.store.getConnection(name) : undefined;
  if (!connection) throw new AuthError(400, code, 'Connection does not exist');
  const enabled = isEnabledFor(connection, app);
  if (!enabled) throw new AuthError(400, code, 'Connection is disabled');
  return connection;
}

/** Whether the connection may be used by the application (`enabled_clients`, `*` for every one). */
export function isEnabledFor(connection: Connection, app: Application): boolean {
  return connection.enabled_clients.includes('*') || connection.enabled_clients.includes(app.client_id);
}

/**
 * The origins an application's pages may call Tessera from (`allowed_origins` and `web_origins`),
 * as a browser's Origin header says them: a registered trailing slash is dropped.
 */
export function allowedOrigins(app: Application): string[] {
  return [...app.allowed_origins, ...app.web_origins].map((o) => (o.endsWith('/') ? o.slice(0, -1) : o));
}

/** Whether an application's pages may call Tessera from this origin. */
export function originAllowed(app: Application, origin: string): boolean {
  return allowedOrigins(app).includes(origin);
}

/** Redirect URIs match one of the registered callbacks exactly: no prefix or wildcard matching. */
export function isRegisteredCallback(app: Application, redirectUri: string): boolean {
  return app.callbacks.includes(redirectUri);
}
