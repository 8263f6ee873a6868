import type { FastifyReply } from 'fastify';
import type { Tessera } from '../core/context.ts';
import type { SessionCookie } from '../core/sessions.ts';

/** The browser's login session (a random token; only its hash is stored). */
export const SESSION_COOKIE = 'tessera_session';
/** Binds the hosted page's login transactions to the browser that started them. */
export const LOGIN_COOKIE = 'tessera_login';
/** The `/co/authenticate` verifier, shown back at `/authorize` with the login ticket. */
export const CO_VERIFIER_COOKIE = 'tessera_co';
/** Binds a code or magic link to the browser whose start asked for it. */
export const LINK_COOKIE = 'tessera_link';
/** The link confirmation page's anti-forgery token (also in its form). */
export const CONFIRM_COOKIE = 'tessera_confirm';

const secure = (ctx: Tessera) => ctx.config.issuer.startsWith('https://');

/**
 * Silent authentication (`prompt=none` in a hidden iframe on the application's site) needs the
 * session in a cross-site frame: over HTTPS it is `SameSite=None; Secure`, as Auth0's is. Browsers
 * refuse `None` without `Secure`, so over plain HTTP it stays `Lax`: only same-site apps see it.
 */
const sessionSameSite = (ctx: Tessera) => (secure(ctx) ? 'none' : 'lax');

export function setSessionCookie(reply: FastifyReply, ctx: Tessera, cookie: SessionCookie): void {
  void reply.setCookie(SESSION_COOKIE, cookie.token, {
    httpOnly: true,
    sameSite: sessionSameSite(ctx),
    secure: secure(ctx),
    path: '/',
    maxAge: cookie.maxAge,
  });
}

export function clearSessionCookie(reply: FastifyReply, ctx: Tessera): void {
  void reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: sessionSameSite(ctx),
    secure: secure(ctx),
    path: '/',
  });
}

export function setLoginCookie(reply: FastifyReply, ctx: Tessera, value: string, maxAge: number): void {
  void reply.setCookie(LOGIN_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secure(ctx),
    path: '/u/login',
    maxAge,
  });
}

/**
 * Set on a cross-origin XHR answer, so over HTTPS it must be `SameSite=None` to be kept at all.
 * Over plain HTTP browsers refuse `None` without `Secure`: then only same-site apps keep it.
 */
export function setCoVerifierCookie(reply: FastifyReply, ctx: Tessera, value: string, maxAge: number): void {
  void reply.setCookie(CO_VERIFIER_COOKIE, value, {
    httpOnly: true,
    sameSite: secure(ctx) ? 'none' : 'lax',
    secure: secure(ctx),
    path: '/authorize',
    maxAge,
  });
}

export function clearCoVerifierCookie(reply: FastifyReply, ctx: Tessera): void {
  void reply.clearCookie(CO_VERIFIER_COOKIE, {
    httpOnly: true,
    sameSite: secure(ctx) ? 'none' : 'lax',
    secure: secure(ctx),
    path: '/authorize',
  });
}

export function setLinkCookie(reply: FastifyReply, ctx: Tessera, value: string, maxAge: number): void {
  void reply.setCookie(LINK_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secure(ctx),
    path: '/passwordless',
    maxAge,
  });
}

/** Strict: a form on another site posting to verify_redirect never carries it. */
export function setConfirmCookie(reply: FastifyReply, ctx: Tessera, value: string): void {
  void reply.setCookie(CONFIRM_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: secure(ctx),
    path: '/passwordless/verify_redirect',
    maxAge: 3600,
  });
}
