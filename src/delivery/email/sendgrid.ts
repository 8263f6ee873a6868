import { Type } from 'typebox';
import type { OutboundMessage } from '../message.ts';
import { type Provider, ProviderError, type SendContext, type SendResult } from '../provider.ts';
import { type ProviderAnswer, postToProvider, succeeded } from '../provider-http.ts';
import { Credential, defineProvider } from '../provider-settings.ts';
import { ApiBaseUrl, type ApiCall, describe, refusal } from './api-call.ts';
import { secretForms } from './redaction.ts';
import { SenderSettings, senderOf } from './sender.ts';

/** SendGrid's v3 Mail Send API, with its settings under `options.sendgrid`. */
export const sendgridFactory = defineProvider({
  name: 'sendgrid',
  channel: 'email',
  settings: Type.Object({
    sendgrid: Type.Object(
      {
        api_key: Credential(),
        /** https://api.eu.sendgrid.com for EU subusers. */
        base_url: ApiBaseUrl('https://api.sendgrid.com'),
      },
      { default: {} },
    ),
    ...SenderSettings,
  }),
  make: ({ sendgrid, email }) =>
    new SendGridProvider(sendgrid.api_key, sendgrid.base_url.replace(/\/+$/, ''), email?.from ?? null),
});

class SendGridProvider implements Provider {
  readonly name = 'sendgrid';
  readonly channel = 'email';
  readonly #apiKey: string;
  readonly #baseUrl: string;
  readonly #from: string | null;

  constructor(apiKey: string, baseUrl: string, from: string | null) {
    this.#apiKey = apiKey;
    this.#baseUrl = baseUrl;
    this.#from = from;
  }

  async send(message: OutboundMessage, context: SendContext): Promise<SendResult> {
    const sender = await senderOf(message, this.#from);
    const call: ApiCall = {
      label: 'SendGrid',
      url: `${this.#baseUrl}/v3/mail/send`,
      headers: {
        authorization: `Bearer ${this.#apiKey}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({
        personalizations: [{ to: [{ email: message.to }] }],
        from: sender.name ? { email: sender.email, name: sender.name } : { email: sender.email },
        subject: message.subject ?? '',
        // SendGrid insists on text/plain before text/html.
        content: [
          { type: 'text/plain', value: message.text },
          ...(message.html === null ? [] : [{ type: 'text/html', value: message.html }]),
        ],
      }),
      secrets: secretForms(this.#apiKey),
    };
    const answer = await postToProvider(call, context.signal);
    if (succeeded(answer)) {
      return { providerMessageId: answer.headers.get('x-message-id') };
    }
    throw sendgridRefusal(call, answer);
  }
}

function sendgridRefusal(call: ApiCall, answer: ProviderAnswer): ProviderError {
  const detail = errorMessages(answer.body);
  if (answer.status === 401) {
    return new ProviderError('permanent', describe(call, 401, detail ?? 'the API key was refused'), {
      status: 401,
    });
  }
  const error = refusal(call, answer, detail);
  if (answer.status === 429 && error.details.retryAfterMs === undefined) {
    // SendGrid states when the window resets rather than how long to wait.
    const reset = Number(answer.headers.get('x-ratelimit-reset'));
    if (Number.isFinite(reset) && reset > 0) {
      return new ProviderError('transient', error.description, {
        ...error.details,
        retryAfterMs: Math.max(0, reset * 1000 - Date.now()),
      });
    }
  }
  return error;
}

/** SendGrid's `{ errors: [{ message, field }] }` as one line. */
function errorMessages(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body ? body : undefined;
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return undefined;
  const messages = errors
    .map((entry: { message?: unknown; field?: unknown }) =>
      typeof entry?.message === 'string'
        ? typeof entry.field === 'string' && entry.field
          ? `${entry.field}: ${entry.message}`
          : entry.message
        : null,
    )
    .filter((text): text is string => text !== null);
  return messages.length > 0 ? messages.join('; ') : undefined;
}
