import type { OutboundMessage } from '../message.ts';
import {
  type Provider,
  ProviderError,
  type ProviderFactory,
  type SendContext,
  type SendResult,
} from '../provider.ts';
import {
  field,
  httpRefusal,
  type ProviderAnswer,
  postToProvider,
  retryDelay,
  succeeded,
} from '../provider-http.ts';
import { senderId, smsRecipient } from './phone-numbers.ts';
import { SettingsReader } from './settings.ts';

/**
 * Twilio Programmable Messaging, configured with the option names Auth0 uses: `twilio_sid`,
 * `twilio_token`, and `from` or `messaging_service_sid`; `twilio_base_url` points elsewhere than
 * https://api.twilio.com (a regional edge, or a test server).
 */
export const twilioFactory: ProviderFactory = {
  name: 'twilio',
  channel: 'sms',
  secretKeys: ['twilio_token'],
  create(options) {
    const settings = new SettingsReader(options);
    const accountSid = settings.matching(
      'twilio_sid',
      /^AC[0-9a-fA-F]{32}$/,
      'a Twilio Account SID (AC followed by 32 hex digits)',
      true,
    );
    const authToken = settings.requiredString('twilio_token');
    const reported = settings.problems.length;
    const messagingServiceSid = settings.matching(
      'messaging_service_sid',
      /^MG[0-9a-fA-F]{32}$/,
      'a Twilio Messaging Service SID (MG followed by 32 hex digits)',
      false,
    );
    const from = settings.optionalString('from');
    if (!from && !messagingServiceSid && settings.problems.length === reported) {
      settings.problems.push('from or messaging_service_sid is required');
    }
    const baseUrl = settings.url('twilio_base_url', 'https://api.twilio.com').replace(/\/+$/, '');
    if (settings.problems.length > 0 || !accountSid) return { problems: settings.problems };
    // With a Messaging Service, the service's sender pool picks the number; a `from` set as well is
    // not sent, so the two can never disagree.
    const sender = messagingServiceSid
      ? { MessagingServiceSid: messagingServiceSid }
      : { From: senderId(from ?? '', 'keep') };
    return new TwilioProvider(accountSid, authToken, sender, baseUrl);
  },
};

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
