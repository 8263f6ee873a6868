import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { RequestSite } from '../../core/browser-binding.ts';
import { secretsEqual } from '../../core/codes.ts';
import type { Context } from '../../core/context.ts';
import { AuthError } from '../../core/errors.ts';
import type { StartLimiter } from '../../core/ip-limits.ts';
import {
  type LinkOutcome,
  type LinkParams,
  linkAction,
  openLink,
  redeemLink,
} from '../../core/magic-link.ts';
import { startPasswordless, verifyPasswordless } from '../../core/passwordless.ts';
import { sendPage } from '../../ui/pages.ts';
import { readCookie, setCookie, setSessionCookie } from '../cookies.ts';
import { AUTHENTICATION, declareErrorFamily } from '../error-families.ts';
import { requestLanguage } from '../request-language.ts';
import { nullable, page, pageOrError, redirect, StartRefused } from '../responses.ts';
import { objectOptions, optionalText, powSolution, text } from '../schemas.ts';

/** The form field of the confirmation page's anti-forgery token (its other half is a cookie). */
const CONFIRM_FIELD = 'confirm_token';

const StartBody = Type.Object(
  {
    client_id: text(256),
    client_secret: optionalText(512),
    connection: text(128),
    email: optionalText(512),
    phone_number: optionalText(64),
    send: optionalText(16),
    authParams: Type.Optional(Type.Unknown()),
    /** A solved challenge, once a `pow_required` answer asked for one. */
    pow: powSolution(),
  },
  objectOptions,
);

const VerifyBody = Type.Object(
  {
    client_id: text(256),
    connection: text(128),
    verification_code: text(256),
    email: optionalText(512),
    phone_number: optionalText(64),
  },
  objectOptions,
);

const Started = Type.Union(
  [
    Type.Object({ _id: Type.String(), email: Type.String(), email_verified: Type.Boolean() }),
    Type.Object({
      _id: Type.String(),
      phone_number: Type.String({ description: 'E.164' }),
      phone_verified: Type.Boolean(),
      request_language: nullable(Type.String()),
    }),
  ],
  { description: 'The code or link is on its way (the same answer whether or not the user exists)' },
);

const Verified = Type.Object(
  { _id: Type.String() },
  { description: 'The code is right; it stays usable for the redirect that follows' },
);

/** What a magic link's GET or its confirmation POST answers. */
const linkAnswers = (redirectStatus: 302 | 303) => ({
  200: page('The one-click confirmation, for a browser that did not ask for the link'),
  [redirectStatus]: redirect('To the application’s redirect_uri, with the authorization response'),
  '4xx': pageOrError(AUTHENTICATION, 'A link that cannot be used (a page), or a malformed request'),
});

const LinkQuery = Type.Object({}, { additionalProperties: text(4096), maxProperties: 32 });

