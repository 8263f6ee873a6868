import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Provider } from '../../src/delivery/provider.ts';
import { twilioFactory } from '../../src/delivery/sms/twilio.ts';
import { MESSAGE, TWILIO_SID, TWILIO_TOKEN, twilioCase, twilioError } from './sms-cases.ts';
import { FakeProvider } from './sms-fake-provider.ts';

/** What only Twilio does: Messaging Services, its default host, its Retry-After dates. */
describe('Twilio specifics', () => {
  let fake: FakeProvider;

  beforeAll(async () => {
    fake = await FakeProvider.start();
  });
  afterAll(() => fake.close());
  afterEach(() => vi.restoreAllMocks());

  const context = () => ({ signal: AbortSignal.timeout(5000) });
  const messagingServiceSid = `MG${'fedcba9876543210'.repeat(2)}`;

  function twilio(options: Record<string, unknown>): Provider {
    const result = twilioFactory.create({ ...twilioCase.options(fake.url), ...options });
    if ('problems' in result) throw new Error(result.problems.join('; '));
    return result;
  }

  function sentFields(): Array<[string, string]> {
    return [...new URLSearchParams(fake.requests.at(-1)!.body)];
  }

  it('sends MessagingServiceSid instead of From when a Messaging Service is configured', async () => {
    fake.willAnswer(twilioCase.accepted);
    await twilio({ messaging_service_sid: messagingServiceSid }).send(MESSAGE, context());
    expect(sentFields()).toEqual([
      ['To', MESSAGE.to],
      ['MessagingServiceSid', messagingServiceSid],
      ['Body', MESSAGE.text],
    ]);
    await twilio({ messaging_service_sid: messagingServiceSid, from: null }).send(MESSAGE, context());
    expect(sentFields().map(([key]) => key)).toEqual(['To', 'MessagingServiceSid', 'Body']);
  });

  it('keeps an alphanumeric sender id as written', async () => {
    fake.willAnswer(twilioCase.accepted);
    await twilio({ from: 'Acme Corp' }).send(MESSAGE, context());
    expect(sentFields()).toContainEqual(['From', 'Acme Corp']);
  });

  it('accepts a base URL with a trailing slash', async () => {
    fake.willAnswer(twilioCase.accepted);
    await twilio({ twilio_base_url: `${fake.url}/` }).send(MESSAGE, context());
    expect(fake.requests.at(-1)!.url).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
  });

  it('calls https://api.twilio.com by default', async () => {
    const fetch = vi
      .spyOn(globalThis, 'fetch')
      .mockResolvedValue(new Response(JSON.stringify({ sid: 'SM1' }), { status: 201 }));
    const result = twilioFactory.create({
      twilio_sid: TWILIO_SID,
      twilio_token: TWILIO_TOKEN,
      from: '+15005550006',
    });
    if ('problems' in result) throw new Error(result.problems.join('; '));
    await expect(result.send(MESSAGE, context())).resolves.toEqual({ providerMessageId: 'SM1' });
    expect(fetch.mock.calls[0]?.[0]).toBe(
      `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`,
    );
  });

  it('reads a Retry-After given as an HTTP date', async () => {
    const later = new Date(Date.now() + 30_000).toUTCString();
    fake.willAnswer({ ...twilioError(429, 20429), headers: { 'retry-after': later } });
    const error = await twilio({})
      .send(MESSAGE, context())
      .catch((reason) => reason);
    expect(error.kind).toBe('transient');
    expect(error.details.retryAfterMs).toBeGreaterThan(25_000);
    expect(error.details.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('treats an error that is not JSON by its HTTP status', async () => {
    fake.willAnswer({ status: 400, body: '<html>Bad Request</html>' });
    await expect(twilio({}).send(MESSAGE, context())).rejects.toMatchObject({
      kind: 'permanent',
      description: 'the provider answered HTTP 400',
    });
  });

  it('succeeds without a message id when the answer has no sid', async () => {
    fake.willAnswer({ status: 201, body: 'created' });
    await expect(twilio({}).send(MESSAGE, context())).resolves.toEqual({ providerMessageId: null });
  });

  it('declares twilio_token secret', () => {
    expect(twilioFactory.secretKeys).toEqual(['twilio_token']);
  });
});
