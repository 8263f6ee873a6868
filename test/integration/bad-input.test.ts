import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../helpers/error-body.ts';
import { type Answer, OTP_GRANT, TestServer } from '../helpers/server.ts';

// Hostile input against every endpoint that reads a body or a query, generated from two tables:
// the endpoints (with the fields each reads) and the hostile values. The property: a 4xx with the
// spec's error body (or, where a value is legitimately acceptable, a success), never a 5xx, and
// the server stays healthy.

const PUBLIC = 'public-app-0001';
const MANAGEMENT = 'management-app-0001';
const MANAGEMENT_SECRET = 'management-secret-0123456789';
const CALLBACK = 'https://app.example.com/callback';

const config = {
  applications: [
    {
      client_id: PUBLIC,
      name: 'Public App',
      callbacks: [CALLBACK],
      grant_types: [OTP_GRANT, 'authorization_code', 'refresh_token'],
    },
    {
      client_id: MANAGEMENT,
      client_secret: MANAGEMENT_SECRET,
      name: 'Management',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
      management_scopes: ['create:users', 'read:users'],
    },
  ],
  connections: [
    { name: 'email', strategy: 'email' },
    { name: 'sms', strategy: 'sms' },
  ],
};

/**
 * How a field is declared, which decides which hostile values it must refuse:
 * `text` a string field, `boolean`, `record` a JSON object, `param` a string inside authParams
 * (checked by the domain, where null means absent and control characters are carried as-is).
 */
type FieldType = 'text' | 'boolean' | 'record' | 'param';

/** `json` bodies, or `query` strings; `page` endpoints are browser-facing and may answer with HTML. */
interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  input: 'json' | 'query';
  page?: boolean;
  base: Record<string, unknown>;
  fields: Record<string, FieldType>;
  headers?: () => Record<string, string>;
}

/** What a hostile value is, for deciding whether a field must refuse it. */
type Kind = 'type' | 'control' | 'long' | 'text';

const EMOJI = '😀🔥👩‍👩‍👧';
const hostileValues: [string, unknown, Kind][] = [
  ['a number', 42, 'type'],
  ['a huge float', -1.5e308, 'type'],
  ['zero', 0, 'type'],
  ['an empty array', [], 'type'],
  ['an array of strings', ['a@example.com', 'b@example.com'], 'type'],
  ['an empty object', {}, 'type'],
  ['an operator object', { $gt: '' }, 'type'],
  ['true', true, 'type'],
  ['false', false, 'type'],
  ['null', null, 'type'],
  ['an empty string', '', 'text'],
  ['whitespace', ' \u00a0\u2028 ', 'text'],
  ['emoji', EMOJI, 'text'],
  ['an emoji email', `${EMOJI}@example.com`, 'text'],
  ['right-to-left text', '\u202Emoc.elpmaxe@evil', 'text'],
  ['Arabic', 'مرحبا@مثال.السعودية', 'text'],
  ['combining marks', 'Z\u0334\u0321\u0319a\u0338l\u0337g\u0335o\u0336', 'text'],
  ['a lone surrogate', 'a\uD800b', 'text'],
  ['a NUL byte', 'a\u0000b', 'control'],
  ['only a NUL byte', '\u0000', 'control'],
  ['CR LF header injection', 'a\r\nSet-Cookie: x=1', 'control'],
  ['a terminal escape', '\u001b[31mred', 'control'],
  ['DEL', 'a\u007f', 'control'],
  ['a 5,000-character string', 'a'.repeat(5000), 'long'],
  ['a 60,000-character string', 'x'.repeat(60_000), 'long'],
  ['"__proto__"', '__proto__', 'text'],
  ['"constructor"', 'constructor', 'text'],
  ['"toString"', 'toString', 'text'],
  ['SQL', "' OR 1=1; DROP TABLE users; --", 'text'],
  ['a Liquid tag', '{{ code }}{% include "x" %}', 'text'],
  ['HTML', '<script>alert(1)</script>', 'text'],
  ['a path traversal', '../../../etc/passwd', 'text'],
  ['a phone number with letters', '+1 415 CALL NOW', 'text'],
];

/** Whether a field declared as `type` must refuse `value` (otherwise success or an error are both fine). */
function mustRefuse(type: FieldType, value: unknown, kind: Kind): boolean {
  switch (type) {
    case 'text':
      return typeof value !== 'string' || kind === 'control' || kind === 'long';
    case 'boolean':
      return typeof value !== 'boolean';
    case 'record':
      return typeof value !== 'object' || value === null || Array.isArray(value);
    case 'param':
      return (typeof value !== 'string' && value !== null) || kind === 'long';
  }
}

