import { originAllowed } from './applications.ts';
import type { Application } from './model.ts';

/** What a browser says of where a request came from: its `Origin` and `Sec-Fetch-Site` headers. */
export interface RequestSite {
  origin: string | undefined;
  fetchSite: string | undefined;
}

/**
 * Whether a start may bind its code or link to the browser that sent it. The binding cookie lets
 * that browser redeem the link (or a typed code at verify_redirect) without the confirmation page,
 * so only a start from Tessera's own pages, or from an origin the application allows, may set it:
 * otherwise a page on any site could make a visitor's browser start a login for the attacker's
 * own address, then send it to the attacker's link, and it would sign the visitor in as the
 * attacker (login CSRF). Browsers send `Origin` on every cross-origin POST; a start without one
 * and without `Sec-Fetch-Site` comes from no browser (a server-side SDK, curl), whose cookie
 * reaches no browser either.
 */
export function mayBindBrowser(issuer: string, app: Application, site: RequestSite): boolean {
  if (site.origin !== undefined) {
    return site.origin === new URL(issuer).origin || originAllowed(app, site.origin);
  }
  return site.fetchSite === undefined || site.fetchSite === 'same-origin' || site.fetchSite === 'none';
}
