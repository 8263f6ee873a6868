/**
 * One harness per email provider: its factory, settings pointing at a local fake that speaks the
 * provider's protocol, and a way to read back what the fake received in one common shape, so the
 * contract suite can hold every provider to the same promises.
 */
import { mailgunFactory } from '../../src/delivery/email/mailgun.ts';
import { postmarkFactory } from '../../src/delivery/email/postmark.ts';
import { sendgridFactory } from '../../src/delivery/email/sendgrid.ts';
import { smtpFactory } from '../../src/delivery/email/smtp.ts';
import type { ProviderFactory } from '../../src/delivery/provider.ts';
import {
  type FakeAnswer,
  type HttpFake,
  type RecordedRequest,
  type Scenario,
  type SmtpFake,
  startHttpFake,
  startSmtpFake,
} from './email-fakes.ts';

export const DEFAULT_FROM = 'Default Sender <default@tessera.test>';

/** A delivered message as the far end saw it. */
export interface Delivered {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
}

export interface Harness {
  factory: ProviderFactory;
  /** The credential in `options()`: no error description may contain it. */
  secret: string;
  /** What `create({})` must name as problems. */
  required: string[];
  /** Whether the protocol can say how long to wait (HTTP's Retry-After); SMTP cannot. */
  saysRetryAfter: boolean;
  /** Connection options pointing at the fake, with the given credential (the right one by default). */
  options(secret?: string): Record<string, unknown>;
  /** Connection options pointing at a port where nothing listens. */
  unreachable(port: number): Record<string, unknown>;
  setScenario(scenario: Scenario): void;
  deliveries(): Delivered[];
  close(): Promise<void>;
}

/** The SMTP harness: STARTTLS with a self-signed certificate (trusted through `smtp.ca`) and AUTH. */
export async function smtpHarness(tls: { key: string; cert: string }): Promise<Harness & { fake: SmtpFake }> {
  const user = 'tessera';
  const secret = 'smtp-pass-5b2e9c';
  const fake = await startSmtpFake({ user, pass: secret, tls });
  const smtp = (port: number, pass: string) => ({
    host: '127.0.0.1',
    port,
    require_tls: true,
    user,
    pass,
    ca: tls.cert,
  });
  return {
    fake,
    factory: smtpFactory,
    secret,
    required: ['smtp.host is required'],
    saysRetryAfter: false,
    options: (pass = secret) => ({ email: { from: DEFAULT_FROM }, smtp: smtp(fake.port, pass) }),
    unreachable: (port) => ({ email: { from: DEFAULT_FROM }, smtp: smtp(port, secret) }),
    setScenario: (scenario) => {
      fake.scenario = scenario;
    },
    deliveries: () =>
      fake.received.map(({ mail }) => {
        const from = mail.from?.value[0];
        return {
          from: from?.name ? `${from.name} <${from.address}>` : (from?.address ?? ''),
          to: Array.isArray(mail.to) ? '' : (mail.to?.text ?? ''),
          subject: mail.subject ?? '',
          text: (mail.text ?? '').trimEnd(),
          html: typeof mail.html === 'string' ? mail.html : null,
        };
      }),
    close: () => fake.close(),
  };
}

/** How one HTTP API answers, for the fake to play it. */
interface ApiScript {
  factory: ProviderFactory;
  block: string;
  secret: string;
  required: string[];
  settings(secret: string): Record<string, unknown>;
  authorized(request: RecordedRequest, secret: string): boolean;
  accepted: FakeAnswer;
  /** Echoes the credential it was sent, as careless servers do. */
  unauthorized(request: RecordedRequest): FakeAnswer;
  badRecipient: FakeAnswer;
  serverError: FakeAnswer;
  rateLimited: FakeAnswer;
  delivered(request: RecordedRequest): Delivered;
}

export async function httpHarness(script: ApiScript): Promise<Harness & { fake: HttpFake }> {
  const fake = await startHttpFake();
  let scenario: Scenario = 'accept';
  const accepted: RecordedRequest[] = [];
  fake.answer = (request) => {
    if (scenario === 'hang') return 'hang';
    if (!script.authorized(request, script.secret)) return script.unauthorized(request);
    if (scenario === 'bad_recipient') return script.badRecipient;
    if (scenario === 'server_error') return script.serverError;
    if (scenario === 'rate_limited') return script.rateLimited;
    accepted.push(request);
    return script.accepted;
  };
  const options = (baseUrl: string, secret: string) => ({
    email: { from: DEFAULT_FROM },
    [script.block]: { ...script.settings(secret), base_url: baseUrl },
  });
  return {
    fake,
    factory: script.factory,
    secret: script.secret,
    required: script.required,
    saysRetryAfter: true,
    options: (secret = script.secret) => options(fake.url, secret),
    unreachable: (port) => options(`http://127.0.0.1:${port}`, script.secret),
    setScenario: (next) => {
      scenario = next;
    },
    deliveries: () => accepted.map((request) => script.delivered(request)),
    close: () => fake.close(),
  };
}

