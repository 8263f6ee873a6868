import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, TestServer } from '../helpers/server.ts';

/** A refusal with the spec's body and a Retry-After of at most `windowS` seconds. */
function expectTooMany(answer: Answer, windowS: number) {
  expect(answer.status).toBe(429);
  expect(answer.body).toEqual({ error: 'too_many_requests', error_description: expect.any(String) });
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(windowS);
}

describe('start limits per identifier', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        connections: [
          { name: 'email', strategy: 'email' },
          { name: 'sms', strategy: 'sms' },
          { name: 'email-cooldown', strategy: 'email', options: { start_limits: { resend_cooldown_s: 1 } } },
          {
            name: 'email-strict',
            strategy: 'email',
            options: { start_limits: { per_identifier: { points: 2, duration_s: 60 } } },
          },
        ],
      },
    });
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  function start(fields: Record<string, string>, connection = 'email') {
    return server.post('/passwordless/start', { client_id: clientId, connection, send: 'code', ...fields });
  }

  it('allows 5 starts for one email in 15 minutes by default and refuses the 6th', async () => {
    for (let n = 0; n < 5; n++) expect((await start({ email: 'five@example.com' })).status).toBe(200);
    const refused = await start({ email: 'five@example.com' });
    expectTooMany(refused, 900);
    // The refused start sent nothing: the inbox holds the five codes only.
    expect(await server.inbox('five@example.com')).toHaveLength(5);
    // Another identifier has its own budget.
    expect((await start({ email: 'other@example.com' })).status).toBe(200);
  });

  it('counts an identifier after normalisation (case and spaces)', async () => {
    const spellings = [
      'Norm@Example.com',
      ' norm@example.com',
      'NORM@EXAMPLE.COM',
      'norm@example.com ',
      'nOrm@example.com',
    ];
    for (const email of spellings) expect((await start({ email })).status).toBe(200);
    expectTooMany(await start({ email: 'norm@EXAMPLE.com' }), 900);
  });

  it('counts phone numbers in E.164, however they are typed', async () => {
    const spellings = [
      '+14155550400',
      '+1 415 555 0400',
      '+1 (415) 555-0400',
      '+1.415.555.0400',
      '+14155550400',
    ];
    for (const phone_number of spellings) expect((await start({ phone_number }, 'sms')).status).toBe(200);
    expectTooMany(await start({ phone_number: '+1-415-555-0400' }, 'sms'), 900);
  });

  it('does not count starts that fail validation', async () => {
    for (let n = 0; n < 8; n++) {
      const bad = await start({ email: 'valid@example.com', send: 'carrier-pigeon' });
      expect(bad.status).toBe(400);
    }
    for (let n = 0; n < 5; n++) expect((await start({ email: 'valid@example.com' })).status).toBe(200);
  });

  it('takes per_identifier points and duration from the connection', async () => {
    expect((await start({ email: 'strict@example.com' }, 'email-strict')).status).toBe(200);
    expect((await start({ email: 'strict@example.com' }, 'email-strict')).status).toBe(200);
    expectTooMany(await start({ email: 'strict@example.com' }, 'email-strict'), 60);
    // Connections count apart: the same address still has its budget on `email`.
    expect((await start({ email: 'strict@example.com' })).status).toBe(200);
  });

  it('refuses a second start within resend_cooldown_s, and allows it after', async () => {
    expect((await start({ email: 'cool@example.com' }, 'email-cooldown')).status).toBe(200);
    expectTooMany(await start({ email: 'cool@example.com' }, 'email-cooldown'), 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await start({ email: 'cool@example.com' }, 'email-cooldown')).status).toBe(200);
  });
});

describe('start limit per application', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        rate_limits: {
          start_per_ip_per_hour: 100_000,
          authorize_per_ip_per_minute: 100_000,
          start_per_application_per_hour: 3,
        },
      },
    });
  });
  afterAll(() => server.close());

  it('refuses starts past rate_limits.start_per_application_per_hour, whatever the identifier', async () => {
    const clientId = await server.clientId();
    const start = (n: number) =>
      server.post('/passwordless/start', {
        client_id: clientId,
        connection: 'email',
        send: 'code',
        email: `app${n}@example.com`,
      });
    for (let n = 0; n < 3; n++) expect((await start(n)).status).toBe(200);
    expectTooMany(await start(3), 3600);
    expect(await server.inbox('app3@example.com')).toEqual([]);
  });
});
