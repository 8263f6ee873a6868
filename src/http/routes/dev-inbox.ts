import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../core/context.ts';
import type { InboxMessage } from '../../core/model.ts';
import { sendPage } from '../../ui/pages.ts';
import { optionalText } from '../schemas.ts';

const InboxQuery = Type.Object({ to: optionalText(512), limit: optionalText(4) });

/** `/dev/inbox`: the messages the dev inbox kept, as a page and as JSON. Registered only when enabled. */
export const devInboxRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get('/dev/inbox/messages', { schema: { querystring: InboxQuery } }, async (request) => {
    const messages = await ctx.store.listInboxMessages(
      recipient(request.query.to),
      limit(request.query.limit),
    );
    return messages.map(view);
  });

  // The Default App's callback points here, so a newcomer's first magic link lands on a page that
  // explains what their app would receive, instead of a 404. A callback may carry any parameter,
  // but only the four the page shows reach its template: the others are named like variables of
  // the layout (`script` adds a script element) and must stay the server's.
  const CallbackQuery = Type.Object({}, { additionalProperties: optionalText(4096), maxProperties: 16 });
  app.get('/callback', { schema: { querystring: CallbackQuery } }, async (request, reply) => {
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
  });

  app.get('/dev/inbox', { schema: { querystring: InboxQuery } }, async (request, reply) => {
    const messages = await ctx.store.listInboxMessages(
      recipient(request.query.to),
      limit(request.query.limit),
    );
    return sendPage(reply, 'dev-inbox', { messages: messages.map(view) });
  });
};

function view(message: InboxMessage) {
  const { id, to, channel, subject, text, html, code, link, created_at } = message;
  return { id, to, channel, subject, text, html, code, link, created_at: new Date(created_at).toISOString() };
}

/** Emails as stored (trimmed, lower-case); a `+` in a phone number often arrives as a space. */
function recipient(to: string | undefined): string | undefined {
  if (to === undefined || to === '') return undefined;
  const trimmed = to.trim();
  if (trimmed.includes('@')) return trimmed.toLowerCase();
  const digits = trimmed.replace(/[^0-9]/g, '');
  return digits.length > 0 ? `+${digits}` : trimmed;
}

function limit(raw: string | undefined): number {
  const n = Number(raw ?? 50);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 200) : 50;
}