/** The same refusal for a query string, where every value arrives as text. */
function queryMustRefuse(value: unknown, kind: Kind): boolean {
  return kind === 'control' || kind === 'long' || (Array.isArray(value) && value.length > 1);
}

let server: TestServer;
let managementToken = '';

const endpoints: Endpoint[] = [
  {
    name: 'POST /passwordless/start',
    method: 'POST',
    path: '/passwordless/start',
    input: 'json',
    base: { client_id: PUBLIC, connection: 'email', email: 'fuzz@example.com', send: 'code' },
    fields: {
      client_id: 'text',
      client_secret: 'text',
      connection: 'text',
      email: 'text',
      phone_number: 'text',
      send: 'text',
      authParams: 'record',
      'authParams.redirect_uri': 'param',
      'authParams.state': 'param',
      'authParams.response_type': 'param',
    },
  },
  {
    name: 'POST /passwordless/verify',
    method: 'POST',
    path: '/passwordless/verify',
    input: 'json',
    base: { client_id: PUBLIC, connection: 'email', email: 'fuzz@example.com', verification_code: '000000' },
    fields: {
      client_id: 'text',
      connection: 'text',
      verification_code: 'text',
      email: 'text',
      phone_number: 'text',
    },
  },
  {
    name: 'POST /oauth/token',
    method: 'POST',
    path: '/oauth/token',
    input: 'json',
    base: {
      grant_type: OTP_GRANT,
      client_id: PUBLIC,
      realm: 'email',
      username: 'fuzz@example.com',
      otp: '000000',
      scope: 'openid',
    },
    fields: {
      grant_type: 'text',
      client_id: 'text',
      client_secret: 'text',
      realm: 'text',
      username: 'text',
      otp: 'text',
      scope: 'text',
      audience: 'text',
      refresh_token: 'text',
      code_verifier: 'text',
    },
  },
  {
    name: 'POST /oauth/ro',
    method: 'POST',
    path: '/oauth/ro',
    input: 'json',
    base: {
      grant_type: 'password',
      client_id: PUBLIC,
      connection: 'email',
      username: 'fuzz@example.com',
      password: '000000',
      scope: 'openid',
    },
    fields: {
      grant_type: 'text',
      client_id: 'text',
      connection: 'text',
      username: 'text',
      password: 'text',
      scope: 'text',
    },
  },
  {
    name: 'POST /oauth/revoke',
    method: 'POST',
    path: '/oauth/revoke',
    input: 'json',
    base: { client_id: PUBLIC, token: 'not-a-refresh-token' },
    fields: { client_id: 'text', client_secret: 'text', token: 'text', token_type_hint: 'text' },
  },
  {
    name: 'POST /api/v2/users',
    method: 'POST',
    path: '/api/v2/users',
    input: 'json',
    base: { connection: 'email', email: 'fuzz-admin@example.com' },
    headers: () => ({ authorization: `Bearer ${managementToken}` }),
    fields: {
      connection: 'text',
      email: 'text',
      phone_number: 'text',
      name: 'text',
      picture: 'text',
      email_verified: 'boolean',
      blocked: 'boolean',
      user_metadata: 'record',
      app_metadata: 'record',
    },
  },
  {
    name: 'GET /passwordless/verify_redirect',
    method: 'GET',
    path: '/passwordless/verify_redirect',
    input: 'query',
    page: true,
    base: {
      client_id: PUBLIC,
      connection: 'email',
      email: 'fuzz@example.com',
      verification_code: 'not-a-link-secret',
      redirect_uri: CALLBACK,
      response_type: 'code',
      state: 'xyz',
    },
    fields: {
      client_id: 'text',
      connection: 'text',
      email: 'text',
      verification_code: 'text',
      redirect_uri: 'text',
      response_type: 'text',
      scope: 'text',
      state: 'text',
      nonce: 'text',
    },
  },
  {
    name: 'POST /passwordless/verify_redirect',
    method: 'POST',
    path: '/passwordless/verify_redirect',
    input: 'json',
    page: true,
    base: {
      client_id: PUBLIC,
      connection: 'email',
      email: 'fuzz@example.com',
      verification_code: 'not-a-link-secret',
      redirect_uri: CALLBACK,
      response_type: 'code',
    },
    fields: {
      client_id: 'text',
      connection: 'text',
      email: 'text',
      verification_code: 'text',
      redirect_uri: 'text',
    },
  },
];

/** `base` with `field` (possibly `authParams.x`) set to `value`. */
function withField(base: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const [outer, inner] = field.split('.') as [string, string | undefined];
  if (inner === undefined) return { ...base, [outer]: value };
  return { ...base, [outer]: { ...(base[outer] as object), [inner]: value } };
}

