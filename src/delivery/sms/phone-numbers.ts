import type { OutboundMessage } from '../message.ts';
import { ProviderError } from '../provider.ts';

const E164 = /^\+[1-9]\d{1,14}$/;
const FORMATTED_NUMBER = /^\+?[\d\s().-]+$/;

/**
 * The message's recipient in E.164 (`+14155550100`). Start requests normalise phone numbers before
 * anything is sent, so anything else is a bug upstream; it is refused here, permanently, rather than
 * handed to a provider that would bill for it or send it to the wrong number.
 */
export function smsRecipient(message: OutboundMessage): string {
  if (message.channel !== 'sms') {
    throw new ProviderError('permanent', 'an SMS provider cannot send an email');
  }
  if (!E164.test(message.to)) {
    throw new ProviderError('permanent', 'the recipient is not an E.164 phone number');
  }
  return message.to;
}

/**
 * A configured `from` as a provider expects it: a phone number loses its formatting (Auth0's own
 * examples write `+1 234 567`), an alphanumeric sender id is kept as written.
 */
export function senderId(from: string, plus: 'keep' | 'drop'): string {
  const written = from.trim();
  if (!FORMATTED_NUMBER.test(written)) return written;
  const digits = written.replace(/\D/g, '');
  return plus === 'keep' && written.startsWith('+') ? `+${digits}` : digits;
}
