import type { Context } from './context.ts';
import { AuthError } from './errors.ts';
import type { LoginMessage } from './ports/delivery.ts';

/**
 * Hands a login message to delivery. One that no provider accepted is the channel's provider error:
 * 400 when the provider refused it for good (the client must change something), 502 otherwise.
 */
export async function sendMessage(ctx: Context, message: LoginMessage): Promise<void> {
  const failure = await ctx.delivery.deliver(message);
  if (!failure) return;
  const code = message.channel === 'sms' ? 'sms_provider_error' : 'email_provider_error';
  if (failure.kind === 'unusable') {
    // A message given up on after it was queued is logged where it was (delivery/outbox/courier.ts).
    ctx.tenantLog.emit({
      type: 'fn',
      description: `The connection's provider is not usable: ${failure.description}`,
      client_id: message.application.client_id,
      client_name: message.application.name,
      connection: message.connection.name,
      user_name: message.to,
      ip: message.request?.ip ?? null,
    });
    throw new AuthError(502, code, `The connection's provider is not usable: ${failure.description}`);
  }
  throw new AuthError(
    failure.kind === 'permanent' ? 400 : 502,
    code,
    `The message could not be sent: ${failure.description}`,
  );
}
