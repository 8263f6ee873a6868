import { jwtVerify } from 'jose';
import { expect } from 'vitest';
import type { OutboundMessage } from '../../src/delivery/message.ts';
import type { ProviderFactory } from '../../src/delivery/provider.ts';
import { smsGatewayFactory } from '../../src/delivery/sms/gateway.ts';
import { twilioFactory } from '../../src/delivery/sms/twilio.ts';
import { vonageFactory } from '../../src/delivery/sms/vonage.ts';
import type { FakeAnswer, RecordedRequest } from './sms-fake-provider.ts';

/**
 * Each SMS provider as the shared contract suite drives it: settings that point it at a fake
 * provider, the fake's answers in that provider's protocol, and what the provider must send.
 */
export interface SmsProviderCase {
  factory: ProviderFactory;
  /** Valid settings sending to the fake provider at `baseUrl`. */
  options(baseUrl: string): Record<string, unknown>;
  /** Credentials that no description or problem may ever contain. */
  secrets: string[];
  /** The answer that means "accepted", and the message id the provider must read from it. */
  accepted: FakeAnswer;
  acceptedId: string | null;
  /** Asserts the request is exactly what the provider's API expects for `message`. */
  checkRequest(request: RecordedRequest, message: OutboundMessage): void | Promise<void>;
  /** The provider's own refusals and the ProviderError each must become. */
  refusals: Refusal[];
  /** A 500 and a 429 (with `retry-after: 7`) in the provider's error shape. */
  serverError: FakeAnswer;
  rateLimited: FakeAnswer;
  /** The problems `create({})` must report. */
  required: string[];
  /** Bad settings (merged over valid ones) and the problem each must report. */
  badSettings: Array<{ options: Record<string, unknown>; problem: string }>;
}

export interface Refusal {
  name: string;
  answer: FakeAnswer;
  kind: 'transient' | 'permanent';
  description: RegExp | string;
  providerCode?: string | number;
}

/** The message every case sends: characters that need escaping in a form and outside GSM-7. */
export const MESSAGE: OutboundMessage = {
  channel: 'sms',
  to: '+14155550100',
  from: null,
  subject: null,
  text: 'Your code is 123456 — ü & = +%?',
  html: null,
};

export const TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const TWILIO_TOKEN = 'twilio-auth-token-f00dfacecafe';
export const GATEWAY_SECRET = 'gateway-signing-secret-never-shown';
export const VONAGE_KEY = 'vk0a1b2c3';
export const VONAGE_SECRET = 'vonage-api-secret-Zq9xW';

function formFields(request: RecordedRequest): Array<[string, string]> {
  expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded\b/);
  // A `+` left unescaped in a form body reads as a space: E.164 numbers must arrive as %2B.
  expect(request.body).not.toMatch(/=\+/);
  return [...new URLSearchParams(request.body)];
}

export function twilioError(status: number, code: number) {
  return {
    status,
    body: {
      code,
      message: `Error for /2010-04-01/Accounts/${TWILIO_SID}/Messages.json (token ${TWILIO_TOKEN})`,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    },
  };
}

function twilioRefusal(
  name: string,
  status: number,
  code: number,
  kind: Refusal['kind'],
  description: Refusal['description'],
): Refusal {
  return {
    name: `${code} ${name}`,
    answer: twilioError(status, code),
    kind,
    description,
    providerCode: code,
  };
}

