import type { Application, Connection } from '../model.ts';

/** One login message for the delivery side to render and send. */
export interface LoginMessage {
  application: Application;
  connection: Connection;
  channel: 'email' | 'sms';
  to: string;
  send: 'code' | 'link';
  /** The code to show (for links, the link itself carries the secret). */
  code: string | null;
  link: string | null;
  /** From x-request-language / Accept-Language; null when the request named none. */
  language: string | null;
  ttl_seconds: number;
  /** The start request's client, for providers that forward it (the SMS gateway's `req`). */
  request?: { ip: string | null; user_agent: string | null };
}

/**
 * Why a message was not sent: `permanent` (the provider refused it for good, as for a number it
 * cannot reach), `transient` (down or too slow, through every retry there was time for) or
 * `unusable` (the connection's provider settings make no provider). The description says it
 * without secrets.
 */
export interface DeliveryFailure {
  kind: 'permanent' | 'transient' | 'unusable';
  description: string;
}

/** Renders and sends login messages. */
export interface Delivery {
  /** Resolves once a provider accepted the message, or with why none did. */
  deliver(message: LoginMessage): Promise<DeliveryFailure | undefined>;
  /**
   * What stops a connection from sending, each naming its key and never a value: templates that do
   * not render or show no code, provider settings that make no provider. Empty when it can send.
   */
  problems(connection: Connection): string[];
  /**
   * The option keys of the connection's providers that hold credentials (`twilio_token`,
   * `smtp.pass`, `failover.` for the second provider's), whether or not they are set; without a
   * connection, those of every provider.
   */
  credentialKeys(connection?: Connection): string[];
}
