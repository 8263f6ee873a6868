import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../core/context.ts';
import type { SessionCookie } from '../core/sessions.ts';

/**
 * Tessera's cookies. Over HTTPS each is named `__Host-<name>`: a browser keeps such a cookie only
 * when this very host set it (Secure, Path=/, no Domain), so a page on a sibling host of the same
 * site cannot plant one of its own (a binding, a login transaction, a session) to sign a visitor in
 * as someone else ("cookie tossing"). Browsers refuse the prefix without Secure, so over plain HTTP
 * (development) the names are bare, and a same-site host could still plant them.
 */
export type CookieName = 'session' | 'login' | 'co' | 'link' | 'confirm';

interface CookieKind {
  /** `SameSite` over HTTPS; over HTTP `none` becomes `lax` (browsers refuse `None` without Secure). */
  sameSite: 'strict' | 'lax' | 'none';
}

const KINDS: Record<CookieName, CookieKind> = {
  /**
   * The browser's login session (a random token; only its hash is stored). Silent authentication
   * (`prompt=none` in a hidden iframe on the application's site) needs it in a cross-site frame.
   */
  session: { sameSite: 'none' },
  /** Binds the hosted page's login transactions to the browser that started them. */
  login: { sameSite: 'lax' },
  /** The `/co/authenticate` verifier, set on a cross-origin XHR answer, shown back at `/authorize`. */
  co: { sameSite: 'none' },
  /** Binds a code or magic link to the browser whose start asked for it. */
  link: { sameSite: 'lax' },
  /** The link confirmation page's anti-forgery token (also in its form): no other site posts it. */
  confirm: { sameSite: 'strict' },
};

const secure = (ctx: Context) => ctx.config.issuer.startsWith('https://');

function cookieName(ctx: Context, name: CookieName): string {
  return secure(ctx) ? `__Host-tessera_${name}` : `tessera_${name}`;
}

function options(ctx: Context, name: CookieName) {
  const { sameSite } = KINDS[name];
  return {
    httpOnly: true,
    secure: secure(ctx),
    sameSite: sameSite === 'none' && !secure(ctx) ? ('lax' as const) : sameSite,
    // `__Host-` requires Path=/; the same over HTTP, so that /authorize sees the login binding
    // that the hosted page's forms use (a second tab keeps the first tab's transactions working).
    path: '/',
  };
}

/** The value of one of Tessera's cookies on this request. */
export function readCookie(request: FastifyRequest, ctx: Context, name: CookieName): string | undefined {
  return request.cookies[cookieName(ctx, name)];
}

export function setCookie(
  reply: FastifyReply,
  ctx: Context,
  name: CookieName,
  value: string,
  maxAge: number,
): void {
  void reply.setCookie(cookieName(ctx, name), value, { ...options(ctx, name), maxAge });
}

export function clearCookie(reply: FastifyReply, ctx: Context, name: CookieName): void {
  void reply.clearCookie(cookieName(ctx, name), options(ctx, name));
}

export function setSessionCookie(reply: FastifyReply, ctx: Context, cookie: SessionCookie): void {
  setCookie(reply, ctx, 'session', cookie.token, cookie.maxAge);
}
