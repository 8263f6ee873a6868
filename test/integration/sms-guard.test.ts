import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.ts';

describe('SMS toll-fraud guard', () => {
  let server: TestServer;
  let clientId: string;
  const logged: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    server = await TestServer.start({
      logger: logger as FastifyBaseLogger,
      config: {
        connections: [
          { name: 'sms', strategy: 'sms' },
          { name: 'sms-deny', strategy: 'sms', options: { sms_guard: { denied_countries: ['GB'] } } },
          { name: 'sms-allow', strategy: 'sms', options: { sms_guard: { allowed_countries: ['US', 'CA'] } } },
          { name: 'sms-any-type', strategy: 'sms', options: { sms_guard: { refuse_number_types: [] } } },
          { name: 'sms-country', strategy: 'sms', options: { sms_guard: { per_country_per_hour: 2 } } },
          {
            name: 'sms-prefix',
            strategy: 'sms',
            options: { sms_guard: { per_prefix_per_hour: { digits: 7, limit: 2 } } },
          },
          { name: 'sms-budget', strategy: 'sms', options: { sms_guard: { daily_budget: 3 } } },
        ],
      },
    });
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  function start(connection: string, phone_number: string) {
    return server.post('/passwordless/start', {
      client_id: clientId,
      connection,
      phone_number,
      send: 'code',
    });
  }

  async function expectRefused(connection: string, phone: string, description: RegExp) {
    const answer = await start(connection, phone);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'bad.phone_number',
      error_description: expect.stringMatching(description),
    });
    expect(await server.inbox(phone)).toEqual([]);
  }

  async function expectTooMany(connection: string, phone: string) {
    const answer = await start(connection, phone);
    expect(answer.status).toBe(429);
    expect(answer.body).toEqual({ error: 'too_many_requests', error_description: expect.any(String) });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await server.inbox(phone)).toEqual([]);
  }

  it('refuses premium-rate numbers by default', async () => {
    await expectRefused('sms', '+19005550100', /premium-rate/);
    await expectRefused('sms', '+448712345678', /premium-rate/);
    expect((await start('sms', '+14155550500')).status).toBe(200);
  });

  it('refuses VoIP numbers by default', async () => {
    await expectRefused('sms', '+35220123456', /voip/);
  });

  it('sends to any type when refuse_number_types is empty', async () => {
    expect((await start('sms-any-type', '+19005550100')).status).toBe(200);
  });

  it('refuses a denied country and sends to others', async () => {
    await expectRefused('sms-deny', '+447400123456', /country/);
    expect((await start('sms-deny', '+33612345678')).status).toBe(200);
  });

  it('sends only to allowed countries', async () => {
    expect((await start('sms-allow', '+14155550501')).status).toBe(200);
    await expectRefused('sms-allow', '+33612345679', /country/);
    await expectRefused('sms-allow', '+4915123456789', /country/);
    // A non-geographic number (+881 satellite) has no country, so no allow-list admits it.
    await expectRefused('sms-allow', '+881612345678', /country/);
  });

  it('refuses numbers of a country past per_country_per_hour', async () => {
    expect((await start('sms-country', '+33612345601')).status).toBe(200);
    expect((await start('sms-country', '+33612345602')).status).toBe(200);
    await expectTooMany('sms-country', '+33612345603');
    // Other countries keep their budget.
    expect((await start('sms-country', '+14155550502')).status).toBe(200);
  });

  it('refuses numbers sharing a prefix past per_prefix_per_hour', async () => {
    expect((await start('sms-prefix', '+14155550601')).status).toBe(200);
    expect((await start('sms-prefix', '+14155550602')).status).toBe(200);
    await expectTooMany('sms-prefix', '+14155550603');
    expect((await start('sms-prefix', '+16505550100')).status).toBe(200);
  });

  it('refuses past daily_budget and raises one sms_daily_budget alert', async () => {
    for (let n = 0; n < 3; n++) expect((await start('sms-budget', `+1415555070${n}`)).status).toBe(200);
    expect(logged.filter((entry) => entry.alert === 'sms_daily_budget')).toEqual([]);
    await expectTooMany('sms-budget', '+14155550703');
    await expectTooMany('sms-budget', '+14155550704');
    const alerts = logged.filter((entry) => entry.alert === 'sms_daily_budget');
    expect(alerts).toEqual([
      expect.objectContaining({ level: 40, alert: 'sms_daily_budget', connection: 'sms-budget', budget: 3 }),
    ]);
  });

  it('refuses a number before counting it against the identifier budget', async () => {
    for (let n = 0; n < 6; n++) await expectRefused('sms', '+19005550101', /premium-rate/);
    // The refusals spent nothing: the same connection still sends to a fresh number.
    expect((await start('sms', '+14155550510')).status).toBe(200);
  });
});
