import { SignJWT } from 'jose';
import { type Static, Type } from 'typebox';
import type { OutboundMessage } from '../message.ts';
import { type Provider, ProviderError, type SendContext, type SendResult } from '../provider.ts';
import { field, httpRefusal, postToProvider, succeeded } from '../provider-http.ts';
import { blockOf, defineProvider, HttpUrl, isOn, Switch, Text } from '../provider-settings.ts';
import { smsRecipient } from './phone-numbers.ts';

const GatewayAuthentication = Type.Object(
  {
    // Case aside, "bearer" is the only method Auth0 has.
    method: Type.Optional(Text({ pattern: '^[Bb][Ee][Aa][Rr][Ee][Rr]$', mustBe: '"bearer"' })),
    subject: Text(),
    audience: Text(),
    secret: Text(),
    secret_base64_encoded: Type.Optional(Switch()),
  },
  // The whole block is sealed at rest: it holds the signing secret.
  { credential: true },
);

/**
 * Auth0's custom SMS gateway (`provider: "sms_gateway"`): a JSON POST of `{ recipient, body, sender }`
 * to `gateway_url`, plus `req` (the start request's ip, user agent and language) with
 * `forward_req_info`, and a short-lived HS256 bearer JWT with `gateway_authentication`.
 */
export const smsGatewayFactory = defineProvider({
  name: 'sms_gateway',
  channel: 'sms',
  settings: Type.Object({
    gateway_url: HttpUrl(),
    from: Type.Optional(Text()),
    forward_req_info: Type.Optional(Switch()),
    gateway_authentication: Type.Optional(GatewayAuthentication),
  }),
  check(given) {
    const { secret, secret_base64_encoded } = blockOf(given.gateway_authentication);
    return isOn(secret_base64_encoded) && typeof secret === 'string' && !decodeSecret(secret)
      ? ['gateway_authentication.secret is not valid base64']
      : [];
  },
  make: (settings) =>
    new SmsGatewayProvider(
      new URL(settings.gateway_url).href,
      settings.from,
      isOn(settings.forward_req_info),
      settings.gateway_authentication && bearerOf(settings.gateway_authentication),
    ),
});

/** How long the gateway's bearer token lives: one hour, as Auth0's do. */
const TOKEN_LIFETIME = '1h';

interface BearerSettings {
  subject: string;
  audience: string;
  key: Uint8Array;
}

class SmsGatewayProvider implements Provider {
  readonly name = 'sms_gateway';
  readonly channel = 'sms';

  constructor(
    private readonly url: string,
    private readonly from: string | undefined,
    private readonly forwardRequestInfo: boolean,
    private readonly bearer: BearerSettings | undefined,
  ) {}

  async send(message: OutboundMessage, context: SendContext): Promise<SendResult> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.bearer) headers.authorization = `Bearer ${await bearerToken(this.bearer)}`;
    const answer = await postToProvider(
      {
        url: this.url,
        headers,
        body: JSON.stringify(this.payload(message, context)),
        label: 'the SMS provider',
      },
      context.signal,
    );
    if (succeeded(answer)) {
      return { providerMessageId: messageId(answer.body) };
    }
    if (answer.status === 401 || answer.status === 403) {
      throw new ProviderError(
        'permanent',
        `the SMS gateway refused the request's credentials (HTTP ${answer.status})`,
        { status: answer.status },
      );
    }
    throw httpRefusal(answer, `the SMS gateway answered HTTP ${answer.status}`);
  }

  /** The body Auth0 sends, key for key; `req` uses Auth0's `user-agent` spelling. */
  private payload(message: OutboundMessage, context: SendContext): Record<string, unknown> {
    const payload: Record<string, unknown> = { recipient: smsRecipient(message), body: message.text };
    const sender = this.from ?? message.from;
    if (sender) payload.sender = sender;
    if (this.forwardRequestInfo && context.request) {
      const { ip, user_agent, language } = context.request;
      payload.req = { ip, 'user-agent': user_agent, language };
    }
    return payload;
  }
}

function bearerOf(authentication: Static<typeof GatewayAuthentication>): BearerSettings {
  const { subject, audience, secret } = authentication;
  const key = isOn(authentication.secret_base64_encoded)
    ? (decodeSecret(secret) as Uint8Array)
    : new TextEncoder().encode(secret);
  return { subject, audience, key };
}

/** Auth0 documents the encoded secret as base64url; plain base64 is accepted too. */
function decodeSecret(secret: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(secret)) return undefined;
  const key = Buffer.from(secret, 'base64');
  return key.length > 0 ? new Uint8Array(key) : undefined;
}

function bearerToken(bearer: BearerSettings): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(bearer.subject)
    .setAudience(bearer.audience)
    .setIssuedAt()
    .setExpirationTime(TOKEN_LIFETIME)
    .sign(bearer.key);
}

/** The gateway's id for the message, when its answer names one (Auth0 itself ignores the body). */
function messageId(body: unknown): string | null {
  for (const key of ['id', 'sid', 'message_id']) {
    const value = field(body, key);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return null;
}
