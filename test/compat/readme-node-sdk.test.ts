import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { LiveClock, TestServer } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';

// README's Auth0 Node SDK example, exactly as it reads: its config block declares the application,
// and its code block, which must be examples/auth0-node-sdk.mjs character for character, runs in
// a separate process (trusting the test's certificate, as a deployment's CA would be trusted)
// against Tessera over HTTPS.

const run = promisify(execFile);
const EXAMPLE = 'examples/auth0-node-sdk.mjs';
const MARKER = '<!-- test/compat/readme-node-sdk.test.ts runs the two blocks below';
const SECRET = 'readme-example-secret-0123456789';

/** The first fenced block of `lang` after the README's marker line. */
function readmeBlock(lang: 'yaml' | 'js'): string {
  const readme = readFileSync('README.md', 'utf8');
  const from = readme.indexOf(MARKER);
  expect(from, 'README has the marker before the Node SDK example').toBeGreaterThan(0);
  const open = readme.indexOf(`\n\`\`\`${lang}\n`, from);
  const start = open + `\n\`\`\`${lang}\n`.length;
  return readme.slice(start, readme.indexOf('\n```\n', start) + 1);
}

describe("README's Auth0 Node SDK example", () => {
  let cert: TestCertificate;
  let dir: string;
  let server: TestServer;
  let clientId: string;

  /** Calls one of the example's functions in a child process; its answer, or what it threw. */
  async function example(name: string, args: unknown[], env: Record<string, string | undefined> = {}) {
    const { TESSERA_CLIENT_SECRET: _, ...inherited } = process.env;
    const result = await run(
      process.execPath,
      ['test/compat/run-example.mjs', EXAMPLE, name, JSON.stringify(args)],
      {
        env: {
          ...inherited,
          NODE_EXTRA_CA_CERTS: cert.certFile,
          TESSERA_DOMAIN: `127.0.0.1:${server.port}`,
          TESSERA_CLIENT_ID: clientId,
          TESSERA_CLIENT_SECRET: SECRET,
          ...env,
        },
      },
    ).catch((failed: { stdout: string }) => failed);
    return JSON.parse(result.stdout) as Record<string, string>;
  }

  beforeAll(async () => {
    cert = makeCertificate();
    dir = mkdtempSync(join(tmpdir(), 'tessera-readme-'));
    const file = join(dir, 'tessera.yaml');
    writeFileSync(file, readmeBlock('yaml'));
    const { applications } = loadConfig({ file, env: { MY_WEB_APP_SECRET: SECRET } });
    clientId = applications[0]?.client_id as string;
    server = await TestServer.start({
      // The SDK checks iat and exp against the real time.
      clock: new LiveClock(),
      ca: cert.pem,
      config: { tls: { cert: cert.certFile, key: cert.keyFile }, applications },
    });
  });
  afterAll(async () => {
    await server?.close();
    cert?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('quotes examples/auth0-node-sdk.mjs verbatim', () => {
    expect(readmeBlock('js')).toBe(readFileSync(EXAMPLE, 'utf8'));
  });

  it('declares a confidential regular web application', () => {
    expect(clientId).toBe('my-web-app');
  });

  it('sends a code and logs the user in, the SDK checking the id_token', async () => {
    const email = 'readme.example@example.com';
    expect(await example('sendCode', [email])).toBeNull();
    const [message] = await server.inbox(email);
    expect(message?.code).toMatch(/^\d{6}$/);

    const tokens = await example('logIn', [email, message?.code]);
    expect(tokens).toMatchObject({
      access_token: expect.any(String),
      id_token: expect.any(String),
      scope: 'openid email',
      token_type: 'Bearer',
    });
    expect(decodeJwt(tokens.id_token as string)).toMatchObject({
      iss: server.issuer,
      aud: 'my-web-app',
      email,
      email_verified: true,
    });
  });

  it('is right that the SDK sends nothing without the secret', async () => {
    const email = 'no.secret@example.com';
    const refused = await example('sendCode', [email], { TESSERA_CLIENT_SECRET: undefined });
    expect(refused.message).toContain('client_secret or client_assertion field is required');
    expect(await server.inbox(email)).toEqual([]);
  });
});
