import { Type } from 'typebox';
import type { OutboundMessage } from '../message.ts';
import { type Provider, ProviderError, type SendContext, type SendResult } from '../provider.ts';
import { type ProviderAnswer, postToProvider } from '../provider-http.ts';
import { Credential, defineProvider, Text } from '../provider-settings.ts';
import { ApiBaseUrl, type ApiCall, describe, refusal } from './api-call.ts';
import { secretForms } from './redaction.ts';
import { SenderSettings, senderOf } from './sender.ts';

/** Mailgun's messages API, with its settings under `options.mailgun`. */
export const mailgunFactory = defineProvider({
  name: 'mailgun',
  channel: 'email',
  settings: Type.Object({
    mailgun: Type.Object(
      {
        api_key: Credential(),
        /** The sending domain. */
        domain: Text({
          pattern: '^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$',
          mustBe: 'a domain name, e.g. mg.example.com',
        }),
        /** https://api.eu.mailgun.net for EU domains. */
        base_url: ApiBaseUrl('https://api.mailgun.net'),
      },
      { default: {} },
    ),
    ...SenderSettings,
  }),
  make: ({ mailgun, email }) =>
    new MailgunProvider(
      mailgun.api_key,
      `${mailgun.base_url.replace(/\/+$/, '')}/v3/${mailgun.domain}/messages`,
      email?.from ?? null,
    ),
});

class MailgunProvider implements Provider {
  readonly name = 'mailgun';
  readonly channel = 'email';
  readonly #apiKey: string;
  readonly #url: string;
  readonly #from: string | null;

  constructor(apiKey: string, url: string, from: string | null) {
    this.#apiKey = apiKey;
    this.#url = url;
    this.#from = from;
  }

  async send(message: OutboundMessage, context: SendContext): Promise<SendResult> {
    const sender = await senderOf(message, this.#from);
    const form = new URLSearchParams({
      from: sender.text,
      to: message.to,
      subject: message.subject ?? '',
      text: message.text,
    });
    if (message.html !== null) form.set('html', message.html);
    const basic = `api:${this.#apiKey}`;
    const call: ApiCall = {
      label: 'Mailgun',
      url: this.#url,
      headers: {
        authorization: `Basic ${Buffer.from(basic).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      secrets: secretForms(this.#apiKey, basic),
    };
    const answer = await postToProvider(call, context.signal);
    if (answer.status === 200) {
      const id = (answer.body as { id?: unknown } | null)?.id;
      return { providerMessageId: typeof id === 'string' ? id : null };
    }
    throw mailgunRefusal(call, answer);
  }
}

function mailgunRefusal(call: ApiCall, answer: ProviderAnswer): ProviderError {
  const body = answer.body;
  const detail =
    typeof body === 'string'
      ? body || undefined
      : typeof (body as { message?: unknown } | null)?.message === 'string'
        ? (body as { message: string }).message
        : undefined;
  if (answer.status === 401 || answer.status === 403) {
    return new ProviderError(
      'permanent',
      describe(call, answer.status, detail ?? 'the API key was refused'),
      {
        status: answer.status,
      },
    );
  }
  return refusal(call, answer, detail);
}
