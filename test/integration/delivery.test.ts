import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeProvider } from '../contract/sms-fake-provider.ts';
import { LiveClock, OTP_GRANT, TestServer } from '../helpers/server.ts';

// Fault injection through the outbox: real providers (Twilio, Vonage) against local servers that
// speak their APIs and answer what each test scripts.

const CLIENT = 'delivery-app-0001';
const TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TWILIO_TOKEN = 'twilio-token-that-must-not-leak';
const TWILIO_OK = { status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } };
const VONAGE_OK = {
  status: 200,
  body: { 'message-count': '1', messages: [{ status: '0', 'message-id': 'vonage-1' }] },
};

/** The code in a provider request's form-encoded SMS text. */
function codeIn(body: string): string {
  const text = [...new URLSearchParams(body).values()].join(' ');
  const code = /\b(\d{6})\b/.exec(text)?.[1];
  if (!code) throw new Error(`no code in ${text}`);
  return code;
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('delivery through the outbox', () => {
  let server: TestServer;
  let twilio: FakeProvider;
  let vonage: FakeProvider;
  let solo: FakeProvider;
  let phone = 14155550100;
  const nextPhone = () => `+${++phone}`;

  const twilioSettings = (url: string) => ({
    provider: 'twilio',
    twilio_sid: TWILIO_SID,
    twilio_token: TWILIO_TOKEN,
    from: '+15005550006',
    twilio_base_url: url,
  });

  beforeAll(async () => {
    [twilio, vonage, solo] = await Promise.all([
      FakeProvider.start(),
      FakeProvider.start(),
      FakeProvider.start(),
    ]);
    server = await TestServer.start({
      // Retries are scheduled in time: this clock runs.
      clock: new LiveClock(),
      config: {
        applications: [{ client_id: CLIENT, name: 'Delivery', grant_types: [OTP_GRANT] }],
        connections: [
          {
            name: 'sms',
            strategy: 'sms',
            options: {
              ...twilioSettings(twilio.url),
              failover: {
                provider: 'vonage',
                vonage_api_key: 'vonage-key',
                vonage_api_secret: 'vonage-secret-that-must-not-leak',
                from: 'Tessera',
                vonage_base_url: vonage.url,
              },
            },
          },
          { name: 'sms-solo', strategy: 'sms', options: twilioSettings(solo.url) },
        ],
        delivery: {
          send_timeout_ms: 300,
          max_wait_ms: 4000,
          primary_attempts: 2,
          retry_base_ms: 50,
          poll_ms: 100,
        },
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([twilio?.close(), vonage?.close(), solo?.close()]);
  });
  beforeEach(() => {
    twilio.willAnswer(TWILIO_OK);
    vonage.willAnswer(VONAGE_OK);
    solo.willAnswer(TWILIO_OK);
  });

  const start = (connection: string, phone_number: string) =>
    server.post('/passwordless/start', { client_id: CLIENT, connection, phone_number });
  const login = (connection: string, phone_number: string, otp: string) =>
    server.otpGrant(CLIENT, connection, phone_number, otp, { scope: 'openid' });

  it('keeps provider credentials sealed in the database', () => {
    const db = new SQLite(join(server.dataDir, 'tessera.db'), { readonly: true });
    try {
      const rows = db.prepare('select data from connections').all() as { data: string }[];
      const stored = rows.map((r) => r.data).join('\n');
      expect(stored).toContain('"$sealed"');
      expect(stored).not.toContain(TWILIO_TOKEN);
      expect(stored).not.toContain('vonage-secret-that-must-not-leak');
      // Settings that are not secrets stay readable.
      expect(stored).toContain(TWILIO_SID);
    } finally {
      db.close();
    }
  });

  it('sends through Twilio and the code it carried logs in', async () => {
    const number = nextPhone();
    const answer = await start('sms', number);
    expect(answer.status).toBe(200);
    expect(twilio.requests).toHaveLength(1);
    expect(vonage.requests).toHaveLength(0);
    const sent = new URLSearchParams(twilio.requests[0]?.body);
    expect(sent.get('To')).toBe(number);
    expect((await login('sms', number, codeIn(twilio.requests[0]?.body as string))).status).toBe(200);
  });

  it('does not retry a permanent refusal, answers 400 sms_provider_error, and leaves no valid code', async () => {
    const number = nextPhone();
    twilio.willAnswer({
      status: 400,
      body: { code: 21211, message: `The 'To' number ${number} is not valid.`, status: 400 },
    });
    const answer = await start('sms', number);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('sms_provider_error');
    expect(String(answer.body.error_description)).not.toContain(TWILIO_TOKEN);
    expect(twilio.requests).toHaveLength(1);
    expect(vonage.requests).toHaveLength(0);
    const code = codeIn(twilio.requests[0]?.body as string);
    expect((await login('sms', number, code)).status).toBe(403);
  });

  it('retries a 500 and answers once the retry is accepted', async () => {
    const number = nextPhone();
    solo.willAnswerInTurn(
      [{ status: 500, body: { code: 20500, message: 'Internal error', status: 500 } }],
      TWILIO_OK,
    );
    const answer = await start('sms-solo', number);
    expect(answer.status).toBe(200);
    expect(solo.requests).toHaveLength(2);
    expect((await login('sms-solo', number, codeIn(solo.requests[1]?.body as string))).status).toBe(200);
  });

  it('waits at least as long as a 429 Retry-After asks before trying again', async () => {
    const number = nextPhone();
    solo.willAnswerInTurn(
      [
        {
          status: 429,
          headers: { 'retry-after': '1' },
          body: { code: 20429, message: 'Too Many Requests', status: 429 },
        },
      ],
      TWILIO_OK,
    );
    const started = Date.now();
    const answer = await start('sms-solo', number);
    expect(answer.status).toBe(200);
    expect(solo.requests).toHaveLength(2);
    // A lower bound only: the retry may come later on a busy machine, never sooner.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('fails over to Vonage when Twilio keeps failing, and the user gets exactly one message', async () => {
    const number = nextPhone();
    twilio.willAnswer({ status: 503, body: { code: 20503, message: 'Service unavailable', status: 503 } });
    const answer = await start('sms', number);
    expect(answer.status).toBe(200);
    expect(twilio.requests).toHaveLength(2);
    expect(vonage.requests).toHaveLength(1);
    const sent = new URLSearchParams(vonage.requests[0]?.body);
    expect(sent.get('to')).toBe(number.slice(1));
    expect((await login('sms', number, codeIn(vonage.requests[0]?.body as string))).status).toBe(200);
  });

  it('treats a provider slower than the send timeout as down, and fails over', async () => {
    const number = nextPhone();
    twilio.willAnswer('hang');
    const answer = await start('sms', number);
    expect(answer.status).toBe(200);
    expect(twilio.requests).toHaveLength(2);
    expect(vonage.requests).toHaveLength(1);
  });

  it('keeps a message through an outage and sends it when the provider is back', async () => {
    const number = nextPhone();
    solo.willAnswer({ status: 503, body: { code: 20503, message: 'Service unavailable', status: 503 } });
    // The outage outlasts the wait: the start answers, and the message stays in the outbox.
    const answer = await start('sms-solo', number);
    expect(answer.status).toBe(200);
    expect(solo.requests.length).toBeGreaterThanOrEqual(2);
    solo.willAnswer(TWILIO_OK);
    await until(() => solo.requests.length > 0);
    expect((await login('sms-solo', number, codeIn(solo.requests[0]?.body as string))).status).toBe(200);
  });
});
