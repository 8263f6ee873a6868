import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mailgunFactory } from '../../src/delivery/email/mailgun.ts';
import { postmarkFactory } from '../../src/delivery/email/postmark.ts';
import { sendgridFactory } from '../../src/delivery/email/sendgrid.ts';
import { smtpFactory } from '../../src/delivery/email/smtp.ts';
import type { OutboundMessage } from '../../src/delivery/message.ts';
import { type Provider, ProviderError, type ProviderFactory } from '../../src/delivery/provider.ts';
import { closedPort, selfSignedCertificate, startHttpFake, startSmtpFake } from './email-fakes.ts';
import {
  DEFAULT_FROM,
  type Harness,
  httpHarness,
  mailgunScript,
  postmarkScript,
  sendgridScript,
  smtpHarness,
} from './email-harnesses.ts';

const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  channel: 'email',
  to: 'ada@example.test',
  from: 'Tessera Login <login@tessera.test>',
  subject: 'Your login code is 123456',
  text: 'Your login code is 123456. It expires in 5 minutes.',
  html: '<p>Your login code is <b>123456</b>. It expires in 5 minutes.</p>',
  ...overrides,
});

const context = () => ({ signal: AbortSignal.timeout(15_000) });

function create(factory: ProviderFactory, options: Record<string, unknown>): Provider {
  const made = factory.create(options);
  if ('problems' in made) throw new Error(`unexpected problems: ${made.problems.join('; ')}`);
  return made;
}

function problems(factory: ProviderFactory, options: Record<string, unknown>): string[] {
  const made = factory.create(options);
  return 'problems' in made ? made.problems : [];
}

async function refusal(promise: Promise<unknown>, ...secrets: string[]): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProviderError);
  const shown = [inspect(error), JSON.stringify((error as ProviderError).details)].join('\n');
  for (const secret of secrets) expect(shown).not.toContain(secret);
  return error as ProviderError;
}

let tls: { key: string; cert: string };
beforeAll(() => {
  tls = selfSignedCertificate();
});

