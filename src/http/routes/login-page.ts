import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponse, successResponse } from '../../core/authorization-response.ts';
import type { Context } from '../../core/context.ts';
import { AuthError } from '../../core/errors.ts';
import type { StartLimiter } from '../../core/ip-limits.ts';
import {
  type OpenTransaction,
  type PageRequest,
  resendFromPage,
  sendFromPage,
  verifyFromPage,
} from '../../core/login-transactions.ts';
import { challengeOf } from '../../core/proof-of-work.ts';
import { MAX_SEALED_LENGTH } from '../../core/sealed-transaction.ts';
import { startSession } from '../../core/sessions.ts';
import { brandStylesheet } from '../../ui/brand.ts';
import { readCookie, setCookie, setSessionCookie } from '../cookies.ts';
import { PAGE_ERRORS, PageView } from '../login-page-view.ts';
import type { PageLimitHook } from '../page-limit-hook.ts';
import { objectOptions, optionalText, text } from '../schemas.ts';
import { sendAuthorizationResponse } from '../send-authorization-response.ts';

const asset = (name: string) => readFileSync(new URL(`../../ui/assets/${name}`, import.meta.url), 'utf8');
const scripts: Record<string, string> = {
  'login.js': asset('login.js'),
  'co-verify.js': asset('co-verify.js'),
  'web-message.js': asset('web-message.js'),
  'pow.js': asset('pow.js'),
};

const PageQuery = Type.Object(
  { tx: optionalText(MAX_SEALED_LENGTH), connection: optionalText(128), resent: optionalText(8) },
  objectOptions,
);
const IdentifierBody = Type.Object(
  {
    tx: optionalText(MAX_SEALED_LENGTH),
    connection: optionalText(128),
    email: optionalText(512),
    country: optionalText(4),
    phone_number: optionalText(64),
    send: optionalText(16),
    /** `challenge:nonce`, posted again by the "Checking your browser…" page. */
    pow: optionalText(512),
  },
  objectOptions,
);
const CodeBody = Type.Object({ tx: optionalText(MAX_SEALED_LENGTH), code: optionalText(64) }, objectOptions);
const ResendBody = Type.Object(
  { tx: optionalText(MAX_SEALED_LENGTH), pow: optionalText(512) },
  objectOptions,
);
const BrandQuery = Type.Object({ client_id: optionalText(256) }, objectOptions);

/** The hosted login page: identifier, then code (or "check your email"), then back to the app. */
export const loginPageRoutes: FastifyPluginAsyncTypebox<{
  ctx: Context;
  limiter: StartLimiter;
  limitPages: PageLimitHook;
}> = async (app, { ctx, limiter, limitPages }) => {
  const view = new PageView(ctx);
  const pageRequest = (request: FastifyRequest, open: OpenTransaction): PageRequest => ({
    language: view.language(request, open),
    client: { ip: request.ip, user_agent: request.headers['user-agent'] ?? null },
  });

  app.get('/u/login', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const open = await view.open(request, reply, request.query.tx);
    if (!open) return reply;
    return view.identifierPage(request, reply, open, { connection: request.query.connection });
  });

  app.post(
    '/u/login',
    { onRequest: limitPages, schema: { body: IdentifierBody } },
    async (request, reply) => {
      const body = request.body;
      const open = await view.open(request, reply, body.tx);
      if (!open) return reply;
      try {
        await limiter.consume(request.ip, body.pow);
        const sent = await sendFromPage(ctx, open, body, pageRequest(request, open));
        if (sent.bindingCookie) {
          setCookie(reply, ctx, 'link', sent.bindingCookie.value, sent.bindingCookie.maxAge);
        }
        return reply.redirect(view.stepUrl(open), 303);
      } catch (error) {
        const pow = challengeOf(error);
        if (pow) {
          const fields = { ...body, tx: open.tx };
          return view.checkPage(request, reply, open, '/u/login', fields, pow);
        }
        const problem = view.problem(error);
        return view.identifierPage(request, reply, open, {
          ...body,
          problem,
          status: (error as AuthError).status,
        });
      }
    },
  );

  app.get('/u/login/code', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const open = await view.open(request, reply, request.query.tx);
    if (!open) return reply;
    return view.sentPage(request, reply, open, { resent: request.query.resent === '1' });
  });

  app.get('/u/login/link', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const open = await view.open(request, reply, request.query.tx);
    if (!open) return reply;
    return view.sentPage(request, reply, open, { resent: request.query.resent === '1' });
  });

  app.post('/u/login/code', { onRequest: limitPages, schema: { body: CodeBody } }, async (request, reply) => {
    const open = await view.open(request, reply, request.body.tx);
    if (!open) return reply;
    try {
      const user = await verifyFromPage(ctx, open, request.body.code ?? '', request.ip);
      const { session, cookie } = await startSession(ctx, user, readCookie(request, ctx, 'session'));
      setSessionCookie(reply, ctx, cookie);
      const response = await successResponse(ctx, open.request, user, session);
      return sendAuthorizationResponse(reply, response, view.language(request, open), 303);
    } catch (error) {
      if (error instanceof AuthError && !(error.error in PAGE_ERRORS) && error.error !== 'login_expired') {
        const response = errorResponse(open.request, error);
        return sendAuthorizationResponse(reply, response, view.language(request, open), 303);
      }
      const problem = view.problem(error);
      return view.sentPage(request, reply, open, { problem, status: (error as AuthError).status });
    }
  });

  app.post(
    '/u/login/resend',
    { onRequest: limitPages, schema: { body: ResendBody } },
    async (request, reply) => {
      const open = await view.open(request, reply, request.body.tx);
      if (!open) return reply;
      try {
        await limiter.consume(request.ip, request.body.pow);
        await resendFromPage(ctx, open, pageRequest(request, open));
        return reply.redirect(`${view.stepUrl(open)}&resent=1`, 303);
      } catch (error) {
        const pow = challengeOf(error);
        if (pow) return view.checkPage(request, reply, open, '/u/login/resend', { tx: open.tx }, pow);
        const problem = view.problem(error);
        return view.sentPage(request, reply, open, { problem, status: (error as AuthError).status });
      }
    },
  );

  app.get('/ui/brand.css', { schema: { querystring: BrandQuery } }, async (request, reply) => {
    const client = request.query.client_id
      ? await ctx.store.getApplication(request.query.client_id)
      : undefined;
    return reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(brandStylesheet(client));
  });

  app.get(
    '/ui/:script',
    { schema: { params: Type.Object({ script: text(32) }) } },
    async (request, reply) => {
      // Own keys only: `/ui/constructor` must not find Object.prototype's members.
      const name = request.params.script;
      const source = Object.hasOwn(scripts, name) ? scripts[name] : undefined;
      if (source === undefined) throw new AuthError(404, 'not_found', 'No such endpoint');
      return reply
        .header('content-type', 'text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=3600')
        .send(source);
    },
  );
};
