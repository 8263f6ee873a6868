import { randomBytes } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Provider, SendContext } from '../../src/delivery/provider.ts';
import { smsGatewayFactory } from '../../src/delivery/sms/gateway.ts';
import { MESSAGE } from './sms-cases.ts';
import { FakeProvider } from './sms-fake-provider.ts';

/** What only Auth0's custom SMS gateway does: its JWT, `req`, `sender`, and lenient answers. */
describe('SMS gateway specifics', () => {
  let fake: FakeProvider;

  beforeAll(async () => {
    fake = await FakeProvider.start();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.willAnswer({ status: 200, body: 'OK' }));

  const request = { ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)', language: 'fr-CA' };
  const context = (withRequest = true): SendContext => ({
    signal: AbortSignal.timeout(5000),
    ...(withRequest ? { request } : {}),
  });

  function gateway(options: Record<string, unknown> = {}): Provider {
    const result = smsGatewayFactory.create({ gateway_url: `${fake.url}/sms`, ...options });
    if ('problems' in result) throw new Error(result.problems.join('; '));
    return result;
  }

  async function sentBody(provider: Provider, withRequest = true): Promise<Record<string, unknown>> {
    await provider.send(MESSAGE, context(withRequest));
    return JSON.parse(fake.requests.at(-1)!.body);
  }

  it('signs with the base64-decoded secret when secret_base64_encoded is set', async () => {
    const key = randomBytes(32);
    for (const [encoding, flag] of [
      ['base64url', true],
      ['base64', 'true'],
    ] as const) {
      const secret = key.toString(encoding);
      const provider = gateway({
        gateway_authentication: {
          method: 'bearer',
          subject: 'urn:Auth0',
          audience: 'urn:gw',
          secret,
          secret_base64_encoded: flag,
        },
      });
      await provider.send(MESSAGE, context());
      const token = fake.requests.at(-1)!.headers.authorization!.replace(/^Bearer /, '');
      const { payload } = await jwtVerify(token, new Uint8Array(key), {
        algorithms: ['HS256'],
        audience: 'urn:gw',
        subject: 'urn:Auth0',
      });
      expect(payload.exp! - payload.iat!).toBe(3600);
      await expect(jwtVerify(token, new TextEncoder().encode(secret))).rejects.toThrow();
    }
  });

  it('signs with the secret as written otherwise, so a token for another audience fails', async () => {
    const provider = gateway({
      gateway_authentication: { subject: 'urn:Auth0', audience: 'urn:gw', secret: 'shhhh' },
    });
    await provider.send(MESSAGE, context());
    const token = fake.requests.at(-1)!.headers.authorization!.replace(/^Bearer /, '');
    expect(decodeJwt(token)).toMatchObject({ sub: 'urn:Auth0', aud: 'urn:gw' });
    const key = new TextEncoder().encode('shhhh');
    await expect(jwtVerify(token, key, { audience: 'urn:other' })).rejects.toThrow();
    await expect(jwtVerify(token, key, { subject: 'urn:other' })).rejects.toThrow();
    await expect(jwtVerify(token, new TextEncoder().encode('shhhhh'))).rejects.toThrow();
  });

  it('sends no Authorization header without gateway_authentication', async () => {
    await gateway().send(MESSAGE, context());
    expect(fake.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it("forwards the request's ip, user agent and language only with forward_req_info", async () => {
    const forwarded = { ip: request.ip, 'user-agent': request.user_agent, language: request.language };
    expect(await sentBody(gateway({ forward_req_info: true }))).toMatchObject({ req: forwarded });
    expect(await sentBody(gateway({ forward_req_info: 'true' }))).toMatchObject({ req: forwarded });
    expect(await sentBody(gateway({ forward_req_info: false }))).not.toHaveProperty('req');
    expect(await sentBody(gateway())).not.toHaveProperty('req');
    expect(await sentBody(gateway({ forward_req_info: true }), false)).not.toHaveProperty('req');
  });

  it('sends the configured sender, else the message sender, else none', async () => {
    expect(await sentBody(gateway({ from: 'Acme' }))).toEqual({
      recipient: MESSAGE.to,
      body: MESSAGE.text,
      sender: 'Acme',
    });
    await gateway().send({ ...MESSAGE, from: '+15550001111' }, context());
    expect(JSON.parse(fake.requests.at(-1)!.body)).toMatchObject({ sender: '+15550001111' });
    expect(await sentBody(gateway())).toEqual({ recipient: MESSAGE.to, body: MESSAGE.text });
  });

  it.each([
    [{ status: 200, body: { sid: 'abc' } }, 'abc'],
    [{ status: 201, body: { message_id: 'm-1' } }, 'm-1'],
    [{ status: 202, body: { id: 42 } }, '42'],
    [{ status: 200, body: 'OK' }, null],
    [{ status: 204 }, null],
    [{ status: 200, body: ['not', 'an', 'object'] }, null],
  ])('reads a message id from %j', async (answer, id) => {
    fake.willAnswer(answer);
    expect(await gateway().send(MESSAGE, context())).toEqual({ providerMessageId: id });
  });

  it('does not follow a redirect, and treats it as permanent', async () => {
    fake.willAnswer({ status: 302, headers: { location: `${fake.url}/elsewhere` } });
    await expect(gateway().send(MESSAGE, context())).rejects.toMatchObject({
      kind: 'permanent',
      description: 'the SMS gateway answered HTTP 302',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('keeps a key in the gateway URL out of every description', async () => {
    fake.willAnswer('hang');
    const provider = gateway({ gateway_url: `${fake.url}/sms?key=url-key-123` });
    const failure = await provider
      .send(MESSAGE, { signal: AbortSignal.timeout(100) })
      .catch((error) => error);
    expect(failure.description).not.toContain('url-key-123');
    expect(fake.requests.at(-1)!.url).toBe('/sms?key=url-key-123');
  });

  it('declares the whole gateway_authentication block secret', () => {
    expect(smsGatewayFactory.secretKeys).toEqual(['gateway_authentication']);
  });
});
