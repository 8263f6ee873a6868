import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser, hostedEmailLogin, location } from '../helpers/form-browser.ts';
import { TestServer } from '../helpers/server.ts';

// A native app's callback uses its own reverse-domain scheme (RFC 8252 section 7.1): registered in
// the config, accepted as redirect_uri by /authorize, and where the browser is sent with the code.

const NATIVE = 'native-app-000001';
const CALLBACKS = ['com.example.app://callback', 'com.example.app:/oauth2redirect'];

describe('a native app with a private-use scheme callback', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        applications: [
          {
            client_id: NATIVE,
            name: 'Native app',
            app_type: 'native',
            callbacks: CALLBACKS,
            grant_types: ['authorization_code'],
          },
        ],
      },
    });
  });
  afterAll(() => server.close());

  it.each(CALLBACKS)('logs in through the hosted page and is sent to %s with a code', async (callback) => {
    const verifier = randomBytes(32).toString('base64url');
    const authorize = `/authorize?${new URLSearchParams({
      client_id: NATIVE,
      redirect_uri: callback,
      response_type: 'code',
      scope: 'openid email',
      state: 'native-state',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    })}`;
    const email = `native${CALLBACKS.indexOf(callback)}@example.com`;
    const back = await hostedEmailLogin(server, new FormBrowser(server), authorize, email);
    expect([302, 303]).toContain(back.status);
    const target = location(back);
    expect(target.protocol).toBe('com.example.app:');
    expect(back.headers.get('location')?.startsWith(`${callback}?`)).toBe(true);
    expect(target.searchParams.get('state')).toBe('native-state');

    const tokens = await server.post('/oauth/token', {
      grant_type: 'authorization_code',
      client_id: NATIVE,
      code: target.searchParams.get('code'),
      redirect_uri: callback,
      code_verifier: verifier,
    });
    expect(tokens.status).toBe(200);
    expect(tokens.body.id_token).toEqual(expect.any(String));
  });

  it('refuses a scheme it did not register', async () => {
    const page = await server.get(
      `/authorize?${new URLSearchParams({ client_id: NATIVE, redirect_uri: 'com.evil.app://callback', response_type: 'code', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`,
    );
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
  });
});
