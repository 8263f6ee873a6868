import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { tessera } from '../helpers/cli.ts';
import { LiveClock, TestServer } from '../helpers/server.ts';

// `tessera keys rotate` against a running server on the same data directory: the new key is
// published at once, signs after keys.propagation_s (at once with --now), and the old key stays
// published until every token it signed has expired. Servers run on a clock that keeps real time
// (so the CLI's times and theirs agree) and is moved forward instead of sleeping.

const RELOAD_S = 30;
const PROPAGATION_S = 3600;
const MARGIN_S = 3600;
/** The Default App's lifetimes: id_tokens 10 h, access tokens 24 h (the longest). */
const LONGEST_TOKEN_S = 86_400;

interface ListedKey {
  kid: string;
  alg: string;
  state: string;
  created_at: string;
  activates_at: string;
  retires_at: string | null;
}

const servers: TestServer[] = [];
afterEach(async () => {
  // Servers sharing a data directory: the one that made it goes last and removes it.
  for (const server of servers.splice(0).reverse()) await server.close();
});

async function start(options: { dataDir?: string; config?: Record<string, unknown> } = {}) {
  const server = await TestServer.start({
    clock: new LiveClock(),
    dataDir: options.dataDir,
    config: { keys: { reload_s: RELOAD_S }, ...options.config },
  });
  servers.push(server);
  return server;
}

/** `tessera ...` on the server's data directory, configured as the server is. */
function cli(server: TestServer, args: string[]) {
  return tessera(args, {
    TESSERA_DATA_DIR: server.dataDir,
    TESSERA_ISSUER: server.issuer,
    PORT: String(server.port),
  });
}

async function listKeys(server: TestServer): Promise<ListedKey[]> {
  const listed = await cli(server, ['keys', 'list', '--json']);
  expect(listed.code).toBe(0);
  return JSON.parse(listed.stdout) as ListedKey[];
}

let logins = 0;
async function idToken(server: TestServer): Promise<string> {
  const email = `user${++logins}@example.com`;
  const clientId = await server.clientId();
  const code = await server.startCode(clientId, { email });
  const token = await server.otpGrant(clientId, 'email', email, code, { scope: 'openid email' });
  expect(token.status).toBe(200);
  return token.body.id_token as string;
}

const kidOf = async (server: TestServer) => decodeProtectedHeader(await idToken(server)).kid;

async function jwks(server: TestServer): Promise<JSONWebKeySet> {
  return (await server.get<JSONWebKeySet>('/.well-known/jwks.json')).body;
}
const publishedKids = async (server: TestServer) => (await jwks(server)).keys.map((k) => k.kid).sort();

/** Moves the server's clock to `at` (ms since the epoch). */
function moveTo(server: TestServer, at: number): void {
  server.clock.advance(at - server.clock.now());
}

