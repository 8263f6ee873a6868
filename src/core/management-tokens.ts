import { jwtVerify } from 'jose';
import type { Context } from './context.ts';
import { AuthError } from './errors.ts';

/** The `azp` of tokens `tessera token` signs on the server's host: an operator, not an application. */
export const CLI_CLIENT_ID = 'tessera-cli';

/** The Management API's audience, as Auth0's SDKs ask for it: `<issuer>api/v2/`. */
export function managementAudience(ctx: Context): string {
  return `${ctx.config.issuer}api/v2/`;
}

/** Signs a Management API access token (used by the client_credentials grant and `tessera token`). */
export function issueManagementToken(
  ctx: Context,
  subject: string,
  clientId: string,
  scopes: string[],
  lifetime: number,
): Promise<string> {
  const now = Math.floor(ctx.clock.now() / 1000);
  return ctx.keys.sign(
    {
      iss: ctx.config.issuer,
      sub: subject,
      aud: managementAudience(ctx),
      iat: now,
      exp: now + lifetime,
      scope: scopes.join(' '),
      azp: clientId,
      gty: 'client-credentials',
    },
    'at+jwt',
  );
}

/** Who called the Management API: the application the token was issued to, and its scopes. */
export interface ManagementCaller {
  clientId: string;
  scopes: string[];
}

/**
 * Checks a Management API bearer token and that it carries `scope` (or, given several, one of
 * them). A missing or bad token is 401, a good token without the scope is 403, as Auth0 answers.
 */
export async function authoriseManagement(
  ctx: Context,
  authorization: string | undefined,
  scope: string | readonly string[],
): Promise<ManagementCaller> {
  const caller = await managementCaller(ctx, authorization);
  const wanted = typeof scope === 'string' ? [scope] : scope;
  if (!wanted.some((s) => caller.scopes.includes(s)))
    throw new AuthError(
      403,
      'insufficient_scope',
      `Insufficient scope, expected any of: ${wanted.join(',')}`,
    );
  return caller;
}

/** Who calls the Management API: the application a valid bearer token was issued to, and its scopes. */
export async function managementCaller(
  ctx: Context,
  authorization: string | undefined,
): Promise<ManagementCaller> {
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(authorization ?? '');
  if (!match) throw new AuthError(401, 'unauthorized', 'Missing or malformed Authorization bearer token');
  let caller: ManagementCaller;
  try {
    const { payload } = await jwtVerify(match[1] as string, ctx.keys.verificationKeys, {
      issuer: ctx.config.issuer,
      audience: managementAudience(ctx),
      currentDate: new Date(ctx.clock.now()),
      typ: 'at+jwt',
    });
    // Only tokens made for the Management API (client_credentials or `tessera token`) qualify:
    // never a user's token, whatever its audience and scopes say.
    if (payload.gty !== 'client-credentials' || !String(payload.sub).endsWith('@clients'))
      throw new Error('not a client token');
    caller = { clientId: String(payload.azp ?? ''), scopes: String(payload.scope ?? '').split(' ') };
  } catch {
    throw new AuthError(401, 'unauthorized', 'Invalid or expired token');
  }
  if (caller.clientId === CLI_CLIENT_ID) return caller;
  // A token is worth what its application still holds: a deleted application's tokens, or one
  // that lost client_credentials, stop at once, and a scope taken away is gone from its tokens.
  const app = await ctx.store.getApplication(caller.clientId);
  if (!app?.grant_types.includes('client_credentials'))
    throw new AuthError(401, 'unauthorized', 'Invalid or expired token');
  return { ...caller, scopes: caller.scopes.filter((scope) => app.management_scopes.includes(scope)) };
}