describe.each([
  ['smtp', () => smtpHarness(tls)],
  ['sendgrid', () => httpHarness(sendgridScript)],
  ['postmark', () => httpHarness(postmarkScript)],
  ['mailgun', () => httpHarness(mailgunScript)],
] as const)('email provider contract: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.close());
  beforeEach(() => h.setScenario('accept'));

  it('delivers from, to, subject, text and html, and returns the message id', async () => {
    const before = h.deliveries().length;
    const result = await create(h.factory, h.options()).send(message(), context());
    expect(result.providerMessageId).toEqual(expect.any(String));
    expect(h.deliveries().slice(before)).toEqual([
      {
        from: 'Tessera Login <login@tessera.test>',
        to: 'ada@example.test',
        subject: 'Your login code is 123456',
        text: 'Your login code is 123456. It expires in 5 minutes.',
        html: '<p>Your login code is <b>123456</b>. It expires in 5 minutes.</p>',
      },
    ]);
  });

  it("falls back to the connection's email.from when the message has no sender", async () => {
    await create(h.factory, h.options()).send(message({ from: null }), context());
    expect(h.deliveries().at(-1)?.from).toBe(DEFAULT_FROM);
  });

  it('refuses a message with no sender at all, for good, without calling out', async () => {
    const before = h.deliveries().length;
    const options = { ...h.options(), email: undefined };
    const error = await refusal(create(h.factory, options).send(message({ from: null }), context()));
    expect(error.kind).toBe('permanent');
    expect(error.description).toMatch(/email\.from/);
    expect(h.deliveries().length).toBe(before);
  });

  it('names every missing setting', () => {
    expect(problems(h.factory, {})).toEqual(expect.arrayContaining(h.required));
    expect(problems(h.factory, { [h.factory.name]: 'not an object' })).toContain(
      `${h.factory.name} must be an object`,
    );
  });

  it('declares its credentials and never shows them when inspected', () => {
    expect(h.factory.channel).toBe('email');
    expect(h.factory.secretKeys.length).toBeGreaterThan(0);
    for (const key of h.factory.secretKeys) expect(key.startsWith(`${h.factory.name}.`)).toBe(true);
    const provider = create(h.factory, h.options());
    expect(inspect(provider, { depth: 10, showHidden: true })).not.toContain(h.secret);
    expect(JSON.stringify(provider)).not.toContain(h.secret);
  });

  it('refuses wrong credentials for good, without repeating them', async () => {
    const wrong = `wrong-${h.secret}`;
    const error = await refusal(
      create(h.factory, h.options(wrong)).send(message(), context()),
      wrong,
      h.secret,
    );
    expect(error.kind).toBe('permanent');
  });

  it('reports a rejected recipient as permanent', async () => {
    h.setScenario('bad_recipient');
    const error = await refusal(create(h.factory, h.options()).send(message(), context()), h.secret);
    expect(error.kind).toBe('permanent');
    expect(error.details.status).toBeGreaterThanOrEqual(400);
  });

  it('reports a server error as transient', async () => {
    h.setScenario('server_error');
    const error = await refusal(create(h.factory, h.options()).send(message(), context()), h.secret);
    expect(error.kind).toBe('transient');
    expect(error.details.status).toBeGreaterThanOrEqual(400);
  });

  it('reports rate limiting as transient, with the wait when the protocol gives one', async () => {
    h.setScenario('rate_limited');
    const error = await refusal(create(h.factory, h.options()).send(message(), context()), h.secret);
    expect(error.kind).toBe('transient');
    if (h.saysRetryAfter) expect(error.details.retryAfterMs).toBe(7000);
  });

  it('gives up promptly, as transient, when the signal fires on a server that never answers', async () => {
    h.setScenario('hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('deadline')), 200);
    const started = performance.now();
    const error = await refusal(
      create(h.factory, h.options()).send(message(), { signal: controller.signal }),
      h.secret,
    );
    expect(error.kind).toBe('transient');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('does not send when the signal has already fired', async () => {
    const before = h.deliveries().length;
    const error = await refusal(
      create(h.factory, h.options()).send(message(), { signal: AbortSignal.abort() }),
      h.secret,
    );
    expect(error.kind).toBe('transient');
    expect(h.deliveries().length).toBe(before);
  });

  it('reports an unreachable server as transient', async () => {
    const error = await refusal(
      create(h.factory, h.unreachable(await closedPort())).send(message(), context()),
      h.secret,
    );
    expect(error.kind).toBe('transient');
  });
});

describe('smtp', () => {
  const user = 'tessera';
  const pass = 'smtp-pass-5b2e9c';
  const smtp = (port: number, extra: Record<string, unknown> = {}) => ({
    email: { from: DEFAULT_FROM },
    smtp: { host: '127.0.0.1', port, user, pass, ...extra },
  });

  it('sends multipart/alternative with the usual headers, after STARTTLS and AUTH', async () => {
    const fake = await startSmtpFake({ user, pass, tls });
    try {
      const provider = create(smtpFactory, smtp(fake.port, { require_tls: true, ca: tls.cert }));
      const result = await provider.send(message(), context());
      const [received] = fake.received;
      expect(received?.secured).toBe(true);
      expect(received?.auth?.username).toBe(user);
      expect(received?.mailFrom).toBe('login@tessera.test');
      expect(received?.rcptTo).toEqual(['ada@example.test']);
      const mail = received!.mail;
      expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
      expect(mail.messageId).toBe(result.providerMessageId);
      expect(mail.headers.get('mime-version')).toBe('1.0');
      expect(mail.date).toBeInstanceOf(Date);
      expect(mail.to).toMatchObject({ value: [{ address: 'ada@example.test' }] });
      expect(mail.from).toMatchObject({ value: [{ address: 'login@tessera.test', name: 'Tessera Login' }] });
    } finally {
      await fake.close();
    }
  });

  it.each(['PLAIN', 'LOGIN'])('authenticates with AUTH %s', async (method) => {
    const fake = await startSmtpFake({ user, pass, tls, authMethods: [method] });
    try {
      await create(smtpFactory, smtp(fake.port, { ca: tls.cert })).send(message(), context());
      expect(fake.received[0]?.auth).toEqual({ method, username: user });
    } finally {
      await fake.close();
    }
  });

  it('speaks implicit TLS with secure: true', async () => {
    const fake = await startSmtpFake({ user, pass, tls, secure: true });
    try {
      await create(smtpFactory, smtp(fake.port, { secure: true, ca: tls.cert })).send(message(), context());
      expect(fake.received[0]?.secured).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('refuses an untrusted certificate for good, and accepts it when told not to check', async () => {
    const fake = await startSmtpFake({ user, pass, tls });
    try {
      const error = await refusal(
        create(smtpFactory, smtp(fake.port, { require_tls: true })).send(message(), context()),
        pass,
      );
      expect(error.kind).toBe('permanent');
      expect(error.description).toMatch(/certificate.*smtp\.ca/);
      expect(fake.received).toEqual([]);
      const lax = create(smtpFactory, smtp(fake.port, { require_tls: true, tls_reject_unauthorized: false }));
      await lax.send(message(), context());
      expect(fake.received[0]?.secured).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('will not send in plaintext when require_tls is set and the server offers no STARTTLS', async () => {
    const fake = await startSmtpFake({ user, pass });
    try {
      const error = await refusal(
        create(smtpFactory, smtp(fake.port, { require_tls: true })).send(message(), context()),
        pass,
      );
      expect(error.kind).toBe('permanent');
      expect(error.description).toMatch(/refused STARTTLS/);
      expect(fake.received).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('sends to a plaintext server on localhost without auth (require_tls defaults to off there)', async () => {
    const fake = await startSmtpFake({ user, pass, authOptional: true });
    try {
      const options = { email: { from: DEFAULT_FROM }, smtp: { host: '127.0.0.1', port: fake.port } };
      await create(smtpFactory, options).send(message({ html: null }), context());
      expect(fake.received[0]?.secured).toBe(false);
      expect(fake.received[0]?.mail.html).toBe(false);
      expect(fake.received[0]?.mail.text?.trim()).toBe(message().text);
    } finally {
      await fake.close();
    }
  });

  it('names each bad setting', () => {
    const bad = { smtp: { host: 'mail.example.test', port: 'abc', secure: 'yes', user: 'u', ca: 'nope' } };
    expect(problems(smtpFactory, bad)).toEqual([
      'smtp.secure must be true or false',
      'smtp.port must be a port number (1-65535)',
      'smtp.pass is required when smtp.user is set',
      'smtp.ca must be a PEM certificate (-----BEGIN CERTIFICATE-----...)',
    ]);
    expect(smtpFactory.secretKeys).toEqual(['smtp.pass']);
  });
});

describe('HTTP APIs, on the wire', () => {
  it('sendgrid: POST /v3/mail/send with a Bearer key and text/plain before text/html', async () => {
    const fake = await startHttpFake();
    fake.answer = () => ({ status: 202, headers: { 'x-message-id': 'sg-1' } });
    try {
      const options = { sendgrid: { api_key: 'SG.k', base_url: `${fake.url}/` } };
      const result = await create(sendgridFactory, options).send(message(), context());
      expect(result.providerMessageId).toBe('sg-1');
      const [request] = fake.requests;
      expect(request).toMatchObject({ method: 'POST', path: '/v3/mail/send' });
      expect(request?.headers).toMatchObject({
        authorization: 'Bearer SG.k',
        'content-type': 'application/json',
      });
      expect(JSON.parse(request!.body)).toEqual({
        personalizations: [{ to: [{ email: 'ada@example.test' }] }],
        from: { email: 'login@tessera.test', name: 'Tessera Login' },
        subject: 'Your login code is 123456',
        content: [
          { type: 'text/plain', value: message().text },
          { type: 'text/html', value: message().html },
        ],
      });
      await create(sendgridFactory, options).send(
        message({ from: 'bare@tessera.test', html: null }),
        context(),
      );
      expect(JSON.parse(fake.requests[1]!.body)).toMatchObject({
        from: { email: 'bare@tessera.test' },
        content: [{ type: 'text/plain', value: message().text }],
      });
      expect(JSON.parse(fake.requests[1]!.body).content).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('sendgrid: 403 is permanent; 429 without Retry-After waits for X-RateLimit-Reset', async () => {
    const fake = await startHttpFake();
    const options = { sendgrid: { api_key: 'SG.k', base_url: fake.url } };
    try {
      fake.answer = () => ({
        status: 403,
        body: { errors: [{ message: 'The from address is not verified' }] },
      });
      const forbidden = await refusal(create(sendgridFactory, options).send(message(), context()));
      expect(forbidden).toMatchObject({ kind: 'permanent', details: { status: 403 } });
      expect(forbidden.description).toContain('The from address is not verified');
      const reset = Math.ceil(Date.now() / 1000) + 30;
      fake.answer = () => ({ status: 429, headers: { 'x-ratelimit-reset': String(reset) } });
      const limited = await refusal(create(sendgridFactory, options).send(message(), context()));
      expect(limited.kind).toBe('transient');
      expect(limited.details.retryAfterMs).toBeGreaterThan(25_000);
      expect(limited.details.retryAfterMs).toBeLessThanOrEqual(31_000);
    } finally {
      await fake.close();
    }
  });

  it('postmark: POST /email with the server token, and the message stream when set', async () => {
    const fake = await startHttpFake();
    fake.answer = () => ({ status: 200, body: { ErrorCode: 0, Message: 'OK', MessageID: 'pm-1' } });
    try {
      const options = { postmark: { server_token: 'pm-t', message_stream: 'login', base_url: fake.url } };
      const result = await create(postmarkFactory, options).send(message(), context());
      expect(result.providerMessageId).toBe('pm-1');
      const [request] = fake.requests;
      expect(request).toMatchObject({ method: 'POST', path: '/email' });
      expect(request?.headers).toMatchObject({
        'x-postmark-server-token': 'pm-t',
        'content-type': 'application/json',
        accept: 'application/json',
      });
      expect(JSON.parse(request!.body)).toEqual({
        From: 'Tessera Login <login@tessera.test>',
        To: 'ada@example.test',
        Subject: 'Your login code is 123456',
        TextBody: message().text,
        HtmlBody: message().html,
        MessageStream: 'login',
      });
    } finally {
      await fake.close();
    }
  });

  it.each([
    [300, 'permanent'],
    [406, 'permanent'],
    [10, 'permanent'],
    [100, 'transient'],
  ] as const)('postmark: 422 with ErrorCode %i is %s', async (code, kind) => {
    const fake = await startHttpFake();
    fake.answer = () => ({ status: 422, body: { ErrorCode: code, Message: 'refused' } });
    try {
      const options = { postmark: { server_token: 'pm-t', base_url: fake.url } };
      const error = await refusal(create(postmarkFactory, options).send(message(), context()), 'pm-t');
      expect(error).toMatchObject({ kind, details: { status: 422, providerCode: code } });
    } finally {
      await fake.close();
    }
  });

  it('mailgun: form-encoded POST to /v3/{domain}/messages with Basic api:key', async () => {
    const fake = await startHttpFake();
    fake.answer = () => ({
      status: 200,
      body: { id: '<mg-1@mg.tessera.test>', message: 'Queued. Thank you.' },
    });
    try {
      const options = { mailgun: { api_key: 'mg-k', domain: 'mg.tessera.test', base_url: fake.url } };
      const result = await create(mailgunFactory, options).send(message(), context());
      expect(result.providerMessageId).toBe('<mg-1@mg.tessera.test>');
      const [request] = fake.requests;
      expect(request).toMatchObject({ method: 'POST', path: '/v3/mg.tessera.test/messages' });
      expect(request?.headers).toMatchObject({
        authorization: `Basic ${Buffer.from('api:mg-k').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
        from: 'Tessera Login <login@tessera.test>',
        to: 'ada@example.test',
        subject: 'Your login code is 123456',
        text: message().text,
        html: message().html,
      });
    } finally {
      await fake.close();
    }
  });

  it('names each bad setting', () => {
    expect(problems(sendgridFactory, { sendgrid: { api_key: 7, base_url: 'ftp://x' } })).toEqual([
      'sendgrid.api_key must be a string',
      'sendgrid.base_url must be an http(s) URL',
    ]);
    expect(problems(postmarkFactory, { postmark: { server_token: 't' }, email: { from: 5 } })).toEqual([
      'email.from must be a string',
    ]);
    expect(problems(mailgunFactory, { mailgun: { api_key: 'k', domain: 'x/../y' } })).toEqual([
      'mailgun.domain must be a domain name, e.g. mg.example.com',
    ]);
    expect(sendgridFactory.secretKeys).toEqual(['sendgrid.api_key']);
    expect(postmarkFactory.secretKeys).toEqual(['postmark.server_token']);
    expect(mailgunFactory.secretKeys).toEqual(['mailgun.api_key']);
  });
});
