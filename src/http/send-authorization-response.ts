import type { FastifyReply } from 'fastify';
import { type AuthorizationResponse, responseLocation } from '../core/authorization-response.ts';
import { type Language, messages } from '../ui/i18n.ts';
import { sendPage } from '../ui/pages.ts';

/**
 * Answers with an authorization response: a redirect to the redirect_uri, or for
 * `response_mode=web_message` a page that posts it to the application's window. That page may be
 * framed by the redirect_uri's origin alone, and the message goes to that origin alone.
 */
export function sendAuthorizationResponse(
  reply: FastifyReply,
  response: AuthorizationResponse,
  language: Language,
  redirectStatus: 302 | 303,
): FastifyReply | Promise<FastifyReply> {
  if (response.mode !== 'web_message') return reply.redirect(responseLocation(response), redirectStatus);
  const origin = new URL(response.redirectUri).origin;
  return sendPage(
    reply,
    'web-message',
    {
      lang: language,
      t: messages(language),
      origin,
      response: JSON.stringify(response.params),
      script: '/ui/web-message.js',
    },
    { scripts: true, frameAncestors: [origin], keepOpener: true },
  );
}