export const twilioCase: SmsProviderCase = {
  factory: twilioFactory,
  options: (baseUrl) => ({
    provider: 'twilio',
    twilio_sid: TWILIO_SID,
    twilio_token: TWILIO_TOKEN,
    from: '+1 500-555-0006',
    messaging_service_sid: null,
    twilio_base_url: baseUrl,
  }),
  secrets: [TWILIO_SID, TWILIO_TOKEN],
  accepted: { status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } },
  acceptedId: 'SM0123456789abcdef0123456789abcdef',
  checkRequest(request, message) {
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
    const [scheme, credentials] = (request.headers.authorization ?? '').split(' ');
    expect(scheme).toBe('Basic');
    expect(Buffer.from(credentials ?? '', 'base64').toString()).toBe(`${TWILIO_SID}:${TWILIO_TOKEN}`);
    expect(formFields(request)).toEqual([
      ['To', message.to],
      ['From', '+15005550006'],
      ['Body', message.text],
    ]);
    expect(request.body).toContain('To=%2B14155550100');
  },
  refusals: [
    twilioRefusal('invalid To number', 400, 21211, 'permanent', /not valid/),
    twilioRefusal('unsubscribed recipient', 400, 21610, 'permanent', /unsubscribed/),
    twilioRefusal('region not enabled', 400, 21408, 'permanent', /region/),
    twilioRefusal('unroutable from this sender', 400, 21612, 'permanent', /cannot send/),
    twilioRefusal('not a mobile number', 400, 21614, 'permanent', /cannot receive/),
    twilioRefusal(
      'bad credentials',
      401,
      20003,
      'permanent',
      'the provider refused the configured credentials',
    ),
    twilioRefusal('rate limit without Retry-After', 429, 20429, 'transient', /rate/),
    twilioRefusal('an unlisted code', 400, 21606, 'permanent', /Twilio error 21606/),
    twilioRefusal('service unavailable', 503, 20503, 'transient', /HTTP 503/),
  ],
  serverError: twilioError(500, 20500),
  rateLimited: { ...twilioError(429, 20429), headers: { 'retry-after': '7' } },
  required: [
    'twilio_sid is required',
    'twilio_token is required',
    'from or messaging_service_sid is required',
  ],
  badSettings: [
    { options: { twilio_sid: 'SK123' }, problem: 'twilio_sid must be a Twilio Account SID' },
    { options: { twilio_token: 42 }, problem: 'twilio_token must be a string' },
    { options: { from: null }, problem: 'from or messaging_service_sid is required' },
    { options: { from: ' ', twilio_base_url: 'nope' }, problem: 'from or messaging_service_sid is required' },
    {
      options: { messaging_service_sid: 'MG1' },
      problem: 'messaging_service_sid must be a Twilio Messaging',
    },
    { options: { twilio_base_url: 'ftp://example.com' }, problem: 'twilio_base_url must be an absolute' },
  ],
};