const rateLimited: FakeAnswer = { status: 429, headers: { 'retry-after': '7' } };

export const sendgridScript: ApiScript = {
  factory: sendgridFactory,
  block: 'sendgrid',
  secret: 'SG.test-key.7f3a1d',
  required: ['sendgrid.api_key is required'],
  settings: (secret) => ({ api_key: secret }),
  authorized: (request, secret) => request.headers.authorization === `Bearer ${secret}`,
  accepted: { status: 202, headers: { 'x-message-id': 'sg-message-1' } },
  unauthorized: (request) => ({
    status: 401,
    body: {
      errors: [{ field: null, message: `authorization grant ${request.headers.authorization} is invalid` }],
    },
  }),
  badRecipient: {
    status: 400,
    body: {
      errors: [{ field: 'personalizations.0.to.0.email', message: 'Does not contain a valid address.' }],
    },
  },
  serverError: { status: 500, body: { errors: [{ field: null, message: 'Internal server error' }] } },
  rateLimited: { ...rateLimited, body: { errors: [{ field: null, message: 'too many requests' }] } },
  delivered: (request) => {
    const body = JSON.parse(request.body);
    const content = body.content as { type: string; value: string }[];
    return {
      from: body.from.name ? `${body.from.name} <${body.from.email}>` : body.from.email,
      to: body.personalizations[0].to[0].email,
      subject: body.subject,
      text: content.find((c) => c.type === 'text/plain')?.value ?? '',
      html: content.find((c) => c.type === 'text/html')?.value ?? null,
    };
  },
};

export const postmarkScript: ApiScript = {
  factory: postmarkFactory,
  block: 'postmark',
  secret: 'pm-token-0c4d8e2a',
  required: ['postmark.server_token is required'],
  settings: (secret) => ({ server_token: secret }),
  authorized: (request, secret) => request.headers['x-postmark-server-token'] === secret,
  accepted: {
    status: 200,
    body: {
      To: 'x',
      SubmittedAt: '2026-11-23T10:00:00Z',
      MessageID: 'pm-message-1',
      ErrorCode: 0,
      Message: 'OK',
    },
  },
  unauthorized: (request) => ({
    status: 401,
    body: {
      ErrorCode: 10,
      Message: `Bad or missing Server API token ${request.headers['x-postmark-server-token']}`,
    },
  }),
  badRecipient: {
    status: 422,
    body: { ErrorCode: 406, Message: 'You tried to send to a recipient that has been marked as inactive.' },
  },
  serverError: { status: 500, body: { ErrorCode: 0, Message: 'Internal Server Error' } },
  rateLimited: { ...rateLimited, body: { ErrorCode: 429, Message: 'Rate limit exceeded' } },
  delivered: (request) => {
    const body = JSON.parse(request.body);
    return {
      from: body.From,
      to: body.To,
      subject: body.Subject,
      text: body.TextBody,
      html: body.HtmlBody ?? null,
    };
  },
};

export const mailgunScript: ApiScript = {
  factory: mailgunFactory,
  block: 'mailgun',
  secret: 'key-mailgun-9d1f7b',
  required: ['mailgun.api_key is required', 'mailgun.domain is required'],
  settings: (secret) => ({ api_key: secret, domain: 'mg.tessera.test' }),
  authorized: (request, secret) =>
    request.headers.authorization === `Basic ${Buffer.from(`api:${secret}`).toString('base64')}`,
  accepted: { status: 200, body: { id: '<20261123.1@mg.tessera.test>', message: 'Queued. Thank you.' } },
  unauthorized: (request) => ({ status: 401, body: `Forbidden ${request.headers.authorization}` }),
  badRecipient: {
    status: 400,
    body: { message: "'to' parameter is not a valid address. please check documentation" },
  },
  serverError: { status: 500, body: { message: 'Internal Server Error' } },
  rateLimited: { ...rateLimited, body: { message: 'Too many requests' } },
  delivered: (request) => {
    const form = new URLSearchParams(request.body);
    return {
      from: form.get('from') ?? '',
      to: form.get('to') ?? '',
      subject: form.get('subject') ?? '',
      text: form.get('text') ?? '',
      html: form.get('html'),
    };
  },
};
