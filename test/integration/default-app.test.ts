import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.ts';

// The Default App's callback is the development /callback page at `<issuer>callback`, and its
// origins are the issuer's: made from the issuer on the first start, and moved with it when the
// server starts again on another port or issuer, so that its magic links land on a live page.

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-default-app-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** RFC 7636's example challenge: links of a public application carry one. */
const PKCE = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };

let links = 0;
/** The redirect_uri a magic link for the application carries when the start names none. */
async function linkRedirect(server: TestServer, clientId: string): Promise<string> {
  const email = `default-app-${++links}@example.com`;
  const start = await server.post('/passwordless/start', {
    client_id: clientId,
    connection: 'email',
    email,
    send: 'link',
    authParams: { response_type: 'code', state: 'dev', ...PKCE },
  });
  expect(start.status).toBe(200);
  const [message] = await server.inbox(email);
  return new URL(message?.link as string).searchParams.get('redirect_uri') as string;
}

async function allowsOrigin(server: TestServer, origin: string): Promise<boolean> {
  const answer = await server.request('/passwordless/start', {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
  return answer.headers.get('access-control-allow-origin') === origin;
}

describe('the Default App', () => {
  let clientId: string;
  let firstIssuer: string;

  it("is made with the issuer's /callback page and origin, whatever the port", async () => {
    const server = await TestServer.start({ dataDir });
    try {
      clientId = await server.clientId();
      firstIssuer = server.issuer;
      expect(firstIssuer).not.toBe('http://localhost:3000/');
      const redirect = await linkRedirect(server, clientId);
      expect(redirect).toBe(`${server.issuer}callback`);
      // Where the link lands is a page this server serves.
      const landing = await server.get(`${new URL(redirect).pathname}?code=abc&state=dev`);
      expect(landing.status).toBe(200);
      expect(landing.body).toContain('abc');
      expect(await allowsOrigin(server, new URL(server.issuer).origin)).toBe(true);
      expect(await allowsOrigin(server, 'http://localhost:3000')).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('follows the issuer when the same database starts on another port', async () => {
    const server = await TestServer.start({ dataDir });
    try {
      expect(server.issuer).not.toBe(firstIssuer);
      expect(await server.clientId()).toBe(clientId);
      expect(await linkRedirect(server, clientId)).toBe(`${server.issuer}callback`);
      expect(await allowsOrigin(server, new URL(server.issuer).origin)).toBe(true);
      expect(await allowsOrigin(server, new URL(firstIssuer).origin)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('is left as the config file says when the file declares its client_id', async () => {
    const declared = {
      client_id: clientId,
      name: 'Declared over the Default App',
      callbacks: ['https://app.example.com/callback'],
      grant_types: ['authorization_code'],
    };
    const server = await TestServer.start({ dataDir, config: { applications: [declared] } });
    try {
      expect(await linkRedirect(server, clientId)).toBe('https://app.example.com/callback');
    } finally {
      await server.close();
    }
  });
});
