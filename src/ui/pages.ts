// `reply.helmet` (the page headers below) is declared by @fastify/helmet, registered in http/app.ts.
import type {} from '@fastify/helmet';
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

/**
 * Renders a page and sends it with the headers every HTML answer gets: its CSP, no Referer, no
 * caching, no framing and its own browsing context group, save where the options say otherwise.
 */
export async function sendPage(
  reply: FastifyReply,
  page: string,
  vars: Record<string, unknown>,
  options: PageOptions = {},
): Promise<FastifyReply> {
  const html = (await engine.renderFile(page, vars)) as string;
  // Through @fastify/helmet (http/security-headers.ts), merged over its configuration, all off.
  reply.helmet({
    referrerPolicy: { policy: 'no-referrer' },
    // X-Frame-Options cannot name an origin; CSP frame-ancestors says who may frame the page.
    xFrameOptions: options.frameAncestors?.length ? false : { action: 'deny' },
    crossOriginOpenerPolicy: options.keepOpener ? false : { policy: 'same-origin' },
  });
  return reply
    .status(options.status ?? 200)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      // Per page (form targets, frames, who may frame it), so written here rather than by helmet.
      'content-security-policy': contentSecurityPolicy(options),
      'cache-control': 'no-store',
    })
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
