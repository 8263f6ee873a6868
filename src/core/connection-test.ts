import { isEnabledFor } from './applications.ts';
import { generateCode } from './codes.ts';
import type { Context } from './context.ts';
import { badRequest } from './errors.ts';
import { normaliseIdentifier } from './identifiers.ts';
import { sendMessage } from './send-message.ts';

/**
 * Sends a sample login message through a connection's providers (`tessera connections test`), so an
 * operator sees a real SMS or email arrive before any user depends on it. The code in it logs
 * nobody in: it is never stored.
 */
export async function sendTestMessage(
  ctx: Context,
  connectionName: string,
  to: string,
  language: string | null,
) {
  const connection = await ctx.store.getConnection(connectionName);
  if (!connection) throw badRequest('bad.connection', `Connection "${connectionName}" does not exist`);
  const identifier = normaliseIdentifier(connection.strategy, to);
  const apps = await ctx.store.listApplications();
  const application = apps.find((a) => isEnabledFor(connection, a)) ?? apps[0];
  if (!application) throw badRequest('bad.client_id', 'No application exists to name in the message');
  await sendMessage(ctx, {
    application,
    connection,
    channel: connection.strategy,
    to: identifier,
    send: 'code',
    code: generateCode(ctx.random, connection.options.totp.length),
    link: null,
    language,
    ttl_seconds: connection.options.totp.time_step,
  });
  return { connection: connection.name, provider: connection.options.provider, to: identifier };
}
