import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../core/context.ts';
import { logout } from '../../core/logout.ts';
import { messages, pickLanguage } from '../../ui/i18n.ts';
import { sendPage } from '../../ui/pages.ts';
import { clearCookie, readCookie } from '../cookies.ts';
import { AUTHENTICATION, declareErrorFamily } from '../error-families.ts';
import { page, pageOrError, redirect } from '../responses.ts';
import { objectOptions, optionalText } from '../schemas.ts';

const LogoutQuery = Type.Object(
  {
    client_id: optionalText(256),
    returnTo: optionalText(2048),
    post_logout_redirect_uri: optionalText(2048),
    id_token_hint: optionalText(8192),
    state: optionalText(2048),
    federated: optionalText(16),
    ui_locales: optionalText(256),
  },
  objectOptions,
);

const LogoutAnswers = {
  200: page('Signed out, with nowhere to return to'),
  302: redirect('To the registered logout URL'),
  '4xx': pageOrError(AUTHENTICATION, 'A return URL that is not registered (a page), or a malformed request'),
};

/** `GET /v2/logout`: ends the session, then returns only to a registered logout URL. */
export const logoutRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  declareErrorFamily(app, AUTHENTICATION);
  app.get(
    '/v2/logout',
    { schema: { querystring: LogoutQuery, response: LogoutAnswers } },
    async (request, reply) => {
      const outcome = await logout(ctx, request.query, readCookie(request, ctx, 'session'), request.ip);
      clearCookie(reply, ctx, 'session');
      if (outcome.location !== null) return reply.redirect(outcome.location, 302);
      const language = pickLanguage(request.query.ui_locales, request.headers['accept-language']);
      const t = messages(language);
      return sendPage(
        reply,
        'message',
        {
          lang: language,
          title: t.logged_out_title,
          message: outcome.refused ? t.logout_refused : t.logged_out_message,
          error: outcome.refused,
        },
        { status: outcome.refused ? 400 : 200 },
      );
    },
  );
};
