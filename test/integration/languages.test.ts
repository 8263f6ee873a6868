import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CHALLENGE } from '../helpers/links.ts';
import { TestServer } from '../helpers/server.ts';

describe('message language', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        connections: [
          { name: 'email', strategy: 'email' },
          { name: 'sms', strategy: 'sms' },
          {
            name: 'sms-custom',
            strategy: 'sms',
            options: {
              default_language: 'de',
              template: { de: 'Ihr Code: @@password@@', es: 'Tu código: @@password@@' },
            },
          },
        ],
      },
    });
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  function startSms(phoneNumber: string, headers: Record<string, string>, connection = 'sms') {
    return server.post(
      '/passwordless/start',
      { client_id: clientId, connection, phone_number: phoneNumber, send: 'code' },
      { headers },
    );
  }

  it('writes the SMS in Spanish for x-request-language: es', async () => {
    const answer = await startSms('+14155550300', { 'x-request-language': 'es' });
    expect(answer.status).toBe(200);
    expect(answer.body.request_language).toBe('es');
    const [message] = await server.inbox('+14155550300');
    expect(message?.text).toMatch(/^\d{6} es tu código de verificación de .+\. Caduca en 5 minutos\./);
    expect(message?.text).toContain('ignora este mensaje');
  });

  it('writes the SMS in French for Accept-Language: fr-CA,fr;q=0.9', async () => {
    const answer = await startSms('+14155550301', { 'accept-language': 'fr-CA,fr;q=0.9' });
    expect(answer.status).toBe(200);
    expect(answer.body.request_language).toBe('fr-CA');
    const [message] = await server.inbox('+14155550301');
    expect(message?.text).toMatch(
      /^\d{6} est votre code de vérification pour .+\. Il expire dans 5 minutes\./,
    );
  });

  it('lets x-request-language win over Accept-Language', async () => {
    const answer = await startSms('+14155550302', {
      'x-request-language': 'es',
      'accept-language': 'fr-CA,fr;q=0.9',
    });
    expect(answer.body.request_language).toBe('es');
    const [message] = await server.inbox('+14155550302');
    expect(message?.text).toContain('es tu código');
  });

  it('writes English when the request names no language the templates have', async () => {
    const answer = await startSms('+14155550303', { 'accept-language': 'it-IT,it;q=0.9' });
    expect(answer.body.request_language).toBe('it-IT');
    const [message] = await server.inbox('+14155550303');
    expect(message?.text).toMatch(/^\d{6} is your .+ verification code\./);
  });

  it('writes the email in French for Accept-Language: fr-CA,fr;q=0.9', async () => {
    const answer = await server.post(
      '/passwordless/start',
      { client_id: clientId, connection: 'email', email: 'marie@example.com', send: 'code' },
      { headers: { 'accept-language': 'fr-CA,fr;q=0.9' } },
    );
    expect(answer.status).toBe(200);
    const [message] = await server.inbox('marie@example.com');
    expect(message?.subject).toMatch(/^Votre code de vérification pour /);
    expect(message?.html).toContain('<html lang="fr">');
    expect(message?.text).toContain(message?.code as string);
    expect(message?.text).toContain('Il expire dans 5 minutes.');
  });

  it('writes the email in Spanish for x-request-language: es', async () => {
    const answer = await server.post(
      '/passwordless/start',
      {
        client_id: clientId,
        connection: 'email',
        email: 'lucia@example.com',
        send: 'link',
        authParams: { code_challenge: TEST_CHALLENGE },
      },
      { headers: { 'x-request-language': 'es', 'accept-language': 'fr-CA,fr;q=0.9' } },
    );
    expect(answer.status).toBe(200);
    const [message] = await server.inbox('lucia@example.com');
    expect(message?.subject).toMatch(/^Inicia sesión en /);
    expect(message?.text).toContain(message?.link as string);
    expect(message?.text).toContain('solo se puede usar una vez');
  });

  it("uses a connection's own variants and its default language", async () => {
    await startSms('+14155550304', { 'x-request-language': 'es-AR' }, 'sms-custom');
    expect((await server.inbox('+14155550304'))[0]?.text).toMatch(/^Tu código: \d{6}$/);
    await startSms('+14155550305', { 'accept-language': 'fr' }, 'sms-custom');
    expect((await server.inbox('+14155550305'))[0]?.text).toMatch(/^Ihr Code: \d{6}$/);
  });
});

describe('a broken template', () => {
  it('stops the server at start, naming the connection, field and language', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
    const start = TestServer.start({
      dataDir,
      config: {
        connections: [
          {
            name: 'email',
            strategy: 'email',
            options: { email: { body: { en: '<p>{{ code }}</p>', fr: '<p>{{ code | nosuchfilter }}</p>' } } },
          },
        ],
      },
    });
    await expect(start).rejects.toThrow(
      /connection "email" options\.email\.body\.fr: template error: .*nosuchfilter/,
    );
    rmSync(dataDir, { recursive: true, force: true });
  });
});
