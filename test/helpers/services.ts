import { spawnSync } from 'node:child_process';

/**
 * The real services tests may use: PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL), as
 * `.ci/run` sets them. On a laptop without them, PostgreSQL tests run on PGlite and Redis tests are
 * skipped with a note; under CI=true a missing service fails the run instead.
 */
function required(name: string, what: string): string | undefined {
  const value = process.env[name];
  if (value) return value;
  if (process.env.CI === 'true')
    throw new Error(`CI=true but ${name} is not set: the real ${what} is required under CI (see .ci/run)`);
  return undefined;
}

export function testDatabaseUrl(): string | undefined {
  const url = required('TEST_DATABASE_URL', 'PostgreSQL');
  if (!url)
    console.warn(
      'TEST_DATABASE_URL is not set: the Store contract runs on PGlite, and the tests that need a PostgreSQL server shared by several instances are skipped',
    );
  return url;
}

export function testRedisUrl(): string | undefined {
  const url = required('TEST_REDIS_URL', 'Redis');
  if (!url) console.warn('TEST_REDIS_URL is not set: the Redis tests in this file are skipped');
  return url;
}

/** A schema name no other test file or run uses. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Whether `redis-server` can be run here (for tests that start and stop a Redis of their own).
 * Required under CI; elsewhere its tests are skipped with a note.
 */
export function canRunRedisServer(): boolean {
  const found = spawnSync('redis-server', ['--version']).status === 0;
  if (found) return true;
  if (process.env.CI === 'true') throw new Error('CI=true but redis-server is not installed');
  console.warn('redis-server is not installed: the tests that stop a Redis of their own are skipped');
  return false;
}
