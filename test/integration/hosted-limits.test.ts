import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser, location } from '../helpers/form-browser.ts';
import { TestServer } from '../helpers/server.ts';

describe('limits of the hosted login', () => {
  let server: TestServer;
  let clientId: string;

  const authorizePath = (params: Record<string, string> = {}) =>
    `/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: server.callback, response_type: 'token', nonce: 'n', ...params })}`;

  describe('requests per IP', () => {
    beforeAll(async () => {
      server = await TestServer.start({
        config: { rate_limits: { start_per_ip_per_hour: 1000, authorize_per_ip_per_minute: 4 } },
      });
      clientId = await server.clientId();
    });
    afterAll(() => server.close());

    it('answers a 429 page past the limit on /authorize and the login forms together', async () => {
      const browser = new FormBrowser(server);
      const first = await browser.get(authorizePath());
      const tx = location(first).searchParams.get('tx') as string;
      expect(
        (
          await browser.form(
            '/authorize',
            Object.fromEntries(new URL(authorizePath(), server.callback).searchParams),
          )
        ).status,
      ).toBe(303);
      expect(
        (await browser.form('/u/login', { tx, connection: 'email', email: 'limit@example.com' })).status,
      ).toBe(303);
      expect((await browser.form('/u/login/resend', { tx })).status).toBeLessThan(500);

      for (const answer of [
        await browser.get(authorizePath()),
        await browser.form(
          '/authorize',
          Object.fromEntries(new URL(authorizePath(), server.callback).searchParams),
        ),
        await browser.form('/u/login', { tx, connection: 'email', email: 'limit@example.com' }),
        await browser.form('/u/login/code', { tx, code: '000000' }),
        await browser.form('/u/login/resend', { tx }),
      ]) {
        expect(answer.status).toBe(429);
        expect(answer.headers.get('content-type')).toContain('text/html');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(answer.headers.get('location')).toBeNull();
        expect(answer.body).toContain('Too many requests');
      }
      // The APIs keep their own limits.
      const start = await server.post('/passwordless/start', {
        client_id: clientId,
        connection: 'email',
        email: 'api@example.com',
        send: 'code',
      });
      expect(start.status).toBe(200);
      expect((await server.get('/u/login?tx=whatever')).status).toBe(400);
    });
  });

  describe('the size of a login transaction', () => {
    beforeAll(async () => {
      server = await TestServer.start();
      clientId = await server.clientId();
    });
    afterAll(() => server.close());

    it('refuses authorize parameters too long to keep, with the error page', async () => {
      const long = 'x'.repeat(3000);
      for (const path of [
        authorizePath({ state: long, nonce: long, login_hint: long }),
        authorizePath({ state: long, a: long, b: long }),
      ]) {
        const answer = await server.get<string>(path);
        expect(answer.status).toBe(400);
        expect(answer.headers.get('location')).toBeNull();
        expect(answer.headers.get('content-type')).toContain('text/html');
        expect(answer.body).toContain('8192');
      }
      const posted = await server.post<string>(
        '/authorize',
        Object.fromEntries(
          new URL(authorizePath({ state: long, nonce: long, ui_locales: long }), server.callback)
            .searchParams,
        ),
        { form: true },
      );
      expect(posted.status).toBe(400);
      expect(posted.body).toContain('8192');

      const fits = await server.get(authorizePath({ state: long, nonce: long }));
      expect(fits.status).toBe(302);
      expect(location(fits).pathname).toBe('/u/login');
    });
  });
});
