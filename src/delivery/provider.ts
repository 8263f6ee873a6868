import type { OutboundMessage } from './message.ts';

/**
 * One SMS or email provider (Twilio, the custom SMS gateway, SMTP, SendGrid...). Each lives in its
 * own file under delivery/sms/ or delivery/email/ and does one thing: hand one rendered message to
 * the provider's API and say what happened. Retries, failover and the outbox are not its business.
 */
export interface Provider {
  /** The `provider` value that selects it in a connection's options, e.g. `twilio`. */
  readonly name: string;
  readonly channel: 'sms' | 'email';
  /**
   * Cannot be down, as it writes to Tessera's own store (the dev inbox): as a connection's only
   * provider it is sent to at once, without the outbox.
   */
  readonly inline?: boolean;
  /** Shows the code and link apart from the message (the dev inbox): only such a provider is given them. */
  readonly showsPreview?: boolean;
  /**
   * Sends one message. Resolves with the provider's message id when the provider accepted it;
   * rejects with a ProviderError otherwise (any other error counts as transient). Must honour
   * `signal` (abort the HTTP request or SMTP conversation when it fires).
   */
  send(message: OutboundMessage, context: SendContext): Promise<SendResult>;
}

export interface SendContext {
  signal: AbortSignal;
  /** About the request that caused the message (for `forward_req_info` on the SMS gateway). */
  request?: { ip: string | null; user_agent: string | null; language: string | null };
  /** The code and link the message carries, for a provider that `showsPreview` (the dev inbox). */
  preview?: { code: string | null; link: string | null };
}

export interface SendResult {
  /** The provider's id for the message (Twilio's SID, SMTP's Message-ID...), when it gives one. */
  providerMessageId: string | null;
}

/**
 * A provider's refusal. `permanent` failures (invalid number, unsubscribed recipient, bad
 * credentials) are never retried; `transient` ones (timeouts, 5xx, 429) are, after `retryAfterMs`
 * when the provider said how long to wait. `description` is shown to API callers in
 * `sms_provider_error` / `email_provider_error`, so it must never contain a credential.
 */
export class ProviderError extends Error {
  override name = 'ProviderError';

  constructor(
    readonly kind: 'transient' | 'permanent',
    readonly description: string,
    readonly details: { status?: number; providerCode?: string | number; retryAfterMs?: number } = {},
  ) {
    super(description);
  }
}

/** What a send's rejection counts as: a ProviderError as it is; anything else is transient. */
export function asProviderError(thrown: unknown): ProviderError {
  if (thrown instanceof ProviderError) return thrown;
  const name = (thrown as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new ProviderError('transient', 'the provider did not answer in time');
  return new ProviderError('transient', 'the provider could not be reached');
}

/**
 * How a provider is configured: its `provider` name, the channel it serves, and a function that
 * reads its settings out of a connection's options (or a connection's `failover` block), returning
 * the provider or a list of problems naming the bad keys (e.g. `twilio_sid is required`). A
 * provider file makes one with defineProvider (provider-settings.ts) from its settings schema.
 */
export interface ProviderFactory {
  readonly name: string;
  readonly channel: 'sms' | 'email';
  /** Option keys holding credentials: encrypted at rest and never shown back or logged. */
  readonly secretKeys: readonly string[];
  create(options: Record<string, unknown>): Provider | { problems: string[] };
}
