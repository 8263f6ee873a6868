import { Type } from 'typebox';
import type { OutboundMessage } from '../message.ts';
import { type Provider, ProviderError, type SendContext, type SendResult } from '../provider.ts';
import { field, httpRefusal, type ProviderAnswer, postToProvider, succeeded } from '../provider-http.ts';
import { Credential, defineProvider, HttpUrl, Text } from '../provider-settings.ts';
import { smsLength } from '../sms-segments.ts';
import { senderId, smsRecipient } from './phone-numbers.ts';

/**
 * Vonage's SMS API (formerly Nexmo): a form POST to `{vonage_base_url}/sms/json` with `api_key`,
 * `api_secret`, `from`, `to` (digits, no `+`) and `text`. Vonage answers HTTP 200 even when it
 * refuses, with a `status` per message part; `"0"` means accepted.
 */
export const vonageFactory = defineProvider({
  name: 'vonage',
  channel: 'sms',
  settings: Type.Object({
    vonage_api_key: Text(),
    vonage_api_secret: Credential(),
    from: Text(),
    vonage_base_url: HttpUrl({ default: 'https://rest.nexmo.com' }),
  }),
  make: (settings) =>
    new VonageProvider(
      settings.vonage_api_key,
      settings.vonage_api_secret,
      senderId(settings.from, 'drop'),
      new URL(settings.vonage_base_url).href.replace(/\/+$/, ''),
    ),
});

/** Vonage's statuses worth retrying (https://developer.vonage.com/api-errors/sms). */
const TRANSIENT_STATUSES: Record<string, string> = {
  '1': 'the provider is limiting the rate of messages',
  '5': 'the provider had an internal error',
  '10': 'the provider has too many connections open for this account',
};

/** Vonage's statuses that the same request would meet again, in words fit for an API caller. */
const PERMANENT_STATUSES: Record<string, string> = {
  '2': 'the provider reported a missing parameter',
  '3': 'the provider reported an invalid parameter',
  '4': 'the provider refused the configured credentials',
  '6': "the provider cannot route a message to the recipient's phone number",
  '7': "the recipient's phone number is barred from receiving messages",
  '8': 'the provider account is suspended',
  '9': 'the provider account has insufficient credit',
  '11': 'the provider account is not enabled for the SMS API',
  '12': 'the message is too long for the provider',
  '14': 'the provider could not verify the request signature',
  '15': 'the provider does not allow the configured sender',
  '29': "the recipient's phone number is not on the provider account's list of allowed test numbers",
  '32': 'the provider account requires signed requests',
  '33': "the recipient's phone number has been deactivated",
};

class VonageProvider implements Provider {
  readonly name = 'vonage';
  readonly channel = 'sms';

  constructor(
    private readonly apiKey: string,
    private readonly apiSecret: string,
    private readonly from: string,
    private readonly baseUrl: string,
  ) {}

  async send(message: OutboundMessage, context: SendContext): Promise<SendResult> {
    const to = smsRecipient(message).slice(1);
    const form = new URLSearchParams({
      api_key: this.apiKey,
      api_secret: this.apiSecret,
      from: this.from,
      to,
      text: message.text,
    });
    // Without `unicode`, Vonage sends GSM-7 and mangles anything outside it (accents, Cyrillic, CJK).
    if (smsLength(message.text).encoding !== 'GSM-7') form.set('type', 'unicode');
    const answer = await postToProvider(
      {
        url: `${this.baseUrl}/sms/json`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        label: 'the SMS provider',
      },
      context.signal,
    );
    if (answer.status === 401) {
      throw new ProviderError('permanent', PERMANENT_STATUSES['4'] as string, { status: 401 });
    }
    if (!succeeded(answer)) {
      throw httpRefusal(answer, `the provider answered HTTP ${answer.status}`);
    }
    return accepted(answer);
  }
}

/**
 * Reads Vonage's `{ "message-count", "messages": [{ status, "message-id", "error-text" }] }`. A long
 * text is split into parts, each with its own status; the message is accepted only if every part
 * is. Vonage's `error-text` is not passed on, so nothing it echoes can reach an API caller.
 */
function accepted(answer: ProviderAnswer): SendResult {
  const parts = field(answer.body, 'messages');
  if (!Array.isArray(parts) || parts.length === 0) {
    // The provider may or may not have sent it; a second code is better than none.
    throw new ProviderError('transient', 'the provider gave an answer that could not be read', {
      status: answer.status,
    });
  }
  for (const part of parts) {
    const status = String(field(part, 'status'));
    if (status === '0') continue;
    const transient = TRANSIENT_STATUSES[status];
    const description =
      transient ?? PERMANENT_STATUSES[status] ?? `the provider refused the message (Vonage status ${status})`;
    throw new ProviderError(transient ? 'transient' : 'permanent', description, {
      status: answer.status,
      providerCode: status,
    });
  }
  const id = field(parts[0], 'message-id');
  return { providerMessageId: typeof id === 'string' ? id : null };
}
