import { Type } from 'typebox';
import type { OutboundMessage } from '../message.ts';
import { type Provider, ProviderError, type SendContext, type SendResult } from '../provider.ts';
import { type ProviderAnswer, postToProvider, retryDelay } from '../provider-http.ts';
import { Credential, defineProvider, Text } from '../provider-settings.ts';
import { ApiBaseUrl, type ApiCall, describe, refusal } from './api-call.ts';
import { secretForms } from './redaction.ts';
import { SenderSettings, senderOf } from './sender.ts';

/** Postmark's single-email API, with its settings under `options.postmark`. */
export const postmarkFactory = defineProvider({
  name: 'postmark',
  channel: 'email',
  settings: Type.Object({
    postmark: Type.Object(
      {
        server_token: Credential(),
        /** Default: the server's transactional stream. */
        message_stream: Type.Optional(Text()),
        base_url: ApiBaseUrl('https://api.postmarkapp.com'),
      },
      { default: {} },
    ),
    ...SenderSettings,
  }),
  make: ({ postmark, email }) =>
    new PostmarkProvider(
      postmark.server_token,
      postmark.message_stream ?? null,
      postmark.base_url.replace(/\/+$/, ''),
      email?.from ?? null,
    ),
});

/** Postmark ErrorCodes worth retrying: 100 maintenance, 429 rate limit. The rest are for good. */
const TRANSIENT_ERROR_CODES = new Set([100, 429]);

class PostmarkProvider implements Provider {
  readonly name = 'postmark';
  readonly channel = 'email';
  readonly #token: string;
  readonly #stream: string | null;
  readonly #baseUrl: string;
  readonly #from: string | null;

  constructor(token: string, stream: string | null, baseUrl: string, from: string | null) {
    this.#token = token;
    this.#stream = stream;
    this.#baseUrl = baseUrl;
    this.#from = from;
  }

  async send(message: OutboundMessage, context: SendContext): Promise<SendResult> {
    const sender = await senderOf(message, this.#from);
    const call: ApiCall = {
      label: 'Postmark',
      url: `${this.#baseUrl}/email`,
      headers: {
        'x-postmark-server-token': this.#token,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({
        From: sender.text,
        To: message.to,
        Subject: message.subject ?? '',
        TextBody: message.text,
        ...(message.html === null ? {} : { HtmlBody: message.html }),
        ...(this.#stream === null ? {} : { MessageStream: this.#stream }),
      }),
      secrets: secretForms(this.#token),
    };
    const answer = await postToProvider(call, context.signal);
    const result = postmarkResult(answer.body);
    if (answer.status === 200 && (result.ErrorCode ?? 0) === 0) {
      return { providerMessageId: typeof result.MessageID === 'string' ? result.MessageID : null };
    }
    throw postmarkRefusal(call, answer, result);
  }
}

interface PostmarkResult {
  ErrorCode?: number;
  Message?: string;
  MessageID?: string;
}

function postmarkResult(body: unknown): PostmarkResult {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body ? { Message: body } : {};
  const { ErrorCode, Message, MessageID } = body as Record<string, unknown>;
  return {
    ...(typeof ErrorCode === 'number' ? { ErrorCode } : {}),
    ...(typeof Message === 'string' ? { Message } : {}),
    ...(typeof MessageID === 'string' ? { MessageID } : {}),
  };
}

function postmarkRefusal(call: ApiCall, answer: ProviderAnswer, result: PostmarkResult): ProviderError {
  const code = result.ErrorCode;
  const details = { status: answer.status, ...(code === undefined ? {} : { providerCode: code }) };
  if (answer.status === 401 || code === 10) {
    return new ProviderError(
      'permanent',
      describe(call, answer.status, result.Message ?? 'the server token was refused'),
      details,
    );
  }
  if (answer.status === 422 || (answer.status === 200 && code !== undefined)) {
    const kind = code !== undefined && TRANSIENT_ERROR_CODES.has(code) ? 'transient' : 'permanent';
    const detail = code === undefined ? result.Message : `${result.Message ?? 'refused'} (ErrorCode ${code})`;
    return new ProviderError(kind, describe(call, answer.status, detail), {
      ...details,
      ...retryDelay(answer),
    });
  }
  return refusal(call, answer, result.Message, code);
}
