import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { expectExit, tessera } from '../helpers/cli.ts';
import { LiveClock, TestServer } from '../helpers/server.ts';

// `tessera keys rotate` against a running server on the same data directory: the new key is
// published at once, signs after keys.propagation_s (at once with --now), and the old key stays
// published until every token it signed has expired. Servers run on a clock that keeps real time
// (so the CLI's times and theirs agree) and is moved forward instead of sleeping.
//
// Because that clock keeps real time, a server also reloads its keys by itself once `reload_s`
// of real time have passed. Each CLI run starts a Node process that loads Tessera (about 3 s of
// CPU through tsx); on a loaded machine two runs took over 30 s, the server reloaded before the
// test moved its clock, and the checks that it had not yet seen the rotation failed. The interval
// is therefore longer than any test lasts (and shorter than the propagation delay): a server
// reloads here only when the test moves its clock.

const RELOAD_S = 600;
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
  const listed = expectExit(await cli(server, ['keys', 'list', '--json']));
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

// Each test runs the command two to four times: about 3 s each on an idle machine, and 10 s each
// measured with the two cores busy elsewhere (a full run beside other work), so four of them
// overran a minute.
describe('tessera keys rotate', { timeout: 120_000 }, () => {
  it('publishes the new key at once, signs with it after the propagation delay, and retires the old key after its tokens', async () => {
    const server = await start();
    const oldKid = await kidOf(server);

    const rotated = expectExit(await cli(server, ['keys', 'rotate']));
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
    const rotated = expectExit(await cli(server, ['keys', 'rotate', '--now']));
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

    expectExit(await cli(a, ['keys', 'rotate', '--now']));
    // `tessera token` signs with the new key; instance a has not reloaded, and looks it up.
    const printed = expectExit(await cli(a, ['token', '--scopes', 'read:users']));
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
    const rotated = expectExit(await cli(server, ['keys', 'rotate', '--now', '--json']));
    const [rotation] = JSON.parse(rotated.stdout) as { alg: string; key: ListedKey }[];
    const newKid = rotation?.key.kid as string;
    expect(rotation?.key.state).toBe('current');

    const refused = expectExit(await cli(server, ['keys', 'retire', newKid]), 1);
    expect(refused.stderr).toContain('signs now');
    const retired = expectExit(await cli(server, ['keys', 'retire', oldKid as string]));
    expect(retired.stdout).toContain(`${oldKid} is retired`);
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
    const rotated = expectExit(await cli(server, ['keys', 'rotate', '--alg', 'ES256', '--json']));
    const rotations = JSON.parse(rotated.stdout) as { alg: string; key: ListedKey }[];
    expect(rotations.map((r) => [r.alg, r.key.state])).toEqual([['ES256', 'next']]);
    const keys = await listKeys(server);
    expect(keys.map((k) => [k.alg, k.state]).sort()).toEqual([
      ['ES256', 'current'],
      ['ES256', 'next'],
      ['RS256', 'current'],
    ]);

    const bad = expectExit(await cli(server, ['keys', 'rotate', '--alg', 'HS256']), 1);
    expect(bad.stderr).toContain('--alg must be RS256 or ES256');
    // A command that fails where a test expects success shows why: its stderr is in the failure.
    expect(() => expectExit(bad)).toThrow(
      /keys rotate --alg HS256 exited 1; stderr:\n.*--alg must be RS256 or ES256/,
    );
  });
});

describe('automatic rotation (keys.rotate_after_days)', () => {
  it('rotates a key once it is old enough, through the same propagation delay', async () => {
    const server = await start({ config: { keys: { reload_s: RELOAD_S, rotate_after_days: 30 } } });
    const oldKid = await kidOf(server);
    server.clock.advance(29 * 86_400_000);
    expect(await publishedKids(server)).toEqual([oldKid]);
    server.clock.advance(86_400_000);
    // The request that finds the keys due waits at most 500 ms for the rotation (a new RSA key),
    // then answers with the keys it has: the new key is published within a moment.
    await expect.poll(async () => (await publishedKids(server)).length, { timeout: 10_000 }).toBe(2);
    const kids = await publishedKids(server);
    const newKid = kids.find((kid) => kid !== oldKid);
    expect(await kidOf(server)).toBe(oldKid);
    server.clock.advance(PROPAGATION_S * 1000);
    expect(await kidOf(server)).toBe(newKid);
    // One rotation per period: the next reload does not rotate again.
    server.clock.advance(RELOAD_S * 1000);
    expect(await publishedKids(server)).toHaveLength(2);
  });
});
