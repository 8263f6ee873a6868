import { Type } from 'typebox';
import type { OutboundMessage } from '../message.ts';
import { ProviderError } from '../provider.ts';
import { Text } from '../provider-settings.ts';

/** The connection-wide sender, `options.email.from`, used when a message carries none: in every email provider's settings. */
export const SenderSettings = {
  email: Type.Optional(Type.Object({ from: Type.Optional(Text()) })),
};

/** A sender as the HTTP APIs want it: the bare address, and the display name when there is one. */
export interface Mailbox {
  email: string;
  name?: string;
  /** As configured, e.g. `Acme <no-reply@acme.test>`. */
  text: string;
}

/**
 * The message's sender, else the connection's `email.from`. A message with neither is refused
 * for good: retrying cannot invent a sender.
 */
export async function senderOf(message: OutboundMessage, fallback: string | null): Promise<Mailbox> {
  const text = message.from ?? fallback;
  if (!text) {
    throw new ProviderError('permanent', 'The connection has no sender address: set options.email.from');
  }
  return { ...(await parseMailbox(text)), text };
}

/**
 * Splits `Name <address>` (the name optionally quoted) into its parts. Text that is not one
 * mailbox is passed on whole as the address, for the provider to refuse in its own words.
 */
export async function parseMailbox(text: string): Promise<{ email: string; name?: string }> {
  // Loaded at the first email sent: a server that sends none never holds nodemailer.
  addressParser ??= import('nodemailer/lib/addressparser').then((module) => module.default);
  const [first, ...more] = (await addressParser)(text, { flatten: true });
  if (!first?.address || more.length > 0) return { email: text.trim() };
  return first.name ? { email: first.address, name: first.name } : { email: first.address };
}

let addressParser: Promise<typeof import('nodemailer/lib/addressparser').default> | undefined;
