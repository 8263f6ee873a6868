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
import { readCookie, setCookie, setSessionCookie } from '../cookies.ts';
import { AUTHENTICATION, declareErrorFamily } from '../error-families.ts';
import { PAGE_ERRORS, PageView } from '../login-page-view.ts';
import type { PageLimitHook } from '../page-limit-hook.ts';
import { page, pageOrError, redirect } from '../responses.ts';
import { objectOptions, optionalText } from '../schemas.ts';
import { sendAuthorizationResponse } from '../send-authorization-response.ts';

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

/** A step of the login page, or the "expired" page when the browser's transaction is gone. */
const pageAnswers = {
  200: page('The step'),
  '4xx': pageOrError(AUTHENTICATION, 'The "expired" page, or a malformed request'),
};
/** A form of the login page: on to the next step, or this one again saying what went wrong. */
const formAnswers = {
  200: page('"Checking your browser…", or a web_message answer'),
  303: redirect('To the next step, or to the redirect_uri with the authorization response'),
  '4xx': pageOrError(AUTHENTICATION, 'The step again, saying what went wrong; or a malformed request'),
  '5xx': pageOrError(AUTHENTICATION, 'The step again when the provider failed; or an outage'),
};

/** The hosted login page: identifier, then code (or "check your email"), then back to the app. */
export const loginPageRoutes: FastifyPluginAsyncTypebox<{
  ctx: Context;
  limiter: StartLimiter;
  limitPages: PageLimitHook;
}> = async (app, { ctx, limiter, limitPages }) => {
  declareErrorFamily(app, AUTHENTICATION);
  const view = new PageView(ctx);
  const pageRequest = (request: FastifyRequest, open: OpenTransaction): PageRequest => ({
    language: view.language(request, open),
    client: { ip: request.ip, user_agent: request.headers['user-agent'] ?? null },
  });

  app.get(
    '/u/login',
    { schema: { querystring: PageQuery, response: pageAnswers } },
    async (request, reply) => {
      const open = await view.open(request, reply, request.query.tx);
      if (!open) return reply;
      return view.identifierPage(request, reply, open, { connection: request.query.connection });
    },
  );

  app.post(
    '/u/login',
    { onRequest: limitPages, schema: { body: IdentifierBody, response: formAnswers } },
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

  app.get(
    '/u/login/code',
    { schema: { querystring: PageQuery, response: pageAnswers } },
    async (request, reply) => {
      const open = await view.open(request, reply, request.query.tx);
      if (!open) return reply;
      return view.sentPage(request, reply, open, { resent: request.query.resent === '1' });
    },
  );

  app.get(
    '/u/login/link',
    { schema: { querystring: PageQuery, response: pageAnswers } },
    async (request, reply) => {
      const open = await view.open(request, reply, request.query.tx);
      if (!open) return reply;
      return view.sentPage(request, reply, open, { resent: request.query.resent === '1' });
    },
  );

  app.post(
    '/u/login/code',
    { onRequest: limitPages, schema: { body: CodeBody, response: formAnswers } },
    async (request, reply) => {
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
    },
  );

  app.post(
    '/u/login/resend',
    { onRequest: limitPages, schema: { body: ResendBody, response: formAnswers } },
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
};