export const passwordlessRoutes: FastifyPluginAsyncTypebox<{ ctx: Context; limiter: StartLimiter }> = async (
  app,
  { ctx, limiter },
) => {
  declareErrorFamily(app, AUTHENTICATION);
  const startSchema = { body: StartBody, response: { 200: Started, 400: StartRefused } };
  app.post('/passwordless/start', { schema: startSchema }, async (request, reply) => {
    await limiter.consume(request.ip, request.body.pow);
    const result = await startPasswordless(ctx, {
      ...request.body,
      language: requestLanguage(request),
      client: { ip: request.ip, user_agent: request.headers['user-agent'] ?? null },
      site: requestSite(request),
    });
    if (result.bindingCookie) {
      setCookie(reply, ctx, 'link', result.bindingCookie.value, result.bindingCookie.maxAge);
    }
    // Core builds one of the two bodies; its type says only `Record<string, unknown>`.
    return result.body as Static<typeof Started>;
  });

  app.post(
    '/passwordless/verify',
    { schema: { body: VerifyBody, response: { 200: Verified } } },
    async (request) => {
      return verifyPasswordless(ctx, request.body, request.ip);
    },
  );

  app.get(
    '/passwordless/verify_redirect',
    { schema: { querystring: LinkQuery, response: linkAnswers(302) } },
    async (request, reply) => {
      const params = request.query as LinkParams;
      const link = await openLinkOrPage(ctx, params, reply);
      if (!link) return reply;
      const action = linkAction(link, readCookie(request, ctx, 'link'));
      if (action === 'redeem') {
        const outcome = await redeemLink(ctx, link, request.ip, readCookie(request, ctx, 'session'));
        return finishLink(ctx, reply, outcome, 302);
      }
      if (action === 'refuse') return refuseLinkPage(reply);
      // The form's POST must come from this page in this browser: a token in both a SameSite=Strict
      // cookie and the form, which a form on another site cannot have.
      const confirmToken = ctx.random.token(18);
      setCookie(reply, ctx, 'confirm', confirmToken, 3600);
      const fields = [
        ...Object.entries(params).filter(
          ([key, value]) => typeof value === 'string' && key !== CONFIRM_FIELD,
        ),
        [CONFIRM_FIELD, confirmToken],
      ];
      return sendPage(
        reply,
        'confirm-link',
        { application: link.request.app.name, identifier: link.identifier, fields },
        { formTargets: [link.request.redirectUri] },
      );
    },
  );

  app.post(
    '/passwordless/verify_redirect',
    { schema: { body: LinkQuery, response: linkAnswers(303) } },
    async (request, reply) => {
      // Only the confirmation page itself may post here: a form on another site would log the
      // victim's browser into the attacker's account (login CSRF).
      if (!confirmedHere(ctx, request)) {
        return sendPage(
          reply,
          'message',
          {
            title: 'This sign-in link cannot be used',
            message: 'Open the link itself to continue signing in.',
            error: true,
          },
          { status: 403 },
        );
      }
      const link = await openLinkOrPage(ctx, request.body as LinkParams, reply);
      if (!link) return reply;
      // The confirmation form completes a link on another device only where the connection allows it.
      const action = linkAction(link, readCookie(request, ctx, 'link'));
      if (action === 'refuse') return refuseLinkPage(reply);
      const outcome = await redeemLink(ctx, link, request.ip, readCookie(request, ctx, 'session'));
      return finishLink(ctx, reply, outcome, 303);
    },
  );
};

/** The headers that say where a browser's request came from. */
function requestSite(request: FastifyRequest): RequestSite {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  return { origin: header('origin'), fetchSite: header('sec-fetch-site') };
}

/** Whether a form post carries the token its confirmation page set in this browser. */
function confirmedHere(ctx: Context, request: FastifyRequest): boolean {
  // A browser that says the post came from another site is refused whatever it carries.
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin') return false;
  const posted = (request.body as Record<string, unknown>)[CONFIRM_FIELD];
  const cookie = readCookie(request, ctx, 'confirm');
  return typeof posted === 'string' && cookie !== undefined && secretsEqual(posted, cookie);
}

/** Redirects after a used link, keeping the session it started. */
function finishLink(ctx: Context, reply: FastifyReply, outcome: LinkOutcome, status: 302 | 303) {
  if (outcome.session) setSessionCookie(reply, ctx, outcome.session);
  return reply.redirect(outcome.location, status);
}

/** The page for a link opened outside the browser that asked, on a connection without cross-device links. */
function refuseLinkPage(reply: FastifyReply) {
  return sendPage(
    reply,
    'message',
    {
      title: 'Open the link where you asked for it',
      message: 'For your security, this sign-in link only works in the browser where you asked for it.',
      detail: 'Open it there, or ask for a new link on this device.',
    },
    { status: 403 },
  );
}

/** Opens the link, or answers with an error page when its app or redirect_uri cannot be trusted. */
async function openLinkOrPage(ctx: Context, params: LinkParams, reply: FastifyReply) {
  try {
    return await openLink(ctx, params);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    await sendPage(
      reply,
      'message',
      { title: 'This sign-in link cannot be used', message: error.description, error: true },
      { status: 400 },
    );
    return undefined;
  }
}
