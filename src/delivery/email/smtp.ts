import type { Transporter } from 'nodemailer';
import { type Static, Type } from 'typebox';
import type { OutboundMessage } from '../message.ts';
import { type Provider, ProviderError, type SendContext, type SendResult } from '../provider.ts';
import { blockOf, Credential, defineProvider, Port, Text } from '../provider-settings.ts';
import { redact, secretForms } from './redaction.ts';
import { SenderSettings, senderOf } from './sender.ts';

const SmtpSettings = Type.Object({
  smtp: Type.Object(
    {
      host: Text(),
      /** TLS from the first byte; default: port === 465. */
      secure: Type.Optional(Type.Boolean()),
      /** 587, or 465 with `secure`. */
      port: Type.Optional(Port()),
      /** Refuse to send unless STARTTLS succeeds; default true except on localhost. */
      require_tls: Type.Optional(Type.Boolean()),
      user: Type.Optional(Text()),
      pass: Type.Optional(Credential()),
      tls_reject_unauthorized: Type.Boolean({ default: true }),
      /** PEM, for a private CA. */
      ca: Type.Optional(Text()),
    },
    { default: {} },
  ),
  ...SenderSettings,
});

/** Any SMTP server, through nodemailer, with its settings under `options.smtp`. */
export const smtpFactory = defineProvider({
  name: 'smtp',
  channel: 'email',
  settings: SmtpSettings,
  check(given) {
    const { user, pass, ca } = blockOf(given.smtp);
    const problems: string[] = [];
    if (user !== undefined && pass === undefined)
      problems.push('smtp.pass is required when smtp.user is set');
    if (pass !== undefined && user === undefined)
      problems.push('smtp.user is required when smtp.pass is set');
    if (typeof ca === 'string' && !ca.includes('-----BEGIN CERTIFICATE-----')) {
      problems.push('smtp.ca must be a PEM certificate (-----BEGIN CERTIFICATE-----...)');
    }
    return problems;
  },
  make: ({ smtp, email }) => new SmtpProvider(transportOf(smtp), email?.from ?? null),
});

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

interface TransportSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  auth: { user: string; pass: string } | null;
  rejectUnauthorized: boolean;
  ca: string | null;
}

/** The transport's settings, with the defaults that depend on other settings. */
function transportOf(smtp: Static<typeof SmtpSettings>['smtp']): TransportSettings {
  const port = smtp.port ?? (smtp.secure ? 465 : 587);
  const { user, pass } = smtp;
  return {
    host: smtp.host,
    port,
    secure: smtp.secure ?? port === 465,
    requireTls: smtp.require_tls ?? !LOCAL_HOSTS.has(smtp.host),
    auth: user !== undefined && pass !== undefined ? { user, pass } : null,
    rejectUnauthorized: smtp.tls_reject_unauthorized,
    ca: smtp.ca ?? null,
  };
}

/**
 * One transporter per provider; it opens a connection per message (no pool), so nothing stays
 * open between sends and there is nothing to close when the configuration is replaced.
 * nodemailer is loaded at the first send: a server that never sends by SMTP never holds it.
 */
class SmtpProvider implements Provider {
  readonly name = 'smtp';
  readonly channel = 'email';
  readonly #settings: TransportSettings;
  #transporter: Promise<Transporter> | undefined;
  readonly #from: string | null;
  readonly #secrets: string[];

  constructor(settings: TransportSettings, from: string | null) {
    this.#from = from;
    const { user = '', pass = '' } = settings.auth ?? {};
    this.#secrets = settings.auth ? secretForms(pass, `\0${user}\0${pass}`, `${user}\0${user}\0${pass}`) : [];
    this.#settings = settings;
  }

  async #transport(): Promise<Transporter> {
    const settings = this.#settings;
    const { createTransport } = await import('nodemailer');
    return createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      requireTLS: settings.requireTls && !settings.secure,
      ...(settings.auth ? { auth: settings.auth } : {}),
      tls: {
        rejectUnauthorized: settings.rejectUnauthorized,
        ...(settings.ca ? { ca: settings.ca } : {}),
      },
      // The caller's signal bounds the whole send; these only stop a socket from living forever.
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
    });
  }

  async send(message: OutboundMessage, context: SendContext): Promise<SendResult> {
    const sender = await senderOf(message, this.#from);
    try {
      this.#transporter ??= this.#transport();
      const transporter = await this.#transporter;
      const info = await transporter.sendMail({
        from: sender.text,
        to: message.to,
        subject: message.subject ?? '',
        text: message.text,
        ...(message.html === null ? {} : { html: message.html }),
        signal: context.signal,
      });
      return { providerMessageId: info.messageId ?? null };
    } catch (error) {
      throw smtpRefusal(error as SmtpError, context.signal, this.#secrets);
    }
  }
}

/** What nodemailer puts on the errors it rejects with. */
interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  /** The SMTP command the server was answering. */
  command?: string;
  originalCode?: string;
}

const AUTH_REFUSED = new Set([530, 534, 535]);
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function smtpRefusal(error: SmtpError, signal: AbortSignal, secrets: readonly string[]): ProviderError {
  const status = error.responseCode;
  const details = status === undefined ? {} : { status, providerCode: status };
  if (signal.aborted || error.code === 'EABORT') {
    return new ProviderError('transient', 'The SMTP server did not finish in time (the send was aborted)');
  }
  if (error.code === 'EAUTH' || error.code === 'ENOAUTH') {
    if (status !== undefined && status >= 400 && status < 500) {
      return new ProviderError(
        'transient',
        'The SMTP server could not check the credentials just now',
        details,
      );
    }
    // The server's words are left out: some echo what was sent, and that was the password.
    const what = AUTH_REFUSED.has(status ?? 0) || status === undefined ? 'refused' : 'did not accept';
    return new ProviderError('permanent', `The SMTP server ${what} the configured credentials`, details);
  }
  const certificate = certificateProblem(error);
  if (certificate) {
    return new ProviderError(
      'permanent',
      `The SMTP server's TLS certificate is not trusted (${certificate}): set smtp.ca`,
    );
  }
  if (error.command === 'STARTTLS') {
    // Offered and then refused, or refused when require_tls demanded it: no plaintext fallback.
    return new ProviderError(
      status !== undefined && status >= 400 && status < 500 ? 'transient' : 'permanent',
      `The SMTP server refused STARTTLS: ${reply(error, secrets)}`,
      details,
    );
  }
  if (status !== undefined && status >= 500 && status !== 503) {
    return new ProviderError(
      'permanent',
      `The SMTP server refused the message: ${reply(error, secrets)}`,
      details,
    );
  }
  if (status !== undefined) {
    return new ProviderError(
      'transient',
      `The SMTP server deferred the message: ${reply(error, secrets)}`,
      details,
    );
  }
  const code = error.originalCode ?? error.code ?? 'error';
  return new ProviderError('transient', `Could not talk to the SMTP server: ${code}`);
}

function reply(error: SmtpError, secrets: readonly string[]): string {
  return redact(error.response ?? error.message, secrets);
}

/** The TLS verification code under a failed connection or STARTTLS, if that is what failed. */
function certificateProblem(error: SmtpError): string | null {
  for (const code of [error.originalCode, error.code]) {
    if (code && CERTIFICATE_CODES.has(code)) return code;
  }
  const match = /self[- ]signed certificate|unable to verify|certificate has expired|altnames/i.exec(
    error.message,
  );
  return match ? match[0] : null;
}
