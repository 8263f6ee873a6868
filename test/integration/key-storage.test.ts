import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  EncryptJWT,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/core/secret-box.ts';
import { tessera } from '../helpers/cli.ts';
import { allRowsText, makeLegacyDatabase, query } from '../helpers/legacy-db.ts';
import { freePort, TestServer } from '../helpers/server.ts';

// Signing keys and server secrets are sealed under the master key: a copy of the database alone
// gives away neither. Databases from before are sealed in place at start, and a wrong master key
// stops the start instead of quietly making new keys.

const MASTER = randomBytes(32).toString('base64');
const box = new SecretBox(new Uint8Array(Buffer.from(MASTER, 'base64')));

const dirs: string[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-keys-'));
  dirs.push(dir);
  return dir;
}

async function start(
  dataDir: string,
  config: Record<string, unknown> = { master_key: MASTER },
  port?: number,
) {
  const server = await TestServer.start({ dataDir, config, port });
  servers.push(server);
  return server;
}

async function stop(server: TestServer): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await server.close();
}

async function login(server: TestServer, email: string): Promise<string> {
  const token = await server.login(await server.clientId(), { email }, { scope: 'openid email' });
  expect(token.status).toBe(200);
  return token.body.id_token as string;
}

interface KeyRow {
  kid: string;
  private_jwk: string;
}

const settings = (file: string) =>
  Object.fromEntries(
    query<{ key: string; value: string }>(file, 'select key, value from settings').map((r) => [
      r.key,
      r.value,
    ]),
  );

