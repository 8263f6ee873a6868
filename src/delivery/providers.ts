import type { Connection } from '../core/model.ts';
import { type DevInbox, devInboxFactories } from './dev-inbox.ts';
import { mailgunFactory } from './email/mailgun.ts';
import { postmarkFactory } from './email/postmark.ts';
import { sendgridFactory } from './email/sendgrid.ts';
import { smtpFactory } from './email/smtp.ts';
import type { Provider, ProviderFactory } from './provider.ts';
import { smsGatewayFactory } from './sms/gateway.ts';
import { twilioFactory } from './sms/twilio.ts';
import { vonageFactory } from './sms/vonage.ts';

/** Every provider Tessera ships, by the `provider` name a connection uses. */
export const PROVIDER_FACTORIES: readonly ProviderFactory[] = [
  twilioFactory,
  smsGatewayFactory,
  vonageFactory,
  smtpFactory,
  sendgridFactory,
  postmarkFactory,
  mailgunFactory,
];

/** Option keys that hold credentials, for every provider: sealed in the store, never shown back or logged. */
export function providerSecretPaths(factories: readonly ProviderFactory[] = PROVIDER_FACTORIES): string[] {
  return [...new Set(factories.flatMap((f) => f.secretKeys))];
}

/** A connection's providers: the primary, and the `failover` one when configured. */
export interface ConnectionProviders {
  primary: Provider;
  secondary: Provider | null;
}

/** Thrown when a connection's provider settings cannot make a provider; lists every problem. */
export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';

  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/**
 * Makes each connection's providers from its options, once per version of those options, and
 * checks settings so that a bad one is refused when the connection is saved, not at login.
 */
export class ProviderRegistry {
  private readonly cache = new Map<string, { key: string; providers: ConnectionProviders }>();
  private readonly factories: readonly ProviderFactory[];

  constructor(inbox: DevInbox | null, factories: readonly ProviderFactory[] = PROVIDER_FACTORIES) {
    this.factories = [...devInboxFactories(inbox), ...factories];
  }

  /** The connection's providers; throws ProviderConfigError when its settings are not usable. */
  forConnection(connection: Connection): ConnectionProviders {
    const key = JSON.stringify(connection.options);
    const cached = this.cache.get(connection.name);
    if (cached?.key === key) return cached.providers;
    const problems: string[] = [];
    const primary = this.make(
      connection.strategy,
      connection.options as Record<string, unknown>,
      '',
      problems,
    );
    const failover = connection.options.failover as Record<string, unknown> | undefined;
    const secondary =
      failover === undefined ? null : this.make(connection.strategy, failover, 'failover.', problems);
    if (problems.length > 0 || !primary) {
      throw new ProviderConfigError(problems.map((p) => `connection "${connection.name}" options.${p}`));
    }
    const providers = { primary, secondary };
    this.cache.set(connection.name, { key, providers });
    return providers;
  }

  /** The credential keys of the connection's provider and its failover's (`failover.` first). */
  credentialKeys(connection?: Connection): string[] {
    if (!connection) {
      const every = providerSecretPaths(this.factories);
      return [...every, ...every.map((k) => `failover.${k}`)];
    }
    const keysOf = (options: unknown) => {
      const name = (options as { provider?: unknown } | undefined)?.provider;
      return (
        this.factories.find((f) => f.name === name && f.channel === connection.strategy)?.secretKeys ?? []
      );
    };
    const failover = connection.options.failover;
    return [...keysOf(connection.options), ...(failover ? keysOf(failover).map((k) => `failover.${k}`) : [])];
  }

  /** Every problem with the connection's provider settings (empty when it can send). */
  problems(connection: Connection): string[] {
    try {
      this.forConnection(connection);
      return [];
    } catch (error) {
      if (error instanceof ProviderConfigError) return error.problems;
      throw error;
    }
  }

  private make(
    channel: 'email' | 'sms',
    options: Record<string, unknown>,
    prefix: string,
    problems: string[],
  ): Provider | null {
    const name = options.provider;
    const factory = this.factories.find((f) => f.name === name && f.channel === channel);
    if (!factory) {
      const known = this.factories.filter((f) => f.channel === channel).map((f) => f.name);
      problems.push(
        `${prefix}provider: "${String(name)}" is not a ${channel} provider (one of ${known.join(', ')})`,
      );
      return null;
    }
    const made = factory.create(options);
    if ('problems' in made) {
      problems.push(...made.problems.map((p) => `${prefix}${p}`));
      return null;
    }
    return made;
  }
}
