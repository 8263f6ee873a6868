import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.ts';

describe('sms code login', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start();
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  function start(phoneNumber: string, headers: Record<string, string> = {}) {
    return server.post(
      '/passwordless/start',
      { client_id: clientId, connection: 'sms', phone_number: phoneNumber, send: 'code' },
      { headers },
    );
  }

  it.each([
    ['+1 (415) 555-0100', '+14155550100'],
    ['+14155550101', '+14155550101'],
    ['  +1 415-555-0102 ', '+14155550102'],
    ['+1.415.555.0103', '+14155550103'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('reads %j as the E.164 number %s', async (raw, e164) => {
    const answer = await start(raw);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      _id: expect.any(String),
      phone_number: e164,
      phone_verified: false,
      request_language: null,
    });
    const [message] = await server.inbox(e164);
    expect(message).toMatchObject({ to: e164, channel: 'sms', subject: null, html: null });
  });

  it.each(['4155550100', '+1 555', 'call me', '+1 (415) 555-0100 ext. 7'])(
    'refuses %j as bad.phone_number',
    async (raw) => {
      const answer = await start(raw);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'bad.phone_number', error_description: expect.any(String) });
    },
  );

  it('refuses send "link" on an sms connection', async () => {
    const answer = await server.post('/passwordless/start', {
      client_id: clientId,
      connection: 'sms',
      phone_number: '+14155550110',
      send: 'link',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('bad.send');
  });

  it('sends a code by default and reflects the request language', async () => {
    const explicit = await start('+14155550120', { 'x-request-language': 'fr', 'accept-language': 'de-DE' });
    expect(explicit.status).toBe(200);
    expect(explicit.body.request_language).toBe('fr');

    const accepted = await start('+14155550121', { 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' });
    expect(accepted.body.request_language).toBe('de-DE');

    const byDefault = await server.post('/passwordless/start', {
      client_id: clientId,
      connection: 'sms',
      phone_number: '+14155550122',
    });
    expect(byDefault.status).toBe(200);
    expect(byDefault.body.request_language).toBeNull();
    const [message] = await server.inbox('+14155550122');
    expect(message?.code).toMatch(/^\d{6}$/);
  });

  it('logs in with the texted code and puts the verified phone number in the id_token', async () => {
    const started = await start('+1 (415) 555-0130');
    expect(started.body.phone_number).toBe('+14155550130');

    const inbox = await server.get<{ to: string; code: string; text: string }[]>(
      '/dev/inbox/messages?to=%2B14155550130',
    );
    expect(inbox.status).toBe(200);
    const [message] = inbox.body;
    expect(message?.to).toBe('+14155550130');
    expect(message?.code).toMatch(/^\d{6}$/);
    expect(message?.text).toContain(message?.code);

    const wrongCode = String((Number(message?.code) + 1) % 1_000_000).padStart(6, '0');
    const wrong = await server.otpGrant(clientId, 'sms', '+14155550130', wrongCode);
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({
      error: 'invalid_grant',
      error_description: 'Wrong phone number or verification code.',
    });

    // The username may come in another format than the one used at start.
    const token = await server.otpGrant(clientId, 'sms', '+1 415-555-0130', message?.code as string, {
      scope: 'openid phone',
    });
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', scope: 'openid phone' });

    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token.body.id_token as string, jwks, {
      issuer: server.issuer,
      audience: clientId,
    });
    expect(payload.sub).toMatch(/^sms\|[0-9a-f]{24}$/);
    expect(payload).toMatchObject({ phone_number: '+14155550130', phone_number_verified: true });
    expect(payload.email).toBeUndefined();

    const userinfo = await server.get('/userinfo', { authorization: `Bearer ${token.body.access_token}` });
    expect(userinfo.body).toEqual({
      sub: payload.sub,
      phone_number: '+14155550130',
      phone_number_verified: true,
    });
  });

  it('finds messages in the dev inbox when the + of the query arrives as a space', async () => {
    await start('+14155550140');
    const inbox = await server.get<{ to: string }[]>('/dev/inbox/messages?to=+14155550140');
    expect(inbox.body.map((m) => m.to)).toEqual(['+14155550140']);
  });

  it('refuses an sms code presented on the email realm', async () => {
    const code = await server.startCode(clientId, { phone_number: '+14155550150' });
    const token = await server.otpGrant(clientId, 'email', '+14155550150', code);
    expect(token.status).toBe(403);
    expect(token.body.error).toBe('invalid_grant');
    expect((await server.otpGrant(clientId, 'sms', '+14155550150', code)).status).toBe(200);
  });
});
