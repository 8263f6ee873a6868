import { readFileSync } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { Liquid } from 'liquidjs';

const root = new URL('./templates/', import.meta.url).pathname;
const engine = new Liquid({
  root,
  extname: '.liquid',
  outputEscape: 'escape',
  cache: true,
  strictFilters: true,
  // Given, so that liquidjs does not read ICU's date data at start (see delivery/templates.ts).
  locale: 'en-US',
});

/** The shared stylesheet, served from this origin so the pages need no inline style or foreign font. */
export const stylesheet = readFileSync(new URL('./assets/style.css', import.meta.url), 'utf8');

export interface PageOptions {
  status?: number;
  /** URLs a form on this page may end up at (a POST that redirects to an app's callback). */
  formTargets?: string[];
  /** Lets scripts served from this origin run (`script-src 'self'`); none run otherwise. */
  scripts?: boolean;
  /** Images from elsewhere the page shows (an application's logo URL). */
  imageSources?: string[];
  /** Pages the page frames (an application's cross-origin verification page). */
  frameSources?: string[];
  /** Origins that may frame this page (a web message's target); by default no one may. */
  frameAncestors?: string[];
  /**
   * Keep the window that opened this page able to hear from it (a web message to a popup's
   * opener): no Cross-Origin-Opener-Policy isolation.
   */
  keepOpener?: boolean;
}

/** Renders a page and sends it with the headers every HTML answer gets. */
export async function sendPage(
  reply: FastifyReply,
  page: string,
  vars: Record<string, unknown>,
  options: PageOptions = {},
): Promise<FastifyReply> {
  const html = (await engine.renderFile(page, vars)) as string;
  const headers: Record<string, string> = {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(options),
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
  // X-Frame-Options cannot name an origin; CSP frame-ancestors says who may frame the page.
  if (!options.frameAncestors?.length) headers['x-frame-options'] = 'DENY';
  if (!options.keepOpener) headers['cross-origin-opener-policy'] = 'same-origin';
  return reply
    .status(options.status ?? 200)
    .headers(headers)
    .send(html);
}

/** A URL as a CSP source: its origin, or for a native app's own scheme (no origin), the scheme. */
function cspSource(url: string): string {
  const parsed = new URL(url);
  return parsed.origin === 'null' ? parsed.protocol : parsed.origin;
}

/** Nothing from another origin unless the page says so: no inline script or style, ever. */
function contentSecurityPolicy(options: PageOptions): string {
  const list = (first: string[], more: string[] | undefined) => [...first, ...(more ?? [])].join(' ');
  return [
    "default-src 'none'",
    "style-src 'self'",
    `img-src ${list(["'self'", 'data:'], options.imageSources)}`,
    ...(options.scripts ? ["script-src 'self'"] : []),
    ...(options.frameSources?.length ? [`frame-src ${options.frameSources.join(' ')}`] : []),
    `form-action ${list(["'self'"], options.formTargets?.map(cspSource))}`,
    `frame-ancestors ${options.frameAncestors?.length ? options.frameAncestors.join(' ') : "'none'"}`,
    "base-uri 'none'",
  ].join('; ');
}
