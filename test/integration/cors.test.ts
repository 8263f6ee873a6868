import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, OTP_GRANT, TestServer } from '../helpers/server.ts';

// An origin one application allows may call the browser APIs, and never read another
// application's pages (web_message pages carry tokens and ride on the user's cookies).

const ONE = 'https://one.example';
const TWO = 'https://two.example';
const APP_ONE = 'cors-app-one-0001';
const APP_TWO = 'cors-app-two-0001';

const config = {
  applications: [
    { client_id: APP_ONE, name: 'One', callbacks: [`${ONE}/cb`], allowed_origins: [ONE] },
    {
      client_id: APP_TWO,
      name: 'Two',
      callbacks: [`${TWO}/cb`],
      web_origins: [TWO],
      allowed_logout_urls: [`${TWO}/bye`],
      grant_types: [OTP_GRANT, 'implicit'],
    },
  ],
  connections: [{ name: 'email', strategy: 'email' }],
};

function corsHeaders(answer: Answer<unknown>) {
  return {
    origin: answer.headers.get('access-control-allow-origin'),
    credentials: answer.headers.get('access-control-allow-credentials'),
  };
}

describe('CORS', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({ config });
  });
  afterAll(() => server.close());

  const preflight = (path: string, origin = ONE) =>
    server.request(path, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('answers the browser APIs, with credentials only where a cookie is set', async () => {
    const start = await server.post(
      '/passwordless/start',
      { client_id: APP_ONE, connection: 'email', email: 'cors@example.com', send: 'code' },
      { headers: { origin: ONE } },
    );
    expect(start.status).toBe(200);
    expect(corsHeaders(start)).toEqual({ origin: ONE, credentials: 'true' });
    expect(corsHeaders(await preflight('/passwordless/start'))).toEqual({ origin: ONE, credentials: 'true' });

    const [message] = await server.inbox('cors@example.com');
    const token = await server.post(
      '/oauth/token',
      {
        grant_type: OTP_GRANT,
        client_id: APP_ONE,
        realm: 'email',
        username: 'cors@example.com',
        otp: message?.code,
      },
      { headers: { origin: ONE } },
    );
    expect(token.status).toBe(200);
    expect(corsHeaders(token)).toEqual({ origin: ONE, credentials: null });
    const tokenPreflight = await preflight('/oauth/token');
    expect(tokenPreflight.status).toBe(204);
    expect(corsHeaders(tokenPreflight)).toEqual({ origin: ONE, credentials: null });
    expect(corsHeaders(await preflight('/co/authenticate'))).toEqual({ origin: ONE, credentials: 'true' });
    for (const path of ['/.well-known/jwks.json', '/.well-known/openid-configuration']) {
      expect(corsHeaders(await server.get(path, { origin: ONE })), path).toEqual({
        origin: ONE,
        credentials: null,
      });
    }
  });

  it('gives nothing to an origin no application allows', async () => {
    const answer = await server.post(
      '/oauth/token',
      { grant_type: OTP_GRANT, client_id: APP_ONE, realm: 'email', username: 'x@example.com', otp: '1' },
      { headers: { origin: 'https://evil.example' } },
    );
    expect(corsHeaders(answer)).toEqual({ origin: null, credentials: null });
  });

  it("never lets one application's origin read /authorize, pages, logout or the dev inbox", async () => {
    const authorize = new URLSearchParams({
      client_id: APP_TWO,
      response_type: 'token',
      response_mode: 'web_message',
      redirect_uri: `${TWO}/cb`,
      prompt: 'none',
      nonce: 'n',
      state: 's',
    });
    const paths = [
      `/authorize?${authorize}`,
      `/authorize?${new URLSearchParams({ ...Object.fromEntries(authorize), prompt: 'login', response_mode: 'query' })}`,
      '/dev/inbox/messages?to=cors%40example.com',
      '/dev/inbox',
      '/u/login?tx=nope',
      `/v2/logout?client_id=${APP_TWO}&returnTo=${encodeURIComponent(`${TWO}/bye`)}`,
    ];
    for (const path of paths) {
      for (const origin of [ONE, TWO]) {
        const answer = await server.get(path, { origin });
        expect(answer.status, path).toBeLessThan(500);
        expect(corsHeaders(answer), `${path} from ${origin}`).toEqual({ origin: null, credentials: null });
        expect(corsHeaders(await preflight(path, origin)), `preflight ${path}`).toEqual({
          origin: null,
          credentials: null,
        });
      }
    }
    const web = await server.get(`/authorize?${authorize}`, { origin: ONE });
    expect(web.status).toBe(200);
    expect(String(web.body)).toContain('authorization-response');
    const posted = await server.post('/authorize', Object.fromEntries(authorize), {
      form: true,
      headers: { origin: ONE },
    });
    expect(corsHeaders(posted)).toEqual({ origin: null, credentials: null });
  });
});
