import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/delivery/message.ts';
import { type Provider, ProviderError, type SendContext } from '../../src/delivery/provider.ts';
import { MESSAGE, SMS_PROVIDER_CASES, type SmsProviderCase } from './sms-cases.ts';
import { deadUrl, FakeProvider } from './sms-fake-provider.ts';

/** The contract every SMS provider passes, each against a fake speaking its own protocol. */
describe.each(SMS_PROVIDER_CASES.map((providerCase) => [providerCase.factory.name, providerCase] as const))(
  'SMS provider %s',
  (_name, providerCase: SmsProviderCase) => {
    let fake: FakeProvider;
    let provider: Provider;

    beforeAll(async () => {
      fake = await FakeProvider.start();
      provider = create(providerCase, providerCase.options(fake.url));
    });
    afterAll(() => fake.close());

    const context = (): SendContext => ({ signal: AbortSignal.timeout(5000) });

    it('describes itself as an SMS provider and declares its secret keys', () => {
      expect(providerCase.factory.channel).toBe('sms');
      expect(provider.name).toBe(providerCase.factory.name);
      expect(provider.channel).toBe('sms');
      expect(providerCase.factory.secretKeys.length).toBeGreaterThan(0);
    });

    it('sends one request of exactly the provider API shape and returns its message id', async () => {
      fake.willAnswer(providerCase.accepted);
      const result = await provider.send(MESSAGE, context());
      expect(result).toEqual({ providerMessageId: providerCase.acceptedId });
      expect(fake.requests).toHaveLength(1);
      await providerCase.checkRequest(fake.requests[0]!, MESSAGE);
    });

    it.each(providerCase.refusals.map((refusal) => [refusal.name, refusal] as const))(
      'maps the refusal "%s"',
      async (_refusal, refusal) => {
        fake.willAnswer(refusal.answer);
        const error = await failure(provider.send(MESSAGE, context()));
        expect(error.kind).toBe(refusal.kind);
        if (typeof refusal.description === 'string') expect(error.description).toBe(refusal.description);
        else expect(error.description).toMatch(refusal.description);
        if (refusal.providerCode !== undefined) expect(error.details.providerCode).toBe(refusal.providerCode);
        expectNoSecrets(providerCase, error);
      },
    );

    it('treats a 500 as transient', async () => {
      fake.willAnswer(providerCase.serverError);
      const error = await failure(provider.send(MESSAGE, context()));
      expect(error).toMatchObject({ kind: 'transient', details: { status: 500 } });
      expectNoSecrets(providerCase, error);
    });

    it("treats a 429 as transient and passes on the provider's Retry-After", async () => {
      fake.willAnswer(providerCase.rateLimited);
      const error = await failure(provider.send(MESSAGE, context()));
      expect(error).toMatchObject({ kind: 'transient', details: { status: 429, retryAfterMs: 7000 } });
      expectNoSecrets(providerCase, error);
    });

    it('gives up promptly, as transient, when the signal fires on a provider that never answers', async () => {
      fake.willAnswer('hang');
      const started = performance.now();
      const error = await failure(provider.send(MESSAGE, { signal: AbortSignal.timeout(150) }));
      expect(performance.now() - started).toBeLessThan(2000);
      expect(error.kind).toBe('transient');
      expect(fake.requests).toHaveLength(1);
      expectNoSecrets(providerCase, error);
    });

    it('does not start when the signal has already fired', async () => {
      fake.willAnswer(providerCase.accepted);
      const error = await failure(provider.send(MESSAGE, { signal: AbortSignal.abort() }));
      expect(error.kind).toBe('transient');
      expect(fake.requests).toHaveLength(0);
    });

    it('treats a provider it cannot reach as transient, without naming the URL', async () => {
      const url = await deadUrl();
      const unreachable = create(providerCase, providerCase.options(url));
      const error = await failure(unreachable.send(MESSAGE, context()));
      expect(error.kind).toBe('transient');
      expect(error.description).not.toContain(url.replace('http://', ''));
      expectNoSecrets(providerCase, error);
    });

    it.each([
      ['a number without +', '14155550100'],
      ['a formatted number', '+1 415 555 0100'],
      ['an email address', 'someone@example.com'],
    ])('refuses %s as recipient, permanently, without calling the provider', async (_what, to) => {
      fake.willAnswer(providerCase.accepted);
      const error = await failure(provider.send({ ...MESSAGE, to }, context()));
      expect(error.kind).toBe('permanent');
      expect(fake.requests).toHaveLength(0);
    });

    it('refuses an email message', async () => {
      const email: OutboundMessage = { ...MESSAGE, channel: 'email', to: 'a@b.co', subject: 'Code' };
      const error = await failure(provider.send(email, context()));
      expect(error.kind).toBe('permanent');
    });

    it('names every missing setting', () => {
      const result = providerCase.factory.create({});
      expect('problems' in result && result.problems).toEqual(expect.arrayContaining(providerCase.required));
    });

    it.each(providerCase.badSettings.map((bad) => [bad.problem, bad] as const))(
      'reports "%s"',
      (_problem, bad) => {
        const result = providerCase.factory.create({
          ...providerCase.options('https://sms.example'),
          ...bad.options,
        });
        expect('problems' in result).toBe(true);
        const problems = 'problems' in result ? result.problems : [];
        expect(problems.some((problem) => problem.startsWith(bad.problem))).toBe(true);
        for (const secret of providerCase.secrets) expect(problems.join('\n')).not.toContain(secret);
      },
    );
  },
);

function create(providerCase: SmsProviderCase, options: Record<string, unknown>): Provider {
  const result = providerCase.factory.create(options);
  if ('problems' in result) throw new Error(`unexpected problems: ${result.problems.join('; ')}`);
  return result;
}

async function failure(sending: Promise<unknown>): Promise<ProviderError> {
  const error = await sending.then(
    () => expect.fail('the send succeeded'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

function expectNoSecrets(providerCase: SmsProviderCase, error: ProviderError): void {
  for (const secret of providerCase.secrets) {
    expect(error.description).not.toContain(secret);
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error.details)).not.toContain(secret);
  }
}
