import type { Context } from './context.ts';
import { managementCaller } from './management-tokens.ts';

/** A Management API write as it was answered: the route's template, never its body or URL. */
export interface ApiOperation {
  method: string;
  /** The router's template (`/api/v2/users/:id`). */
  route: string;
  status: number;
  authorization: string | undefined;
  ip: string;
  user_agent: string | null;
}

/**
 * Writes a Management API write to the tenant log: `sapi` when it succeeded, `fapi` when it was
 * refused. The caller is the application its token was issued to, when the token is good.
 */
export async function logApiOperation(ctx: Context, operation: ApiOperation): Promise<void> {
  const caller = await managementCaller(ctx, operation.authorization).catch(() => undefined);
  const app = caller?.clientId
    ? await ctx.store.getApplication(caller.clientId).catch(() => undefined)
    : undefined;
  const ok = operation.status < 400;
  ctx.tenantLog.emit({
    type: ok ? 'sapi' : 'fapi',
    description: `${ok ? 'Success' : 'Failed'} API Operation: ${operation.method} ${operation.route}`,
    client_id: caller?.clientId || null,
    client_name: app?.name ?? null,
    ip: operation.ip,
    user_agent: operation.user_agent,
    details: {
      request: { method: operation.method, path: operation.route },
      response: { statusCode: operation.status },
    },
  });
}
