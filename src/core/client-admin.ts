import { ApplicationSchema } from '../config/schema.ts';
import { applySchema } from '../config/validate.ts';
import { confidentialByDefault, fromAuth0 } from './client-shape.ts';
import type { Context } from './context.ts';
import { AuthError, invalidBody, notFound } from './errors.ts';
import type { ManagementCaller } from './management-tokens.ts';
import type { Application } from './model.ts';
import { assertApiOwnsApplication } from './ownership.ts';
import { releaseDefaultApp } from './seed.ts';

/**
 * The Management API's clients (`/api/v2/clients`): applications made, changed and removed as the
 * config file declares them, checked by the same schema. A confidential client's secret is made
 * here, shown in the answer that made it, and never again (the store keeps it sealed).
 */

/** Bytes of a generated client_id (32 characters) and client_secret (64 characters), as Auth0's. */
const CLIENT_ID_BYTES = 24;
const SECRET_BYTES = 48;

/** Auth0's scope for what a client may get from an API (its client grants): here `management_scopes`. */
export const GRANT_SCOPE = 'update:client_grants';

/** `GET /api/v2/clients/{id}`: 404 `inexistent_client` as Auth0 answers. */
export async function getClientByAdmin(ctx: Context, clientId: string): Promise<Application> {
  const app = await ctx.store.getApplication(clientId);
  if (!app) throw notFound('client', 'The client does not exist');
  return app;
}

/** The applications, by client_id; `appTypes` keeps those of these types. */
export async function listClientsByAdmin(ctx: Context, appTypes?: string[]): Promise<Application[]> {
  const all = await ctx.store.listApplications();
  return appTypes === undefined ? all : all.filter((a) => appTypes.includes(a.app_type));
}

/**
 * `POST /api/v2/clients`: a generated client_id and, for a confidential client (`regular_web` and
 * `non_interactive` unless `token_endpoint_auth_method: none`; others when it names a secret
 * method), a generated secret.
 */
export async function createClientByAdmin(
  ctx: Context,
  caller: ManagementCaller,
  body: Record<string, unknown>,
): Promise<Application> {
  const { fields, authMethod } = fromAuth0(body);
  for (const key of ['client_id', 'client_secret'])
    if (key in fields) throw invalidBody([`${key}: is generated; leave it out`]);
  guardManagementScopes(caller, [], fields.management_scopes);
  const confidential =
    authMethod === undefined ? confidentialByDefault(fields.app_type) : authMethod !== 'none';
  const app = checked({
    ...fields,
    client_id: ctx.random.token(CLIENT_ID_BYTES),
    ...(confidential && { client_secret: ctx.random.token(SECRET_BYTES) }),
  });
  await ctx.store.putApplication(app);
  return app;
}

/**
 * `PATCH /api/v2/clients/{id}`: the members given replace the stored ones. The client_id and
 * secret cannot change here (rotate-secret makes a new secret).
 */
export async function updateClientByAdmin(
  ctx: Context,
  caller: ManagementCaller,
  clientId: string,
  patch: Record<string, unknown>,
): Promise<Application> {
  const stored = await getClientByAdmin(ctx, clientId);
  assertApiOwnsApplication(ctx, clientId);
  const { fields, authMethod } = fromAuth0(patch);
  if ('client_id' in fields && fields.client_id !== stored.client_id)
    throw invalidBody(["client_id: a client's client_id cannot be changed"]);
  if ('client_secret' in fields)
    throw invalidBody(['client_secret: use POST /api/v2/clients/{id}/rotate-secret']);
  if (authMethod !== undefined && (authMethod === 'none') !== (stored.client_secret === undefined))
    throw invalidBody(['token_endpoint_auth_method: a client cannot change between public and confidential']);
  if ('management_scopes' in fields)
    guardManagementScopes(caller, stored.management_scopes, fields.management_scopes);
  const app = checked({ ...structuredClone(stored), ...fields });
  await ctx.store.putApplication(app);
  await releaseDefaultApp(ctx.store, clientId);
  return app;
}

/**
 * `DELETE /api/v2/clients/{id}`: the application, its refresh tokens (revoked) and its codes: none
 * works again, even if an application with this client_id is made later.
 */
export async function deleteClientByAdmin(ctx: Context, clientId: string): Promise<void> {
  await getClientByAdmin(ctx, clientId);
  assertApiOwnsApplication(ctx, clientId);
  await ctx.store.deleteApplication(clientId);
  await ctx.store.revokeClientRefreshTokens(clientId, ctx.clock.now());
  await ctx.store.deleteClientCodes(clientId);
}

/**
 * `POST /api/v2/clients/{id}/rotate-secret`: a new secret at once; the old one stops working. The
 * new secret is the client's power: for a client with Management API scopes, the caller needs what
 * granting those scopes needs (`update:client_grants` and every one of them), so that no token
 * gets a stronger client's secret with `update:client_keys` alone.
 */
export async function rotateClientSecret(
  ctx: Context,
  caller: ManagementCaller,
  clientId: string,
): Promise<Application> {
  const stored = await getClientByAdmin(ctx, clientId);
  assertApiOwnsApplication(ctx, clientId);
  guardManagementScopes(caller, [], stored.management_scopes);
  if (stored.client_secret === undefined)
    throw new AuthError(
      400,
      'invalid_body',
      'The client is public (token_endpoint_auth_method none): it has no secret',
    );
  const app = { ...stored, client_secret: ctx.random.token(SECRET_BYTES) };
  await ctx.store.putApplication(app);
  return app;
}

/**
 * Who may change what a client gets from the Management API: a token with `update:client_grants`
 * (Auth0's scope for client grants), and only scopes that token carries itself, so no client can
 * hand out more than it holds. Scopes taken away need only the first.
 */
function guardManagementScopes(caller: ManagementCaller, before: string[], after: unknown): void {
  if (after === undefined || !Array.isArray(after)) return;
  const added = after.filter((s) => !before.includes(s as string));
  const removed = before.filter((s) => !after.includes(s));
  if (added.length === 0 && removed.length === 0) return;
  if (!caller.scopes.includes(GRANT_SCOPE))
    throw new AuthError(
      403,
      'insufficient_scope',
      `Changing management_scopes needs the ${GRANT_SCOPE} scope`,
    );
  const beyond = added.filter((s) => typeof s !== 'string' || !caller.scopes.includes(s));
  if (beyond.length > 0)
    throw new AuthError(
      403,
      'insufficient_scope',
      'A token can grant only management_scopes it carries itself',
    );
}

/** Validates a whole application with the config file's schema (defaults filled in). */
function checked(record: Record<string, unknown>): Application {
  const problems = applySchema(ApplicationSchema, record);
  if (problems.length > 0) throw invalidBody(problems);
  return record as unknown as Application;
}
