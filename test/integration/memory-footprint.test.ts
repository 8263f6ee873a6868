import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ServerProcess, startScriptNodeOptions } from '../../bench/server-process.ts';
import { HEAP_GROWING_PERCENT, tuneHeap } from '../../src/heap-tuning.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

const TESSERA = fileURLToPath(new URL('../../bin/tessera.js', import.meta.url));

/**
 * A server on SQLite, started as `npm start` starts it, records every module it loads: the
 * PostgreSQL and Redis clients and nodemailer stay out of its memory until something uses them.
 */
describe('what a server on SQLite holds in memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-footprint-'));
  const loaded = join(dir, 'loaded.txt');
  const icu = join(dir, 'icu.txt');
  let server: ServerProcess;

  beforeAll(async () => {
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(loaded)}, url + '\\n'); return next(url, context); }`,
    );
    const register = join(dir, 'register.mjs');
    // Also notes every use of ICU's date and collation data, whose pages of the node binary stay
    // resident once read.
    writeFileSync(
      register,
      `import { register } from 'node:module';
import { appendFileSync } from 'node:fs';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const note = (what) => appendFileSync(${JSON.stringify(icu)}, what + '\\n');
for (const name of ['DateTimeFormat', 'Collator']) {
  const original = Intl[name];
  Intl[name] = new Proxy(original, {
    construct: (target, args) => (note(name), Reflect.construct(target, args)),
    apply: (target, self, args) => (note(name), Reflect.apply(target, self, args)),
  });
}
const localeCompare = String.prototype.localeCompare;
String.prototype.localeCompare = function (...args) { note('localeCompare'); return localeCompare.apply(this, args); };`,
    );
    const env = {
      TESSERA_DATA_DIR: dir,
      NODE_ENV: 'production',
      TESSERA_DEV_INBOX: 'true',
      LOG_LEVEL: 'warn',
    };
    // Migrated first, as a restarted server's database is: the migrator then sorts what ran.
    execFileSync(process.execPath, [TESSERA, 'migrate'], { env: { ...process.env, ...env } });
    server = await ServerProcess.spawn(
      process.execPath,
      ['--import', register, ...startScriptNodeOptions(), TESSERA, 'start'],
      env,
      // Ready, not only alive: a start past 2 s answers /healthz from the starting app, and 503 elsewhere.
      '/readyz',
    );
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads neither the PostgreSQL nor the Redis client nor nodemailer', async () => {
    const response = await fetch(`${server.origin}/passwordless/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'nobody', connection: 'email', email: 'a@example.com' }),
    });
    expect(response.status).toBe(400);
    const modules = readFileSync(loaded, 'utf8');
    // The hook saw the server's own modules and its dependencies, so an absence means something.
    expect(modules).toContain('/node_modules/fastify/');
    expect(modules).toContain('/node_modules/kysely/');
    for (const name of ['pg', 'ioredis', 'nodemailer', '@electric-sql/pglite'])
      expect(modules).not.toContain(`/node_modules/${name}/`);
  });

  it('reads no ICU date or collation data to start and answer (the templates, the migrator)', async () => {
    const response = await fetch(`${server.origin}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(existsSync(icu) ? readFileSync(icu, 'utf8') : '').toBe('');
  });
});

describe('migrations on a restart', () => {
  it('order what ran without ICU collation, also when two ran in the same millisecond', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-footprint-'));
    const store = openSqliteStore(join(dir, 'tessera.db'));
    try {
      await store.migrate();
      // Kysely orders migrations of one timestamp by name: the case a comparator is used in.
      await sql`update kysely_migration set timestamp = (select min(timestamp) from kysely_migration)`.execute(
        store.db,
      );
      const localeCompare = vi.spyOn(String.prototype, 'localeCompare');
      try {
        expect(await store.migrate()).toEqual([]);
        expect(localeCompare).not.toHaveBeenCalled();
      } finally {
        localeCompare.mockRestore();
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('heap tuning', () => {
  it('is applied by `tessera start`, and leaves a value the operator chose alone', () => {
    expect(tuneHeap(['--heap-growing-percent=50'], '')).toBe(false);
    expect(tuneHeap([], '--max-old-space-size=512 --heap_growing_percent=35')).toBe(false);
    const before = getHeapStatistics().heap_size_limit;
    expect(tuneHeap([], '')).toBe(true);
    expect(HEAP_GROWING_PERCENT).toBeGreaterThan(0);
    expect(getHeapStatistics().heap_size_limit).toBe(before);
  });

  it('starts the server with a young generation of a few megabytes, as npm start and the image do', () => {
    const options = startScriptNodeOptions();
    expect(options).toContain('--max-semi-space-size=4');
    expect(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')).toContain(
      `"node", ${options.map((o) => JSON.stringify(o)).join(', ')}, "bin/tessera.js"`,
    );
  });
});
