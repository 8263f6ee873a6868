import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, OTP_GRANT, TestServer } from '../helpers/server.ts';

// A JSON body may nest objects and arrays 32 levels deep (the body itself is the first); metadata
// given to the Management API 10 levels deep and 16 KB serialized. Deeper bodies once reached
// JSON.stringify and answered 500; each is now a 400 with the endpoint family's error body.

const SPA = 'nesting-spa-0001';
const BACKEND = { client_id: 'nesting-backend', client_secret: 'nesting-backend-secret-0000001' };

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await TestServer.start({
    config: {
      applications: [
        { client_id: SPA, name: 'Nesting SPA', grant_types: [OTP_GRANT] },
        {
          ...BACKEND,
          name: 'Nesting backend',
          app_type: 'non_interactive',
          grant_types: ['client_credentials'],
          management_scopes: ['create:users', 'read:users'],
        },
      ],
    },
  });
  token = await server.managementToken(BACKEND.client_id, BACKEND.client_secret);
});
afterAll(() => server.close());

/** `levels` arrays one inside the other (two bytes a level, as the review sent them). */
const arrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
/** `levels` objects one inside the other, the innermost holding `leaf`. */
const objects = (levels: number, leaf: unknown = 'bottom'): unknown =>
  levels === 0 ? leaf : { level: objects(levels - 1, leaf) };

let created = 0;
function createUser(fields: string, contentType = 'application/json'): Promise<Answer> {
  return server.request('/api/v2/users', {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
    body: `{"connection":"email","email":"nested-${++created}@example.com",${fields}}`,
  });
}

function postRaw(path: string, body: string, contentType = 'application/json'): Promise<Answer> {
  return server.request(path, { method: 'POST', headers: { 'content-type': contentType }, body });
}

async function expectHealthy(): Promise<void> {
  expect((await server.get('/healthz')).body).toEqual({ status: 'ok' });
}

describe('a JSON body nested past 32 levels', () => {
  it('is refused on POST /api/v2/users with the Management API error body', async () => {
    const answer = await createUser(`"user_metadata":{"deep":${arrays(5000)}}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'The request body is nested too deeply: at most 32 levels of objects and arrays',
      errorCode: 'invalid_body',
    });
    await expectHealthy();
  });

  it.each([
    [
      '/passwordless/start',
      'bad.request',
      `{"client_id":"${SPA}","connection":"email","authParams":${arrays(5000)}}`,
    ],
    [
      '/oauth/token',
      'invalid_request',
      `{"grant_type":"${OTP_GRANT}","client_id":"${SPA}","otp":${arrays(5000)}}`,
    ],
    ['/passwordless/verify', 'bad.request', `{"connection":"email","email":${arrays(5000)}}`],
    ['/co/authenticate', 'invalid_request', `{"client_id":"${SPA}","otp":${arrays(5000)}}`],
  ])('is refused on %s with the family code %s', async (path, error, body) => {
    const answer = await postRaw(path, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error,
      error_description: 'The request body is nested too deeply: at most 32 levels of objects and arrays',
    });
    await expectHealthy();
  });

  it('counts levels, not brackets inside strings, and lets 32 levels through to validation', async () => {
    const brackets = '[{'.repeat(3000);
    const inString = await createUser(`"user_metadata":{"note":${JSON.stringify(brackets)}}`);
    expect(inString.status).toBe(201);
    expect(inString.body.user_metadata).toEqual({ note: brackets });

    // 32 levels: the body, authParams, then 30 arrays. Refused by the start's own checks instead.
    const atLimit = await postRaw(
      '/passwordless/start',
      `{"client_id":"${SPA}","connection":"email","email":"a@example.com","authParams":{"state":${arrays(30)}}}`,
    );
    expect(atLimit.status).toBe(400);
    expect(atLimit.body.error_description).not.toContain('nested');
    const pastLimit = await postRaw(
      '/passwordless/start',
      `{"client_id":"${SPA}","connection":"email","email":"a@example.com","authParams":{"state":${arrays(31)}}}`,
    );
    expect(pastLimit.body.error_description).toContain('nested too deeply');
  });

  it('keeps refusing prototype-poisoning keys', async () => {
    const answer = await createUser('"user_metadata":{"__proto__":{"isAdmin":true}}');
    expect(answer.status).toBe(400);
    expect(answer.body.errorCode).toBe('invalid_body');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('has no form counterpart: a form is flat, and a deeply bracketed key is only a long name', async () => {
    const key = `authParams${'[a]'.repeat(5000)}`;
    const answer = await postRaw(
      '/passwordless/start',
      `client_id=${SPA}&connection=email&email=a%40example.com&${encodeURIComponent(key)}=1`,
      'application/x-www-form-urlencoded',
    );
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.body).toMatchObject({ error: expect.any(String), error_description: expect.any(String) });
    await expectHealthy();
  });
});

describe('metadata given to the Management API', () => {
  it('may be nested 10 levels and is kept as given', async () => {
    const metadata = objects(10);
    const answer = await createUser(
      `"user_metadata":${JSON.stringify(metadata)},"app_metadata":{"roles":[["admin"]]}`,
    );
    expect(answer.status).toBe(201);
    const read = await server.get(`/api/v2/users/${encodeURIComponent(String(answer.body.user_id))}`, {
      authorization: `Bearer ${token}`,
    });
    expect(read.body.user_metadata).toEqual(metadata);
    expect(read.body.app_metadata).toEqual({ roles: [['admin']] });
  });

  it.each(['user_metadata', 'app_metadata'])('refuses %s nested past 10 levels', async (field) => {
    const answer = await createUser(`"${field}":${JSON.stringify(objects(11))}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: `${field} is nested too deeply: at most 10 levels of objects and arrays`,
      errorCode: 'invalid_body',
    });
  });

  it('refuses metadata over 16 KB serialized, and takes it at 16 KB', async () => {
    // {"note":"..."} is 11 bytes around the note.
    const fits = await createUser(`"user_metadata":{"note":"${'x'.repeat(16_384 - 11)}"}`);
    expect(fits.status).toBe(201);
    const over = await createUser(`"user_metadata":{"note":"${'x'.repeat(16_384 - 10)}"}`);
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({
      errorCode: 'invalid_body',
      message: 'user_metadata is too large: at most 16384 bytes as JSON',
    });
    // Counted in bytes: 16 KB of two-byte characters is 8,192 of them.
    const wide = await createUser(`"user_metadata":{"note":"${'é'.repeat(8_192)}"}`);
    expect(wide.status).toBe(400);
  });
});
