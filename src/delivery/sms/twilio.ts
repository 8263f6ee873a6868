import { Type } from 'typebox';
import type { OutboundMessage } from '../message.ts';
import { type Provider, ProviderError, type SendContext, type SendResult } from '../provider.ts';
import {
  field,
  httpRefusal,
  type ProviderAnswer,
  postToProvider,
  retryDelay,
  succeeded,
} from '../provider-http.ts';
import { Credential, defineProvider, HttpUrl, Text } from '../provider-settings.ts';
import { senderId, smsRecipient } from './phone-numbers.ts';

/**
 * Twilio Programmable Messaging, configured with the option names Auth0 uses; `twilio_base_url`
 * points elsewhere than Twilio's API (a regional edge, or a test server).
 */
export const twilioFactory = defineProvider({
  name: 'twilio',
  channel: 'sms',
  settings: Type.Object({
    twilio_sid: Text({
      pattern: '^AC[0-9a-fA-F]{32}$',
      mustBe: 'a Twilio Account SID (AC followed by 32 hex digits)',
    }),
    twilio_token: Credential(),
    messaging_service_sid: Type.Optional(
      Text({
        pattern: '^MG[0-9a-fA-F]{32}$',
        mustBe: 'a Twilio Messaging Service SID (MG followed by 32 hex digits)',
      }),
    ),
    from: Type.Optional(Text()),
    twilio_base_url: HttpUrl({ default: 'https://api.twilio.com' }),
  }),
  check: ({ from, messaging_service_sid }) =>
    from === undefined && messaging_service_sid === undefined
      ? ['from or messaging_service_sid is required']
      : [],
  make(settings) {
    // With a Messaging Service, the service's sender pool picks the number; a `from` set as well is
    // not sent, so the two can never disagree.
    const sender = settings.messaging_service_sid
      ? { MessagingServiceSid: settings.messaging_service_sid }
      : { From: senderId(settings.from ?? '', 'keep') };
    const baseUrl = new URL(settings.twilio_base_url).href.replace(/\/+$/, '');
    return new TwilioProvider(settings.twilio_sid, settings.twilio_token, sender, baseUrl);
  },
});

/** What Twilio's error codes mean for a login code, in words fit for an API caller. */
const PERMANENT_CODES: Record<number, string> = {
  20003: 'the provider refused the configured credentials',
  21211: "the recipient's phone number is not valid",
  21408: "the provider account is not allowed to send SMS to the recipient's region",
  21610: 'the recipient has unsubscribed from messages from this sender',
  21612: 'the provider cannot send from the configured sender to this recipient',
  21614: "the recipient's phone number cannot receive SMS",
};
const TOO_MANY_REQUESTS = 20429;

class TwilioProvider implements Provider {
  readonly name = 'twilio';
  readonly channel = 'sms';

  constructor(
    private readonly accountSid: string,
    private readonly authToken: string,
    private readonly sender: { From: string } | { MessagingServiceSid: string },
    private readonly baseUrl: string,
  ) {}

  async send(message: OutboundMessage, context: SendContext): Promise<SendResult> {
    const to = smsRecipient(message);
    const url = `${this.baseUrl}/2010-04-01/Accounts/${this.accountSid}/Messages.json`;
    const credentials = Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64');
    const answer = await postToProvider(
      {
        url,
        headers: {
          authorization: `Basic ${credentials}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ To: to, ...this.sender, Body: message.text }).toString(),
        label: 'the SMS provider',
      },
      context.signal,
    );
    if (succeeded(answer)) {
      const sid = field(answer.body, 'sid');
      return { providerMessageId: typeof sid === 'string' ? sid : null };
    }
    throw refusal(answer);
  }
}

/**
 * Maps Twilio's error answer (`{ code, message, more_info, status }`) to a ProviderError. Twilio's
 * own `message` is never passed on: some quote the request URL, which holds the Account SID.
 */
function refusal(answer: ProviderAnswer): ProviderError {
  const code = field(answer.body, 'code');
  const twilioCode = typeof code === 'number' && Number.isInteger(code) ? code : undefined;
  if (twilioCode === TOO_MANY_REQUESTS || answer.status === 429) {
    return new ProviderError('transient', 'the provider is limiting the rate of messages', {
      status: answer.status,
      ...(twilioCode === undefined ? {} : { providerCode: twilioCode }),
      ...retryDelay(answer),
    });
  }
  const known = twilioCode === undefined ? undefined : PERMANENT_CODES[twilioCode];
  if (known) {
    return new ProviderError('permanent', known, { status: answer.status, providerCode: twilioCode });
  }
  const description =
    twilioCode === undefined
      ? `the provider answered HTTP ${answer.status}`
      : `the provider refused the message (Twilio error ${twilioCode}, HTTP ${answer.status})`;
  return httpRefusal(answer, description, twilioCode);
}
