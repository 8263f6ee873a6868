import type { OutboundMessage } from '../message.ts';
import {
  type Provider,
  ProviderError,
  type ProviderFactory,
  type SendContext,
  type SendResult,
} from '../provider.ts';
import { type ProviderAnswer, postToProvider } from '../provider-http.ts';
import { type ApiCall, describe, refusal } from './api-refusal.ts';
import { secretForms } from './redaction.ts';
import { senderOf } from './sender.ts';
import { defaultSender, SettingsBlock } from './settings.ts';

/**
 * Mailgun's messages API. Settings under `options.mailgun`: `api_key` and `domain` (the sending
 * domain, both required) and `base_url` (default https://api.mailgun.net; https://api.eu.mailgun.net
 * for EU domains).
 */
export const mailgunFactory: ProviderFactory = {
  name: 'mailgun',
  channel: 'email',
  secretKeys: ['mailgun.api_key'],
  create(options) {
    const settings = new SettingsBlock(options, 'mailgun');
    const apiKey = settings.string('api_key', true);
    const domain = settings.string('domain', true);
    const baseUrl = settings.baseUrl('base_url', 'https://api.mailgun.net');
    const problems = [...settings.problems];
    if (domain !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(domain)) {
      problems.push('mailgun.domain must be a domain name, e.g. mg.example.com');
    }
    const from = defaultSender(options, problems);
    if (problems.length > 0 || apiKey === undefined || domain === undefined) return { problems };
    return new MailgunProvider(apiKey, `${baseUrl}/v3/${domain}/messages`, from);
  },
};

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
    const sender = senderOf(message, this.#from);
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
