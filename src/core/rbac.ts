import type { Context } from './context.ts';
import type { Api } from './model.ts';

/** What an API's policies leave of a grant: the scope, and the `permissions` claim when its dialect adds one. */
export interface PolicyOutcome {
  scope: string;
  permissions?: string[];
}

/**
 * Applies an API's RBAC (`enforce_policies`), as Auth0 does: the API's scopes in the token are
 * those asked for that the user holds as permissions (through roles or directly); OIDC scopes are
 * left alone. Without RBAC the scope is kept as asked and nothing is looked up. Runs at every
 * issue (login, code exchange, refresh), so that a permission taken away is gone at the next one.
 */
export async function applyPolicies(
  ctx: Context,
  api: Api | undefined,
  userId: string,
  scope: string,
): Promise<PolicyOutcome> {
  if (!api?.enforce_policies) return { scope };
  const defined = new Set(api.scopes.map((s) => s.value));
  // A permission stored for a scope the API no longer defines counts for nothing.
  const held = (await ctx.store.permissionsFor(userId, api.identifier)).filter((p) => defined.has(p)).sort();
  const holds = new Set(held);
  const kept = scope.split(' ').filter((s) => s.length > 0 && (!defined.has(s) || holds.has(s)));
  return {
    scope: kept.join(' '),
    ...(api.token_dialect.endsWith('_authz') && { permissions: held }),
  };
}
