import { createHash } from 'node:crypto';
import type { Context } from './context.ts';
import { AuthError } from './errors.ts';
import { managementAudience } from './management-tokens.ts';
import type { Api, PermissionRef } from './model.ts';

/**
 * The scopes of Tessera's Management API, as its resource server lists them (Auth0 lists its own
 * Management API among the resource servers, `is_system: true`).
 */
export const MANAGEMENT_SCOPES = [
  'read:users',
  'create:users',
  'update:users',
  'delete:users',
  'read:roles',
  'create:roles',
  'update:roles',
  'delete:roles',
  'read:role_members',
  'create:role_members',
  'delete:role_members',
  'read:resource_servers',
] as const;

/** An API (a resource server) as Auth0's Management API shows it. */
export interface ResourceServerView {
  id: string;
  name: string;
  is_system: boolean;
  identifier: string;
  scopes: { value: string; description: string }[];
  signing_alg: 'RS256';
  allow_offline_access: boolean;
  skip_consent_for_verifiable_first_party_clients: boolean;
  token_lifetime: number;
  token_lifetime_for_web: number;
  enforce_policies: boolean;
  token_dialect: Api['token_dialect'];
}

/** The API a configured identifier names, if any. */
export function findApi(ctx: Context, identifier: string | null): Api | undefined {
  return identifier === null ? undefined : ctx.config.apis.find((api) => api.identifier === identifier);
}

/**
 * Every resource server: the Management API first, then the configured APIs in their order. An API's
 * `id` is derived from its identifier (24 hex digits, as Auth0's look), so it stays the same
 * across restarts and instances.
 */
export function resourceServers(ctx: Context): ResourceServerView[] {
  const management: ResourceServerView = {
    ...view({
      identifier: managementAudience(ctx),
      name: 'Tessera Management API',
      token_lifetime: 86_400,
      scopes: MANAGEMENT_SCOPES.map((value) => ({ value, description: '' })),
      enforce_policies: false,
      token_dialect: 'access_token',
    }),
    is_system: true,
  };
  return [management, ...ctx.config.apis.map(view)];
}

/** One resource server by its `id` or its identifier, as Auth0 takes either; 404 otherwise. */
export function getResourceServer(ctx: Context, idOrIdentifier: string): ResourceServerView {
  const found = resourceServers(ctx).find((s) => s.id === idOrIdentifier || s.identifier === idOrIdentifier);
  if (!found) throw new AuthError(404, 'inexistent_resource_server', 'The resource server does not exist.');
  return found;
}

/**
 * Refuses permissions no configured API defines (400, as Auth0 refuses a permission its resource
 * server lacks): a role or user can only be given what an API's `scopes` list.
 */
export function checkPermissions(ctx: Context, permissions: PermissionRef[]): void {
  for (const p of permissions) {
    const api = findApi(ctx, p.resource_server_identifier);
    if (!api) {
      throw new AuthError(
        400,
        'invalid_body',
        `Resource server not found: ${p.resource_server_identifier.slice(0, 200)}`,
      );
    }
    if (!api.scopes.some((s) => s.value === p.permission_name)) {
      throw new AuthError(
        400,
        'invalid_body',
        `Permission ${p.permission_name.slice(0, 200)} is not defined by ${api.identifier.slice(0, 200)}`,
      );
    }
  }
}

/** A permission as Auth0 lists it: with its API's name and the scope's description. */
export function permissionView(ctx: Context, p: PermissionRef) {
  const api = findApi(ctx, p.resource_server_identifier);
  return {
    resource_server_identifier: p.resource_server_identifier,
    permission_name: p.permission_name,
    resource_server_name: api?.name ?? '',
    description: api?.scopes.find((s) => s.value === p.permission_name)?.description ?? '',
  };
}

function view(
  api: Pick<Api, 'identifier' | 'name' | 'token_lifetime' | 'scopes' | 'enforce_policies' | 'token_dialect'>,
): ResourceServerView {
  return {
    id: createHash('sha256').update(api.identifier).digest('hex').slice(0, 24),
    name: api.name || api.identifier,
    is_system: false,
    identifier: api.identifier,
    scopes: api.scopes.map((s) => ({ value: s.value, description: s.description })),
    signing_alg: 'RS256',
    allow_offline_access: true,
    skip_consent_for_verifiable_first_party_clients: true,
    token_lifetime: api.token_lifetime,
    token_lifetime_for_web: api.token_lifetime,
    enforce_policies: api.enforce_policies,
    token_dialect: api.token_dialect,
  };
}
