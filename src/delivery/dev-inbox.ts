import type { InboxMessage } from '../core/model.ts';
import type { DevInboxStore } from '../core/ports/store.ts';
import type { OutboundMessage } from './message.ts';
import type { Provider, ProviderFactory } from './provider.ts';

const DEV_INBOX = 'dev_inbox';

export interface InboxLogger {
  info(details: object, message: string): void;
}

/**
 * The development sink: keeps every message in the store for `/dev/inbox` and writes it to the log.
 * Never enabled in production unless the operator says so.
 */
export class DevInbox {
  private sequence = 0;

  constructor(
    private readonly store: DevInboxStore,
    private readonly logger: InboxLogger,
    private readonly newId: () => string,
    private readonly now: () => number,
  ) {}

  async send(
    message: OutboundMessage,
    extract: { code: string | null; link: string | null },
  ): Promise<InboxMessage> {
    const stored: InboxMessage = {
      id: this.sortableId(),
      to: message.to,
      channel: message.channel,
      subject: message.subject,
      text: message.text,
      html: message.html,
      code: extract.code,
      link: extract.link,
      created_at: this.now(),
    };
    await this.store.putInboxMessage(stored);
    this.logger.info(
      {
        to: stored.to,
        channel: stored.channel,
        code: stored.code ?? undefined,
        link: stored.link ?? undefined,
      },
      'dev inbox: message delivered',
    );
    return stored;
  }

  /** The inbox as a provider for one channel (`provider: dev_inbox` on a connection). */
  provider(channel: 'sms' | 'email'): Provider {
    return {
      name: DEV_INBOX,
      channel,
      inline: true,
      showsPreview: true,
      send: async (message, context) => {
        const stored = await this.send(message, context.preview ?? { code: null, link: null });
        return { providerMessageId: stored.id };
      },
    };
  }

  /** Ids sort in sending order even within one millisecond, so "newest first" is exact. */
  private sortableId(): string {
    this.sequence = (this.sequence + 1) % 36 ** 4;
    return `${this.now().toString(36).padStart(10, '0')}${this.sequence.toString(36).padStart(4, '0')}${this.newId()}`;
  }
}

/**
 * `provider: dev_inbox` for each channel: the inbox when it is on, else a problem that says it is
 * off (production), so that a connection on it cannot start or be saved there.
 */
export function devInboxFactories(inbox: DevInbox | null): ProviderFactory[] {
  return (['sms', 'email'] as const).map((channel) => ({
    name: DEV_INBOX,
    channel,
    secretKeys: [],
    create: () =>
      inbox?.provider(channel) ?? {
        problems: ['provider: the dev inbox is off (production); configure a real provider'],
      },
  }));
}
