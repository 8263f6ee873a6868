import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveClock, TestServer } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';

// Auth0's ManagementClient (`auth0`, unchanged) against Tessera over HTTPS, in a process that
// trusts the test's certificate: it takes a token by client_credentials, creates a role, gives it
// a permission, assigns it to a user and reads the user's permissions back.

const run = promisify(execFile);
const MODULE = 'test/compat/management-roles.mjs';
const CLIENT = 'sdk-roles-manager-01';
const SECRET = 'sdk-roles-secret-0123456789';
const API = 'https://orders.example.com/';

describe("Auth0's ManagementClient and roles", () => {
  let cert: TestCertificate;
  let server: TestServer;
  let userId: string;

  async function sdk(name: string, args: unknown[] = []) {
    const result = await run(
      process.execPath,
      ['test/compat/run-example.mjs', MODULE, name, JSON.stringify(args)],
      {
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: cert.certFile,
          TESSERA_DOMAIN: `127.0.0.1:${server.port}`,
          TESSERA_CLIENT_ID: CLIENT,
          TESSERA_CLIENT_SECRET: SECRET,
        },
      },
    ).catch((failed: { stdout: string }) => failed);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  beforeAll(async () => {
    cert = makeCertificate();
    server = await TestServer.start({
      clock: new LiveClock(),
      ca: cert.pem,
      config: {
        tls: { cert: cert.certFile, key: cert.keyFile },
        connections: [{ name: 'email', strategy: 'email' }],
        apis: [
          {
            identifier: API,
            name: 'Orders',
            enforce_policies: true,
            scopes: [{ value: 'read:orders', description: 'Read orders' }],
          },
        ],
        applications: [
          {
            client_id: CLIENT,
            client_secret: SECRET,
            name: 'SDK',
            app_type: 'non_interactive',
            grant_types: ['client_credentials'],
            management_scopes: [
              'create:users',
              'read:users',
              'read:roles',
              'create:roles',
              'update:roles',
              'read:resource_servers',
            ],
          },
        ],
      },
    });
    const token = await server.managementToken(CLIENT, SECRET);
    const created = await server.post(
      '/api/v2/users',
      { connection: 'email', email: 'sdk.member@example.com' },
      { headers: { authorization: `Bearer ${token}` } },
    );
    userId = created.body.user_id as string;
  });
  afterAll(async () => {
    await server?.close();
    cert?.remove();
  });

  it('creates a role, gives it a permission, assigns it and reads the user’s permissions', async () => {
    const answer = await sdk('grantRole', [userId, API, 'read:orders']);
    expect(answer.thrown, JSON.stringify(answer)).toBeUndefined();
    const role = {
      id: expect.stringMatching(/^rol_/),
      name: 'sdk order readers',
      description: 'Made by the SDK',
    };
    expect(answer).toEqual({
      role,
      members: [expect.objectContaining({ user_id: userId, email: 'sdk.member@example.com' })],
      userRoles: [role],
      permissions: [
        {
          resource_server_identifier: API,
          permission_name: 'read:orders',
          resource_server_name: 'Orders',
          description: 'Read orders',
          sources: [
            {
              source_id: (answer.role as { id: string }).id,
              source_name: 'sdk order readers',
              source_type: 'ROLE',
            },
          ],
        },
      ],
      server: { identifier: API, enforce_policies: true },
    });
  });

  it('throws the SDK’s NotFoundError for a role that does not exist', async () => {
    expect(await sdk('missingRole')).toEqual({ name: 'NotFoundError', statusCode: 404 });
  });
});