describe('keys and secrets at rest', () => {
  it('stores the private keys and server secrets sealed: neither the rows nor the file hold them', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir, {
      master_key: MASTER,
      applications: [{ client_id: 'es256-app-000001', name: 'ES', id_token_signing_alg: 'ES256' }],
    });
    await login(server, 'rest@example.com');
    await stop(server);

    const file = join(dataDir, 'tessera.db');
    const keys = query<KeyRow>(file, 'select kid, private_jwk from signing_keys');
    expect(keys).toHaveLength(2);
    const secrets = settings(file);
    const plain: string[] = [];
    for (const key of keys) {
      expect(key.private_jwk).not.toContain('"d"');
      const jwk = JSON.parse(await box.open(key.private_jwk)) as JWK;
      expect(typeof jwk.d).toBe('string');
      plain.push(jwk.d as string);
    }
    for (const name of ['code_hmac_key', 'access_token_key', 'pow_hmac_key', 'login_transaction_key']) {
      const opened = await box.open(secrets[name] as string);
      expect(Buffer.from(opened, 'base64url')).toHaveLength(32);
      plain.push(opened);
    }

    const rows = allRowsText(file);
    const bytes = Buffer.concat(
      [file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)),
    );
    expect(rows).not.toContain('"d":');
    expect(bytes.includes('"d":')).toBe(false);
    for (const value of plain) {
      expect(rows).not.toContain(value);
      expect(bytes.includes(value)).toBe(false);
    }
  });

  it('seals a database from before sealing at start, and what it issued before still verifies', async () => {
    const dataDir = tempDir();
    const legacy = await makeLegacyDatabase(dataDir);
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}/`;
    // A Management API token the old server signed, as `tessera token` made it.
    const managementToken = await new SignJWT({
      scope: 'read:users create:users',
      azp: 'tessera-cli',
      gty: 'client-credentials',
    })
      .setProtectedHeader({ alg: 'RS256', kid: legacy.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject('tessera-cli@clients')
      .setAudience(`${issuer}api/v2/`)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(legacy.privateKey);

    let server = await start(dataDir, { master_key: MASTER }, port);
    const jwks = await server.get<JSONWebKeySet>('/.well-known/jwks.json');
    expect(jwks.body.keys.map((k) => k.kid)).toEqual([legacy.kid]);
    const created = await server.post(
      '/api/v2/users',
      { connection: 'email', email: 'legacy@example.com' },
      { headers: { authorization: `Bearer ${managementToken}` } },
    );
    expect(created.status).toBe(201);
    // An opaque access token the old server issued, under its access-token key.
    const accessToken = await new EncryptJWT({
      scope: 'openid email',
      client_id: await server.clientId(),
      sid: 's1',
    })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuer(issuer)
      .setSubject(created.body.user_id as string)
      .setIssuedAt()
      .setExpirationTime('1h')
      .encrypt(Buffer.from(legacy.accessTokenKey, 'base64url'));
    const userinfo = await server.get('/userinfo', { authorization: `Bearer ${accessToken}` });
    expect(userinfo.status).toBe(200);
    expect(userinfo.body.email).toBe('legacy@example.com');
    // The old key keeps signing: upgrading is not a rotation.
    const idToken = await login(server, 'after-upgrade@example.com');
    expect(decodeProtectedHeader(idToken).kid).toBe(legacy.kid);
    await jwtVerify(idToken, createLocalJWKSet(jwks.body), { issuer });

    const file = join(dataDir, 'tessera.db');
    const rows = allRowsText(file);
    for (const value of [legacy.privateJwk.d as string, legacy.codeHmacKey, legacy.accessTokenKey]) {
      expect(rows).not.toContain(value);
    }
    const [key] = query<KeyRow>(file, 'select kid, private_jwk from signing_keys');
    expect(JSON.parse(await box.open(key?.private_jwk as string))).toEqual(legacy.privateJwk);
    const secrets = settings(file);
    expect(await box.open(secrets.code_hmac_key as string)).toBe(legacy.codeHmacKey);
    expect(await box.open(secrets.access_token_key as string)).toBe(legacy.accessTokenKey);

    // Starting again changes nothing: the upgrade is done once.
    const sealed = { key: key?.private_jwk, secrets };
    await stop(server);
    server = await start(dataDir, { master_key: MASTER }, port);
    expect(query<KeyRow>(file, 'select kid, private_jwk from signing_keys')).toEqual([
      { kid: legacy.kid, private_jwk: sealed.key },
    ]);
    expect(settings(file).code_hmac_key).toBe(sealed.secrets.code_hmac_key);
    const again = await server.get('/api/v2/users/x', { authorization: `Bearer ${managementToken}` });
    expect(again.status).toBe(404);
  });

  it('upgrades safely when two instances start on the same old database at once', async () => {
    const dataDir = tempDir();
    // Migrated, not yet sealed: the moment two starts race for.
    const legacy = await makeLegacyDatabase(dataDir, '9999');
    const [a, b] = await Promise.all([start(dataDir), start(dataDir)]);
    for (const server of [a, b] as TestServer[]) {
      const jwks = await server.get<JSONWebKeySet>('/.well-known/jwks.json');
      expect(jwks.body.keys.map((k) => k.kid)).toEqual([legacy.kid]);
      expect(decodeProtectedHeader(await login(server, `race-${server.port}@example.com`)).kid).toBe(
        legacy.kid,
      );
    }
    const file = join(dataDir, 'tessera.db');
    const [key] = query<KeyRow>(file, 'select kid, private_jwk from signing_keys');
    expect(JSON.parse(await box.open(key?.private_jwk as string))).toEqual(legacy.privateJwk);
    expect(await box.open(settings(file).access_token_key as string)).toBe(legacy.accessTokenKey);
  });
});

describe('a wrong master key', () => {
  it('stops the start with a message saying so, and makes no new key', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir);
    const kid = decodeProtectedHeader(await login(server, 'right@example.com')).kid;
    await stop(server);

    const wrong = randomBytes(32).toString('base64');
    await expect(start(dataDir, { master_key: wrong })).rejects.toThrow(
      /the master key cannot open the sealed values stored in the database/,
    );
    const cli = await tessera(['keys', 'list'], { TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: wrong });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^tessera: the master key cannot open/);
    expect(cli.stderr).not.toMatch(/\n\s+at /);

    const file = join(dataDir, 'tessera.db');
    expect(query<KeyRow>(file, 'select kid from signing_keys')).toEqual([{ kid }]);
    // The right key still opens everything.
    const back = await start(dataDir);
    expect(decodeProtectedHeader(await login(back, 'back@example.com')).kid).toBe(kid);
  });

  it('is recognised on an older database by its sealed provider credentials', async () => {
    const dataDir = tempDir();
    await makeLegacyDatabase(dataDir);
    const twilioToken = { $sealed: await box.seal(JSON.stringify('twilio-secret')) };
    const connection = {
      name: 'sms',
      strategy: 'sms',
      options: { provider: 'twilio', twilio_token: twilioToken },
    };
    const sqlite = new SQLite(join(dataDir, 'tessera.db'));
    sqlite
      .prepare('insert into connections (name, data, updated_at) values (?, ?, ?)')
      .run('sms', JSON.stringify(connection), Date.now());
    sqlite.close();

    const wrong = randomBytes(32).toString('base64');
    await expect(start(dataDir, { master_key: wrong })).rejects.toThrow(
      /the master key cannot open the provider credentials stored in the database/,
    );
    const file = join(dataDir, 'tessera.db');
    expect(query<KeyRow>(file, 'select private_jwk from signing_keys')[0]?.private_jwk).toMatch(/^\{/);
    expect(settings(file).master_key_check).toBeUndefined();
  });

  it('stops the start when master.key was lost, instead of sealing with the new one made in its place', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir, {});
    await login(server, 'file@example.com');
    await stop(server);
    const file = join(dataDir, 'tessera.db');
    const before = query<KeyRow>(file, 'select kid, private_jwk from signing_keys');

    unlinkSync(join(dataDir, 'master.key'));
    await expect(start(dataDir, {})).rejects.toThrow(/master key cannot open/);
    expect(query<KeyRow>(file, 'select kid, private_jwk from signing_keys')).toEqual(before);
  });
});