/** A query string the way a browser or a hand-made URL would carry each JSON value. */
function toQuery(params: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) query.append(key, String(item));
    else if (typeof value === 'object' && value !== null)
      for (const [k, v] of Object.entries(value)) query.append(`${key}[${k}]`, String(v));
    else query.append(key, value === null ? '' : String(value));
  }
  return query.toString();
}

async function send(endpoint: Endpoint, params: Record<string, unknown>): Promise<Answer> {
  const headers = endpoint.headers?.() ?? {};
  if (endpoint.input === 'query') return server.get(`${endpoint.path}?${toQuery(params)}`, headers);
  return server.request(endpoint.path, {
    method: endpoint.method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(params),
  });
}

async function sendRaw(
  endpoint: Endpoint,
  body: string | Uint8Array<ArrayBuffer> | undefined,
  contentType?: string,
) {
  return server.request<Record<string, unknown>>(endpoint.path, {
    method: 'POST',
    headers: { ...(contentType !== undefined && { 'content-type': contentType }), ...endpoint.headers?.() },
    ...(body !== undefined && { body }),
  });
}

/** The answer is the spec's error body with a 4xx status. */
function expectErrorBody(answer: Answer, what: string): void {
  expect(answer.status, what).toBeGreaterThanOrEqual(400);
  expect(answer.status, what).toBeLessThan(500);
  expect(answer.headers.get('content-type') ?? '', what).toMatch(/^application\/json/);
  const { code, description } = errorOf(answer.body);
  expect(code, what).toEqual(expect.stringMatching(/\S/));
  expect(description, what).toEqual(expect.stringMatching(/\S/));
}

/**
 * Never a 5xx; an error is the spec's body. Browser-facing endpoints may instead answer with an
 * HTML error page or a redirect to the registered callback, carrying an OAuth error when refused.
 */