export const gatewayCase: SmsProviderCase = {
  factory: smsGatewayFactory,
  options: (baseUrl) => ({
    provider: 'sms_gateway',
    gateway_url: `${baseUrl}/send-sms?tenant=acme`,
    from: '+1 234 567',
    gateway_authentication: {
      method: 'bearer',
      subject: 'urn:Auth0',
      audience: 'urn:MySmsGateway',
      secret: GATEWAY_SECRET,
      secret_base64_encoded: false,
    },
  }),
  secrets: [GATEWAY_SECRET],
  accepted: { status: 200, body: { id: 'gw-0001' } },
  acceptedId: 'gw-0001',
  async checkRequest(request, message) {
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/send-sms?tenant=acme');
    expect(request.headers['content-type']).toMatch(/^application\/json\b/);
    expect(JSON.parse(request.body)).toEqual({
      recipient: message.to,
      body: message.text,
      sender: '+1 234 567',
    });
    const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(GATEWAY_SECRET), {
      algorithms: ['HS256'],
      audience: 'urn:MySmsGateway',
      subject: 'urn:Auth0',
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(60);
  },
  refusals: [
    [400, 'permanent', /HTTP 400/],
    [401, 'permanent', /credentials.*HTTP 401/],
    [403, 'permanent', /credentials.*HTTP 403/],
    [404, 'permanent', /HTTP 404/],
    [422, 'permanent', /HTTP 422/],
    [408, 'transient', /HTTP 408/],
    [502, 'transient', /HTTP 502/],
    [503, 'transient', /HTTP 503/],
  ].map(([status, kind, description]) => ({
    name: `HTTP ${status}`,
    answer: { status: status as number, body: { error: `rejected, secret was ${GATEWAY_SECRET}` } },
    kind: kind as 'transient' | 'permanent',
    description: description as RegExp,
  })),
  serverError: { status: 500, body: `stack trace mentioning ${GATEWAY_SECRET}` },
  rateLimited: { status: 429, headers: { 'retry-after': '7' }, body: 'slow down' },
  required: ['gateway_url is required'],
  badSettings: [
    { options: { gateway_url: 'not a url' }, problem: 'gateway_url must be an absolute http or https URL' },
    { options: { gateway_url: 'file:///etc/passwd' }, problem: 'gateway_url must be an absolute' },
    { options: { forward_req_info: 'yes' }, problem: 'forward_req_info must be true or false' },
    { options: { gateway_authentication: 'token' }, problem: 'gateway_authentication must be an object' },
    {
      options: { gateway_authentication: { method: 'basic', subject: 's', audience: 'a', secret: 'x' } },
      problem: 'gateway_authentication.method must be "bearer"',
    },
    { options: { gateway_authentication: {} }, problem: 'gateway_authentication.subject is required' },
    { options: { gateway_authentication: {} }, problem: 'gateway_authentication.audience is required' },
    { options: { gateway_authentication: {} }, problem: 'gateway_authentication.secret is required' },
    {
      options: {
        gateway_authentication: {
          subject: 's',
          audience: 'a',
          secret: 'not base64!',
          secret_base64_encoded: true,
        },
      },
      problem: 'gateway_authentication.secret is not valid base64',
    },
  ],
};

function vonageAnswer(...statuses: string[]): FakeAnswer {
  return {
    status: 200,
    body: {
      'message-count': String(statuses.length),
      messages: statuses.map((status, part) =>
        status === '0'
          ? { to: '14155550100', 'message-id': `0A00000012345${part}7B`, status, 'message-price': '0.03' }
          : { status, 'error-text': `Refused for key ${VONAGE_KEY} secret ${VONAGE_SECRET}` },
      ),
    },
  };
}

export const vonageCase: SmsProviderCase = {
  factory: vonageFactory,
  options: (baseUrl) => ({
    provider: 'vonage',
    vonage_api_key: VONAGE_KEY,
    vonage_api_secret: VONAGE_SECRET,
    from: 'Tessera',
    vonage_base_url: baseUrl,
  }),
  secrets: [VONAGE_KEY, VONAGE_SECRET],
  accepted: vonageAnswer('0'),
  acceptedId: '0A0000001234507B',
  checkRequest(request, message) {
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/sms/json');
    expect(formFields(request)).toEqual([
      ['api_key', VONAGE_KEY],
      ['api_secret', VONAGE_SECRET],
      ['from', 'Tessera'],
      ['to', '14155550100'],
      ['text', message.text],
      ['type', 'unicode'],
    ]);
  },
  refusals: [
    { status: '1', kind: 'transient', description: /rate/ },
    { status: '2', kind: 'permanent', description: /missing parameter/ },
    { status: '4', kind: 'permanent', description: 'the provider refused the configured credentials' },
    { status: '5', kind: 'transient', description: /internal error/ },
    { status: '6', kind: 'permanent', description: /cannot route/ },
    { status: '7', kind: 'permanent', description: /barred/ },
    { status: '9', kind: 'permanent', description: /insufficient credit/ },
    { status: '10', kind: 'transient', description: /connections/ },
    { status: '15', kind: 'permanent', description: /sender/ },
    { status: '29', kind: 'permanent', description: /allowed test numbers/ },
    { status: '99', kind: 'permanent', description: /Vonage status 99/ },
  ].map(({ status, kind, description }) => ({
    name: `status ${status}`,
    answer: vonageAnswer(status),
    kind: kind as 'transient' | 'permanent',
    description,
    providerCode: status,
  })),
  serverError: { status: 500, body: `Internal error for ${VONAGE_KEY}` },
  rateLimited: { status: 429, headers: { 'retry-after': '7' }, body: '' },
  required: ['vonage_api_key is required', 'vonage_api_secret is required', 'from is required'],
  badSettings: [
    { options: { vonage_api_secret: '   ' }, problem: 'vonage_api_secret is required' },
    { options: { vonage_api_key: ['k'] }, problem: 'vonage_api_key must be a string' },
    { options: { vonage_base_url: 'rest.nexmo.com' }, problem: 'vonage_base_url must be an absolute' },
  ],
};

export const SMS_PROVIDER_CASES = [twilioCase, gatewayCase, vonageCase];
