import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../core/context.ts';
import { devInboxMessages } from '../../core/dev-inbox.ts';
import type { InboxMessage } from '../../core/model.ts';
import { sendPage } from '../../ui/pages.ts';
import { AUTHENTICATION, declareErrorFamily } from '../error-families.ts';
import { nullable, page } from '../responses.ts';
import { optionalText } from '../schemas.ts';

const InboxQuery = Type.Object({ to: optionalText(512), limit: optionalText(4) });

const Messages = Type.Array(
  Type.Object({
    id: Type.String(),
    to: Type.String(),
    channel: Type.String({ description: '`email` or `sms`' }),
    subject: nullable(Type.String()),
    text: Type.String(),
    html: nullable(Type.String()),
    code: nullable(Type.String()),
    link: nullable(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
  }),
  { description: 'The messages the dev inbox kept, newest first' },
);

/** `/dev/inbox`: the messages the dev inbox kept, as a page and as JSON. Registered only when enabled. */
export const devInboxRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  declareErrorFamily(app, AUTHENTICATION);
  app.get(
    '/dev/inbox/messages',
    { schema: { querystring: InboxQuery, response: { 200: Messages } } },
    async (request) => {
      return (await devInboxMessages(ctx, request.query)).map(view);
    },
  );

  // The Default App's callback points here, so a newcomer's first magic link lands on a page that
  // explains what their app would receive, instead of a 404. A callback may carry any parameter,
  // but only the four the page shows reach its template: the others are named like variables of
  // the layout (`script` adds a script element) and must stay the server's.
  const CallbackQuery = Type.Object({}, { additionalProperties: optionalText(4096), maxProperties: 16 });
  app.get(
    '/callback',
    { schema: { querystring: CallbackQuery, response: { 200: page('What the application would receive') } } },
    async (request, reply) => {
      const { code, state, error, error_description } = request.query as Record<string, string | undefined>;
      return sendPage(reply, 'dev-callback', {
        code,
        // Pasted into a shell: only a code as Tessera makes them (base64url), never what a crafted
        // link put there ('$(...)' would run).
        command_code: code !== undefined && /^[A-Za-z0-9_-]{1,256}$/.test(code) ? code : '<code>',
        state,
        error,
        error_description,
        issuer: ctx.config.issuer,
        redirect_uri: `${ctx.config.issuer}callback`,
      });
    },
  );

  app.get(
    '/dev/inbox',
    { schema: { querystring: InboxQuery, response: { 200: page('The messages, newest first') } } },
    async (request, reply) => {
      const messages = await devInboxMessages(ctx, request.query);
      return sendPage(reply, 'dev-inbox', { messages: messages.map(view) });
    },
  );
};

function view(message: InboxMessage) {
  const { id, to, channel, subject, text, html, code, link, created_at } = message;
  return { id, to, channel, subject, text, html, code, link, created_at: new Date(created_at).toISOString() };
}
