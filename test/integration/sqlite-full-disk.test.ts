import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AcknowledgedLogin,
  type Answer,
  isUnavailable,
  login,
  refreshAll,
} from '../helpers/login-load.ts';
import { OTP_GRANT, TestServer } from '../helpers/server.ts';

// SQLite on a filesystem that fills up: a small tmpfs this test mounts into a temporary directory
// (which needs root; elsewhere the test is skipped with a note, and under CI=true it must run).
// While the disk is full, what writes answers 503 and the log says why, once; nothing committed
// is lost; once space is freed Tessera writes again by itself, and the file is sound.
const CLIENT = 'full-disk-app-0001';

/** Mounts a tmpfs of `size` at a new temporary directory, or says why it cannot. */
function mountSmallDisk(size: string): { dir: string } | { why: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (mounted.status === 0) return { dir };
  rmdirSync(dir);
  return { why: (mounted.stderr || mounted.error?.message || `mount exited ${mounted.status}`).trim() };
}

function unmount(dir: string): void {
  spawnSync('umount', [dir]);
  rmdirSync(dir);
}

/** Whether this machine lets the test mount a filesystem (root): tried once, at once undone. */
function whyNoMount(): string | undefined {
  const probe = mountSmallDisk('1m');
  if ('why' in probe) return probe.why;
  unmount(probe.dir);
  return undefined;
}

const cannotMount = whyNoMount();
if (cannotMount !== undefined) {
  if (process.env.CI === 'true') throw new Error(`CI=true but a tmpfs cannot be mounted: ${cannotMount}`);
  console.warn(`a tmpfs cannot be mounted here (${cannotMount}): the SQLite full-disk test is skipped`);
}

/** Fills the filesystem holding `file` to the last byte; returns the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return written;
}

describe.skipIf(cannotMount !== undefined)('SQLite on a full disk', () => {
  let dir = '';
  const lines: { level: string; msg: string }[] = [];
  let server: TestServer;
  let closed = false;

  beforeAll(async () => {
    const disk = mountSmallDisk('16m');
    if ('why' in disk) throw new Error(`cannot mount a tmpfs: ${disk.why}`);
    dir = disk.dir;
    // pino's calls: (message) or (details, message).
    const record = (level: string) => (first: unknown, second?: unknown) =>
      lines.push({ level, msg: String(typeof first === 'string' ? first : second) });
    const logger = {
      level: 'info',
      warn: record('warn'),
      info: record('info'),
      error: record('error'),
      debug: () => {},
      trace: () => {},
      fatal: record('fatal'),
      silent: () => {},
      child() {
        return this;
      },
    };
    server = await TestServer.start({
      dataDir: dir,
      logger: logger as unknown as FastifyBaseLogger,
      config: {
        dev_inbox: true,
        applications: [{ client_id: CLIENT, name: 'Full disk', grant_types: [OTP_GRANT, 'refresh_token'] }],
      },
    });
  });
  afterAll(async () => {
    try {
      if (server && !closed) await server.close();
    } finally {
      if (dir) unmount(dir);
    }
  });

  const storeUp = async () =>
    /^tessera_store_up (\d)$/m.exec((await server.get<string>('/metrics')).body as unknown as string)?.[1];
  const said = (msg: string) => lines.filter((line) => line.msg.startsWith(msg)).length;

  it('answers 503 while the disk is full, loses nothing committed, and writes again once space is freed', async () => {
    const origin = server.url;
    const acknowledged: AcknowledgedLogin[] = [];
    for (let n = 0; n < 20; n++) {
      const done = await login(origin, CLIENT, `before-${n}@example.com`);
      expect(done).toBeDefined();
      acknowledged.push(done as AcknowledgedLogin);
    }

    const filler = join(dir, 'filler');
    expect(fill(filler)).toBeGreaterThan(0);
    // Logins go on until one needs room the file does not have: from then on what writes is 503.
    const refused: Answer[] = [];
    const unexpected: Answer[] = [];
    for (let n = 0; n < 300 && refused.length < 5; n++) {
      const done = await login(origin, CLIENT, `full-${n}@example.com`, (_step, answer) => {
        if (answer.status === 200) return;
        if (isUnavailable(answer)) refused.push(answer);
        else unexpected.push(answer);
      });
      if (done) acknowledged.push(done);
    }
    expect(unexpected).toEqual([]);
    expect(refused.length).toBe(5);
    expect(refused.map((a) => a.body.error)).toContain('server_error');
    expect(said('the database cannot write')).toBe(1);
    expect(await storeUp()).toBe('0');
    expect((await server.get('/readyz')).status).toBe(503);
    expect((await server.get('/healthz')).status).toBe(200);

    unlinkSync(filler);
    const freed = Date.now();
    await expect.poll(async () => (await server.get('/readyz')).status, { timeout: 10_000 }).toBe(200);
    const recoveredMs = Date.now() - freed;
    expect(await storeUp()).toBe('1');
    expect(said('the database answers again')).toBe(1);
    const after = await login(origin, CLIENT, 'after-full@example.com');
    expect(after).toBeDefined();
    acknowledged.push(after as AcknowledgedLogin);
    // Every login that got tokens, before and during, still has a refresh token that works.
    expect((await refreshAll(origin, CLIENT, acknowledged)).filter((s) => s !== 200)).toEqual([]);
    await server.close();
    closed = true;

    const db = new Database(join(dir, 'tessera.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const users = new Set(
        (db.prepare('SELECT user_id FROM users').all() as { user_id: string }[]).map((u) => u.user_id),
      );
      expect(acknowledged.filter((l) => !users.has(l.userId))).toEqual([]);
    } finally {
      db.close();
    }
    console.info(
      `full disk: ${acknowledged.length} logins acknowledged (0 lost), ${refused.length} answers 503, ` +
        `ready ${recoveredMs} ms after space was freed`,
    );
  }, 60_000);
});