// Each test runs the command a few times, seconds each under load.
describe('tessera keys rotate', { timeout: 60_000 }, () => {
  it('publishes the new key at once, signs with it after the propagation delay, and retires the old key after its tokens', async () => {
    const server = await start();
    const oldKid = await kidOf(server);

    const rotated = await cli(server, ['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^RS256: new key \S+, published now, signs at /);
    const keys = await listKeys(server);
    const next = keys.find((k) => k.state === 'next') as ListedKey;
    expect(keys.map((k) => [k.kid, k.state])).toEqual([
      [next.kid, 'next'],
      [oldKid, 'current'],
    ]);
    expect(JSON.stringify(keys)).not.toMatch(/"d"|private/);
    const activatesAt = Date.parse(next.activates_at);
    expect(activatesAt - Date.parse(next.created_at)).toBe(PROPAGATION_S * 1000);
    const retiresAt = Date.parse(keys.find((k) => k.kid === oldKid)?.retires_at as string);
    expect(retiresAt).toBe(activatesAt + (LONGEST_TOKEN_S + MARGIN_S) * 1000);

    // The running server sees the rotation at its next reload.
    expect(await publishedKids(server)).toEqual([oldKid]);
    server.clock.advance(RELOAD_S * 1000);
    expect(await publishedKids(server)).toEqual([oldKid, next.kid].sort());
    expect(await kidOf(server)).toBe(oldKid);

    // The last token the old key signs, just before the new key takes over.
    moveTo(server, activatesAt - 1000);
    const last = await idToken(server);
    expect(decodeProtectedHeader(last).kid).toBe(oldKid);
    moveTo(server, activatesAt);
    expect(await kidOf(server)).toBe(next.kid);

    // Until it expires, the last old token verifies against the JWKS.
    moveTo(server, (decodeJwt(last).exp as number) * 1000 - 1000);
    expect(await publishedKids(server)).toEqual([oldKid, next.kid].sort());
    await jwtVerify(last, createLocalJWKSet(await jwks(server)), {
      currentDate: new Date(server.clock.now()),
    });

    moveTo(server, retiresAt - 1000);
    expect(await publishedKids(server)).toEqual([oldKid, next.kid].sort());
    moveTo(server, retiresAt);
    expect(await publishedKids(server)).toEqual([next.kid]);
    expect(await kidOf(server)).toBe(next.kid);
  });

  it('with --now signs with the new key as soon as the server has reloaded', async () => {
    const server = await start();
    const oldKid = await kidOf(server);
    const rotated = await cli(server, ['keys', 'rotate', '--now']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^RS256: new key \S+, published now, signs now/);
    const newKid = (await listKeys(server)).find((k) => k.state === 'current')?.kid;
    expect(newKid).not.toBe(oldKid);

    expect(await kidOf(server)).toBe(oldKid);
    server.clock.advance(RELOAD_S * 1000);
    expect(await kidOf(server)).toBe(newKid);
    expect(await publishedKids(server)).toEqual([oldKid, newKid].sort());
  });

  it('reaches every instance on the database; one that has not reloaded still accepts the new key', async () => {
    const a = await start();
    const b = await start({ dataDir: a.dataDir });
    const oldKid = await kidOf(a);
    expect(await kidOf(b)).toBe(oldKid);

    expect((await cli(a, ['keys', 'rotate', '--now'])).code).toBe(0);
    // `tessera token` signs with the new key; instance a has not reloaded, and looks it up.
    const printed = await cli(a, ['token', '--scopes', 'read:users']);
    expect(printed.code).toBe(0);
    const token = printed.stdout.trim();
    const newKid = decodeProtectedHeader(token).kid;
    expect(newKid).not.toBe(oldKid);
    const read = await a.get('/api/v2/users/email%7Cnobody', { authorization: `Bearer ${token}` });
    expect(read.status).toBe(404);

    for (const server of [a, b]) server.clock.advance(RELOAD_S * 1000);
    expect(await kidOf(a)).toBe(newKid);
    expect(await kidOf(b)).toBe(newKid);
    expect(await publishedKids(b)).toEqual([oldKid, newKid].sort());
  });

  it('retires a previous key on demand, but never the one that signs', async () => {
    const server = await start();
    const oldKid = await kidOf(server);
    const rotated = await cli(server, ['keys', 'rotate', '--now', '--json']);
    expect(rotated.code).toBe(0);
    const [rotation] = JSON.parse(rotated.stdout) as { alg: string; key: ListedKey }[];
    const newKid = rotation?.key.kid as string;
    expect(rotation?.key.state).toBe('current');

    const refused = await cli(server, ['keys', 'retire', newKid]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('signs now');
    const retired = await cli(server, ['keys', 'retire', oldKid as string]);
    expect(retired.code).toBe(0);
    expect((await listKeys(server)).map((k) => [k.kid, k.state])).toEqual([
      [newKid, 'current'],
      [oldKid, 'retired'],
    ]);
    server.clock.advance(RELOAD_S * 1000);
    expect(await publishedKids(server)).toEqual([newKid]);
  });

  it('rotates the ES256 key on its own with --alg, and refuses an unknown algorithm', async () => {
    const server = await start({
      config: {
        applications: [{ client_id: 'es256-app-000001', name: 'ES', id_token_signing_alg: 'ES256' }],
      },
    });
    const rotated = await cli(server, ['keys', 'rotate', '--alg', 'ES256', '--json']);
    expect(rotated.code).toBe(0);
    const rotations = JSON.parse(rotated.stdout) as { alg: string; key: ListedKey }[];
    expect(rotations.map((r) => [r.alg, r.key.state])).toEqual([['ES256', 'next']]);
    const keys = await listKeys(server);
    expect(keys.map((k) => [k.alg, k.state]).sort()).toEqual([
      ['ES256', 'current'],
      ['ES256', 'next'],
      ['RS256', 'current'],
    ]);

    const bad = await cli(server, ['keys', 'rotate', '--alg', 'HS256']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--alg must be RS256 or ES256');
  });
});

describe('automatic rotation (keys.rotate_after_days)', () => {
  it('rotates a key once it is old enough, through the same propagation delay', async () => {
    const server = await start({ config: { keys: { reload_s: RELOAD_S, rotate_after_days: 30 } } });
    const oldKid = await kidOf(server);
    server.clock.advance(29 * 86_400_000);
    expect(await publishedKids(server)).toEqual([oldKid]);
    server.clock.advance(86_400_000);
    const kids = await publishedKids(server);
    expect(kids).toHaveLength(2);
    const newKid = kids.find((kid) => kid !== oldKid);
    expect(await kidOf(server)).toBe(oldKid);
    server.clock.advance(PROPAGATION_S * 1000);
    expect(await kidOf(server)).toBe(newKid);
    // One rotation per period: the next reload does not rotate again.
    server.clock.advance(RELOAD_S * 1000);
    expect(await publishedKids(server)).toHaveLength(2);
  });
});
