import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Provider } from '../../src/delivery/provider.ts';
import { vonageFactory } from '../../src/delivery/sms/vonage.ts';
import { MESSAGE, VONAGE_KEY, VONAGE_SECRET, vonageCase } from './sms-cases.ts';
import { FakeProvider } from './sms-fake-provider.ts';

/** What only Vonage does: refusals inside a 200, message parts, GSM-7 versus unicode. */
describe('Vonage specifics', () => {
  let fake: FakeProvider;

  beforeAll(async () => {
    fake = await FakeProvider.start();
  });
  afterAll(() => fake.close());
  afterEach(() => vi.restoreAllMocks());

  const context = () => ({ signal: AbortSignal.timeout(5000) });

  function vonage(options: Record<string, unknown> = {}): Provider {
    const result = vonageFactory.create({ ...vonageCase.options(fake.url), ...options });
    if ('problems' in result) throw new Error(result.problems.join('; '));
    return result;
  }

  function sent(): URLSearchParams {
    return new URLSearchParams(fake.requests.at(-1)!.body);
  }

  function parts(...statuses: string[]) {
    return {
      status: 200,
      body: {
        'message-count': String(statuses.length),
        messages: statuses.map((status, part) => ({ status, 'message-id': `part-${part}` })),
      },
    };
  }

  it('sends plain GSM-7 text without a type, so it is billed as text', async () => {
    fake.willAnswer(vonageCase.accepted);
    await vonage().send({ ...MESSAGE, text: 'Your code is 123456. Ça expire à 10:00 {€}' }, context());
    expect(sent().get('text')).toBe('Your code is 123456. Ça expire à 10:00 {€}');
    expect(sent().has('type')).toBe(false);
  });

  it.each(['Код: 123456', '验证码 123456', 'Code 123456 🔐'])('sends %j as unicode', async (text) => {
    fake.willAnswer(vonageCase.accepted);
    await vonage().send({ ...MESSAGE, text }, context());
    expect(sent().get('text')).toBe(text);
    expect(sent().get('type')).toBe('unicode');
  });

  it('sends a phone-number sender as digits without +', async () => {
    fake.willAnswer(vonageCase.accepted);
    await vonage({ from: '+44 7700 900000' }).send(MESSAGE, context());
    expect(sent().get('from')).toBe('447700900000');
  });

  it('accepts a message split in parts only when every part is accepted', async () => {
    fake.willAnswer(parts('0', '0'));
    await expect(vonage().send(MESSAGE, context())).resolves.toEqual({ providerMessageId: 'part-0' });
    fake.willAnswer(parts('0', '1'));
    await expect(vonage().send(MESSAGE, context())).rejects.toMatchObject({
      kind: 'transient',
      details: { providerCode: '1' },
    });
  });

  it('treats an unreadable 200 as transient', async () => {
    fake.willAnswer({ status: 200, body: '<html>maintenance</html>' });
    await expect(vonage().send(MESSAGE, context())).rejects.toMatchObject({ kind: 'transient' });
  });

  it('treats an HTTP 401 as refused credentials', async () => {
    fake.willAnswer({ status: 401, body: { type: 'unauthorized', detail: `bad key ${VONAGE_KEY}` } });
    await expect(vonage().send(MESSAGE, context())).rejects.toMatchObject({
      kind: 'permanent',
      description: 'the provider refused the configured credentials',
    });
  });

  it('calls https://rest.nexmo.com by default', async () => {
    const fetch = vi
      .spyOn(globalThis, 'fetch')
      .mockResolvedValue(new Response(JSON.stringify(parts('0').body), { status: 200 }));
    const result = vonageFactory.create({
      vonage_api_key: VONAGE_KEY,
      vonage_api_secret: VONAGE_SECRET,
      from: 'Acme',
    });
    if ('problems' in result) throw new Error(result.problems.join('; '));
    await expect(result.send(MESSAGE, context())).resolves.toEqual({ providerMessageId: 'part-0' });
    expect(fetch.mock.calls[0]?.[0]).toBe('https://rest.nexmo.com/sms/json');
  });

  it('declares vonage_api_secret secret', () => {
    expect(vonageFactory.secretKeys).toEqual(['vonage_api_secret']);
  });
});
