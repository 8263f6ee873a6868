import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGURATION_SCOPES, MANAGER_SECRET, managementApp } from '../helpers/management.ts';
import { LiveClock, TestServer } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';
import { ChildSdk } from './child-sdk.ts';
import type { ManagementAnswer, ManagementRequest } from './management-client-process.ts';

// Auth0's ManagementClient (`import { ManagementClient } from 'auth0'`, unchanged) against Tessera
// over HTTPS, with its token from the client_credentials grant: clients and connections listed,
// created, updated and deleted as it would on Auth0.

const MANAGER = 'compat-manager-0001';

describe('Auth0 ManagementClient: clients and connections', () => {
  let cert: TestCertificate;
  let server: TestServer;
  let sdk: ChildSdk<Omit<ManagementRequest, 'id'>, ManagementAnswer>;
  let options: ManagementRequest['options'];

  async function ok<T = Record<string, unknown>>(call: string, ...args: unknown[]): Promise<T> {
    const answer = await sdk.send({ options, call, args });
    if (!answer.ok) throw new Error(`${call} failed: ${JSON.stringify(answer.error)}`);
    return answer.data as T;
  }

  async function fails(call: string, ...args: unknown[]) {
    const answer = await sdk.send({ options, call, args });
    if (answer.ok) throw new Error(`${call} succeeded: ${JSON.stringify(answer.data)}`);
    return answer.error;
  }

  beforeAll(async () => {
    cert = makeCertificate();
    [server, sdk] = await Promise.all([
      TestServer.start({
        clock: new LiveClock(),
        ca: cert.pem,
        config: {
          tls: { cert: cert.certFile, key: cert.keyFile },
          connections: [{ name: 'email', strategy: 'email' }],
          applications: [managementApp(MANAGER, CONFIGURATION_SCOPES)],
        },
      }),
      ChildSdk.start<Omit<ManagementRequest, 'id'>, ManagementAnswer>(
        new URL('./management-client-process.ts', import.meta.url),
        cert.certFile,
      ),
    ]);
    options = { domain: `127.0.0.1:${server.port}`, clientId: MANAGER, clientSecret: MANAGER_SECRET };
  });
  afterAll(async () => {
    sdk?.close();
    await server?.close();
    cert?.remove();
  });

  it('lists, creates, reads, updates, rotates and deletes clients', async () => {
    const created = await ok('clients.create', {
      name: 'SDK app',
      app_type: 'regular_web',
      callbacks: ['https://sdk.example.com/callback'],
      jwt_configuration: { lifetime_in_seconds: 600 },
    });
    expect(created).toMatchObject({ name: 'SDK app', client_secret: expect.any(String) });
    const clientId = created.client_id as string;

    const listed = await ok<{ client_id: string }[]>('clients.list');
    expect(listed.map((c) => c.client_id)).toContain(clientId);
    const read = await ok('clients.get', clientId);
    expect(read).toMatchObject({ client_id: clientId, jwt_configuration: { lifetime_in_seconds: 600 } });
    expect(read).not.toHaveProperty('client_secret');

    const updated = await ok('clients.update', clientId, {
      allowed_logout_urls: ['https://sdk.example.com/'],
    });
    expect(updated.allowed_logout_urls).toEqual(['https://sdk.example.com/']);
    const rotated = await ok('clients.rotateSecret', clientId);
    expect(rotated.client_secret).not.toBe(created.client_secret);

    await ok('clients.delete', clientId);
    const gone = await fails('clients.get', clientId);
    expect(gone.statusCode).toBe(404);
  });

  it('lists, creates, reads, updates and deletes connections', async () => {
    const created = await ok('connections.create', {
      name: 'sdk-sms',
      strategy: 'sms',
      options: { totp: { length: 6, time_step: 600 } },
    });
    expect(created).toMatchObject({ name: 'sdk-sms', strategy: 'sms', id: expect.stringMatching(/^con_/) });
    const id = created.id as string;

    const listed = await ok<{ name: string }[]>('connections.list');
    expect(listed.map((c) => c.name).sort()).toEqual(['email', 'sdk-sms']);
    const filtered = await ok<{ name: string }[]>('connections.list', { strategy: ['sms'] });
    expect(filtered.map((c) => c.name)).toEqual(['sdk-sms']);
    expect(await ok('connections.get', id)).toMatchObject({ id, name: 'sdk-sms' });

    const updated = await ok('connections.update', id, { options: { disable_signup: true } });
    expect(updated.options).toMatchObject({ disable_signup: true });

    await ok('connections.delete', id);
    expect((await fails('connections.get', id)).statusCode).toBe(404);
  });

  it('reads a refusal as Auth0 words it (a file-owned connection, bad input)', async () => {
    const [email] = await ok<{ id: string }[]>('connections.list', { name: 'email' });
    const owned = await fails('connections.delete', email?.id);
    expect(owned.statusCode).toBe(409);
    const bad = await fails('clients.create', { name: 'bad', callbacks: ['not a url'] });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('callbacks');
  });
});
