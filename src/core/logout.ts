import { decodeJwt } from 'jose';
import type { Context } from './context.ts';
import type { Application } from './model.ts';
import { endSession } from './sessions.ts';
import { appFields } from './tenant-log.ts';

/** The query of `GET /v2/logout` (Auth0's names, and OIDC RP-initiated logout's). */
export interface LogoutRequest {
  client_id?: string;
  returnTo?: string;
  post_logout_redirect_uri?: string;
  id_token_hint?: string;
  state?: string;
}

/** Where the browser goes after logout; `refused` when it asked for an address no app registered. */
export type LogoutOutcome = { location: string } | { location: null; refused: boolean };

/**
 * Ends the browser's session, then redirects only to a URL in the application's
 * `allowed_logout_urls` (with no client named: in some application's list).
 */
export async function logout(
  ctx: Context,
  req: LogoutRequest,
  sessionToken: string | undefined,
  ip?: string,
): Promise<LogoutOutcome> {
  const session = await endSession(ctx, sessionToken);
  const clientId = req.client_id ?? audienceOf(req.id_token_hint);
  const app = clientId ? await ctx.store.getApplication(clientId) : undefined;
  if (session)
    ctx.tenantLog.emit({
      type: 'slo',
      ...(app && appFields(app)),
      user_id: session.user_id,
      ip: ip ?? null,
    });
  const apps = app ? [app] : clientId ? [] : await ctx.store.listApplications();
  const oidc = req.post_logout_redirect_uri !== undefined;
  const asked = req.returnTo ?? req.post_logout_redirect_uri;
  if (asked === undefined || asked === '') {
    const first = app?.allowed_logout_urls[0];
    return first ? { location: first } : { location: null, refused: false };
  }
  // The browser goes to the registered URL, never the caller's spelling of it: the two may differ
  // in ways that normalise away (a full-width dot) yet cannot go in a Location header.
  const registered = apps.map((a) => registeredMatch(a, asked)).find((url) => url !== undefined);
  if (registered === undefined) return { location: null, refused: true };
  if (!oidc || req.state === undefined) return { location: registered };
  const url = new URL(registered);
  url.searchParams.set('state', req.state);
  return { location: url.toString() };
}

/**
 * The app's logout URL the asked one names: an exact match, except that `https://app.example` and
 * `https://app.example/` are the same place.
 */
function registeredMatch(app: Application, url: string): string | undefined {
  const normal = (u: string) => (URL.canParse(u) ? new URL(u).href : u);
  const asked = normal(url);
  return app.allowed_logout_urls.find((allowed) => normal(allowed) === asked);
}

/**
 * The client an id_token hint was issued to. Its signature is not checked: it only chooses which
 * application's list the return address must be in, never lets through one outside it.
 */
function audienceOf(hint: string | undefined): string | undefined {
  if (!hint) return undefined;
  try {
    const aud = decodeJwt(hint).aud;
    return typeof aud === 'string' ? aud : aud?.[0];
  } catch {
    return undefined;
  }
}