function expectHandled(endpoint: Endpoint, answer: Answer, what: string, refuse: boolean): void {
  expect(answer.status, `${what}: ${JSON.stringify(answer.body).slice(0, 300)}`).toBeLessThan(500);
  const html = (answer.headers.get('content-type') ?? '').startsWith('text/html');
  if (endpoint.page && html) {
    if (refuse) expect(answer.status, what).toBeGreaterThanOrEqual(400);
    return;
  }
  if (endpoint.page && answer.status >= 300 && answer.status < 400) {
    const location = answer.headers.get('location') ?? '';
    expect(location.startsWith(`${CALLBACK}?`) || location.startsWith(`${CALLBACK}#`), what).toBe(true);
    if (refuse) expect(location, what).toMatch(/[?#&]error=/);
    return;
  }
  if (refuse || answer.status >= 400) expectErrorBody(answer, what);
  else expect([200, 201], what).toContain(answer.status);
}

async function expectHealthy(): Promise<void> {
  const health = await server.get('/healthz');
  expect(health.status).toBe(200);
  expect(health.body).toEqual({ status: 'ok' });
}

beforeAll(async () => {
  server = await TestServer.start({ config });
  managementToken = await server.managementToken(MANAGEMENT, MANAGEMENT_SECRET);
  // A live code for the base identifier, so the hostile requests reach the code check.
  expect((await server.post('/passwordless/start', endpoints[0]?.base)).status).toBe(200);
});

afterAll(async () => {
  await expectHealthy();
  // The server runs in this process: a pollution of Object.prototype would show here.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  await server.close();
});

describe.each(endpoints)('$name', (endpoint) => {
  it.each(hostileValues)('handles %s in every field', async (label, value, kind) => {
    for (const [field, type] of Object.entries(endpoint.fields)) {
      const answer = await send(endpoint, withField(endpoint.base, field, value));
      const refuse =
        endpoint.input === 'query' ? queryMustRefuse(value, kind) : mustRefuse(type, value, kind);
      expectHandled(endpoint, answer, `${endpoint.name} ${field} = ${label}`, refuse);
    }
    await expectHealthy();
  });

  it('handles prototype-pollution keys', async () => {
    const keys = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];
    for (const key of keys) {
      const answer = await send(endpoint, { ...endpoint.base, [key]: { polluted: true, isAdmin: true } });
      expectHandled(endpoint, answer, `${endpoint.name} key ${key}`, false);
    }
    if (endpoint.input === 'query') {
      const tricks = [
        '__proto__[polluted]=1',
        'constructor[prototype][polluted]=1',
        '__proto__=x',
        'constructor=y',
      ];
      for (const trick of tricks) {
        const answer = await server.get(`${endpoint.path}?${toQuery(endpoint.base)}&${trick}`);
        expectHandled(endpoint, answer, `${endpoint.name} query ${trick}`, false);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectHealthy();
  });
});

const bodyEndpoints = endpoints.filter((e) => e.input === 'json');

describe.each(bodyEndpoints)('$name body', (endpoint) => {
  const json = JSON.stringify(endpoint.base);
  const form = toQuery(endpoint.base);
  const refusedBodies: [string, string | Uint8Array<ArrayBuffer> | undefined, string | undefined][] = [
    ['truncated JSON', json.slice(0, -3), 'application/json'],
    ['not JSON at all', 'client_id=abc', 'application/json'],
    ['JSON with trailing garbage', `${json}}`, 'application/json'],
    ['text/plain', json, 'text/plain'],
    ['application/xml', '<start><client_id>x</client_id></start>', 'application/xml'],
    ['an unknown content type', json, 'application/octet-stream'],
    ['an empty JSON body', '', 'application/json'],
    ['an empty form body', '', 'application/x-www-form-urlencoded'],
    ['no body and no content type', undefined, undefined],
    ['a JSON array', '[]', 'application/json'],
    ['a JSON array of the body', `[${json}]`, 'application/json'],
    ['a JSON number', '42', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['a JSON string', '"client_id"', 'application/json'],
    ['JSON true', 'true', 'application/json'],
    ['a __proto__ key', `{"__proto__":{"polluted":true},${json.slice(1)}`, 'application/json'],
    [
      'a constructor.prototype key',
      `{"constructor":{"prototype":{"polluted":true}},${json.slice(1)}`,
      'application/json',
    ],
    ['JSON sent as a form', json, 'application/x-www-form-urlencoded'],
    ['a form with repeated fields', `${form}&${form}`, 'application/x-www-form-urlencoded'],
    [
      'too many fields',
      JSON.stringify(Object.fromEntries([...Array(100).keys()].map((i) => [`f${i}`, 'x']))),
      'application/json',
    ],
    [
      'invalid UTF-8',
      new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d]),
      'application/json',
    ],
    ['deeply nested JSON', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, 'application/json'],
    ['nesting past the parser', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, 'application/json'],
  ];

  it.each(refusedBodies)('refuses %s with the error body', async (label, body, contentType) => {
    expectHandled(endpoint, await sendRaw(endpoint, body, contentType), `${endpoint.name} ${label}`, true);
    await expectHealthy();
  });

  it('reads JSON with a byte-order mark as JSON', async () => {
    // RFC 8259 lets a parser ignore the mark; what matters is that it is read, not mangled.
    const answer = await sendRaw(endpoint, `\uFEFF${json}`, 'application/json; charset=utf-8');
    expectHandled(endpoint, answer, `${endpoint.name} byte-order mark`, false);
  });

  it('refuses a form with prototype-pollution keys without polluting anything', async () => {
    const tricks = [
      '__proto__[polluted]=1',
      'constructor[prototype][polluted]=1',
      '__proto__=x',
      'constructor=y',
    ];
    for (const trick of tricks) {
      const answer = await sendRaw(endpoint, `${form}&${trick}`, 'application/x-www-form-urlencoded');
      expectHandled(endpoint, answer, `${endpoint.name} form ${trick}`, false);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['JSON', 'application/json', JSON.stringify({ ...endpoint.base, padding: 'x'.repeat(1024 * 1024) })],
    ['a form', 'application/x-www-form-urlencoded', `${form}&padding=${'x'.repeat(1024 * 1024)}`],
  ])('answers a 1 MB %s body with 413 and the error body', async (_, contentType, body) => {
    const answer = await sendRaw(endpoint, body, contentType);
    expect(answer.status).toBe(413);
    expectErrorBody(answer, `${endpoint.name} 1 MB`);
    await expectHealthy();
  });
});

describe('URLs past the server limits', () => {
  it('answers a query longer than the header limit with an error body', async () => {
    const answer = await server.get(`/passwordless/verify_redirect?state=${'x'.repeat(100_000)}`);
    expect(answer.status).toBe(431);
    expect(answer.body.error).toBe('bad.request');
    expectErrorBody(answer, 'a 100 kB URL');
    await expectHealthy();
  });

  it('answers a malformed percent-encoding without a 5xx', async () => {
    const [redirect] = endpoints.filter((e) => e.input === 'query') as [Endpoint];
    for (const bad of ['email=%E0%A4%A', 'email=%FF', 'client_id=%', 'redirect_uri=%zz']) {
      const query = `${toQuery({ ...redirect.base, [bad.split('=')[0] as string]: undefined })}&${bad}`;
      expectHandled(redirect, await server.get(`${redirect.path}?${query}`), `query ${bad}`, true);
    }
    await expectHealthy();
  });

  it('answers a header past the size limit with an error body', async () => {
    const answer = await server.get('/oauth/token', { 'x-padding': 'x'.repeat(100_000) });
    expect(answer.status).toBe(431);
    expect(answer.body.error).toBe('invalid_request');
    expectErrorBody(answer, 'a 100 kB header');
    await expectHealthy();
  });
});
