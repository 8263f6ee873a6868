import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AuthorizationRequest } from '../../core/authorization-request.ts';
import { errorResponse } from '../../core/authorization-response.ts';
import {
  type AuthorizeQuery,
  authorize,
  checkAuthorize,
  openAuthorizeRequest,
} from '../../core/authorize.ts';
import type { Context } from '../../core/context.ts';
import { AuthError } from '../../core/errors.ts';
import { coAuthenticate, LOGIN_TICKET_SECONDS } from '../../core/login-tickets.ts';
import { startLoginTransaction } from '../../core/login-transactions.ts';
import { messages, pickLanguage } from '../../ui/i18n.ts';
import { sendPage } from '../../ui/pages.ts';
import { clearCookie, readCookie, setCookie, setSessionCookie } from '../cookies.ts';
import { declareErrorFamily, OAUTH } from '../error-families.ts';
import type { PageLimitHook } from '../page-limit-hook.ts';
import { page, pageOrError, redirect } from '../responses.ts';
import { objectOptions, optionalText, text } from '../schemas.ts';
import { sendAuthorizationResponse } from '../send-authorization-response.ts';

const AuthorizeParams = Type.Object({}, { additionalProperties: text(4096), maxProperties: 64 });

const CoAuthenticateBody = Type.Object(
  {
    client_id: text(256),
    username: optionalText(512),
    otp: optionalText(64),
    realm: optionalText(128),
    credential_type: optionalText(256),
    password: optionalText(512),
  },
  objectOptions,
);

const LoginTicket = Type.Object(
  {
    login_ticket: Type.String({ description: 'For `/authorize?login_ticket=`, within a minute' }),
    co_verifier: Type.String(),
    co_id: Type.String(),
  },
  { description: 'The code was right: a ticket to finish the login at /authorize' },
);

/** What `/authorize` answers: a redirect, or a page that answers in the browser. */
const authorizeAnswers = (redirectStatus: 302 | 303) => ({
  200: page('A web_message answer, or the cross-origin verification page'),
  [redirectStatus]: redirect('To the login page, or to the redirect_uri with the authorization response'),
  '4xx': pageOrError(OAUTH, 'A request whose redirect_uri cannot be trusted (a page), or too many'),
});

const LOGIN_COOKIE_SECONDS = 30 * 60;

/** `/authorize` (OIDC, hosted login, login tickets) and `/co/authenticate` (auth0.js cross-origin). */
export const authorizeRoutes: FastifyPluginAsyncTypebox<{
  ctx: Context;
  limitPages: PageLimitHook;
}> = async (app, { ctx, limitPages }) => {
  declareErrorFamily(app, OAUTH);
  app.get(
    '/authorize',
    { onRequest: limitPages, schema: { querystring: AuthorizeParams, response: authorizeAnswers(302) } },
    async (request, reply) => handleAuthorize(ctx, request, reply, request.query as AuthorizeQuery, 302),
  );

  // OIDC allows the same parameters as a form; the cross-origin fallback page posts its verifier here.
  app.post(
    '/authorize',
    { onRequest: limitPages, schema: { body: AuthorizeParams, response: authorizeAnswers(303) } },
    async (request, reply) => handleAuthorize(ctx, request, reply, request.body as AuthorizeQuery, 303),
  );

  app.post(
    '/co/authenticate',
    { schema: { body: CoAuthenticateBody, response: { 200: LoginTicket } } },
    async (request, reply) => {
      const result = await coAuthenticate(ctx, request.body, request.headers.origin, request.ip);
      setCookie(reply, ctx, 'co', result.verifier, LOGIN_TICKET_SECONDS);
      return reply.header('cache-control', 'no-store').send(result.body);
    },
  );
};

async function handleAuthorize(
  ctx: Context,
  request: FastifyRequest,
  reply: FastifyReply,
  query: AuthorizeQuery,
  redirectStatus: 302 | 303,
) {
  const language = pickLanguage(query.ui_locales, request.headers['accept-language']);
  let authRequest: AuthorizationRequest;
  try {
    authRequest = await openAuthorizeRequest(ctx, query);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    return authorizeErrorPage(reply, language, error);
  }
  try {
    const authz = await checkAuthorize(ctx, authRequest, query);
    const outcome = await authorize(ctx, authz, {
      sessionToken: readCookie(request, ctx, 'session'),
      coVerifier: coVerifier(ctx, request, query),
    });
    if (outcome.kind === 'respond') {
      if (outcome.session) setSessionCookie(reply, ctx, outcome.session);
      if (authz.loginTicket !== undefined) clearCookie(reply, ctx, 'co');
      return sendAuthorizationResponse(reply, outcome.response, language, redirectStatus);
    }
    if (outcome.kind === 'verify') {
      const frameOrigin = new URL(outcome.verificationUrl).origin;
      const issuerOrigin = new URL(ctx.config.issuer).origin;
      const frame = new URL(outcome.verificationUrl);
      frame.hash = `origin=${encodeURIComponent(issuerOrigin)}`;
      const fields = Object.entries(query).filter(([key]) => key !== 'co_verifier');
      const t = messages(language);
      return sendPage(
        reply,
        'co-verify',
        {
          lang: language,
          t,
          fields,
          co_id: outcome.coId,
          frame_src: frame.toString(),
          frame_origin: frameOrigin,
          script: '/ui/co-verify.js',
        },
        {
          scripts: true,
          frameSources: [frameOrigin],
          formTargets: [authRequest.redirectUri],
        },
      );
    }
    const binding = readCookie(request, ctx, 'login') ?? ctx.random.token(24);
    const tx = await startLoginTransaction(ctx, authz, binding);
    setCookie(reply, ctx, 'login', binding, LOGIN_COOKIE_SECONDS);
    return reply.redirect(`/u/login?tx=${encodeURIComponent(tx)}`, redirectStatus);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    return sendAuthorizationResponse(reply, errorResponse(authRequest, error), language, redirectStatus);
  }
}

/**
 * The cross-origin verifier: the cookie `/co/authenticate` set, or the field our fallback page
 * posts. The field counts only when the browser says the form came from one of our own pages:
 * otherwise any site could post a ticket and verifier of its own and log the visitor in as
 * someone else. (Our pages send no Referer, so their Origin is `null`: Sec-Fetch-Site tells.)
 */
function coVerifier(ctx: Context, request: FastifyRequest, query: AuthorizeQuery): string | undefined {
  if (!('co_verifier' in query)) return readCookie(request, ctx, 'co');
  return request.headers['sec-fetch-site'] === 'same-origin' ? (query.co_verifier ?? '') : '';
}

/** An authorize request whose redirect_uri cannot be trusted ends on a page of ours, never a redirect. */
function authorizeErrorPage(
  reply: FastifyReply,
  language: ReturnType<typeof pickLanguage>,
  error: AuthError,
) {
  const t = messages(language, { detail: error.description });
  return sendPage(
    reply,
    'message',
    { lang: language, title: t.error_title, message: t.error_message, detail: t.error_detail, error: true },
    { status: 400 },
  );
}
