import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/report.ts';
import { testDatabaseUrl, testRedisUrl } from '../helpers/services.ts';

const run = promisify(execFile);

// Under CI=true these throw when unset: a missing service fails the run instead of skipping.
const databaseUrl = testDatabaseUrl();
const redisUrl = testRedisUrl();
if (!databaseUrl || !redisUrl)
  console.warn(
    'TEST_DATABASE_URL and TEST_REDIS_URL are not both set: the quick PostgreSQL bench (two instances) is skipped',
  );

/** Runs `bench/run.ts --quick` with `args` and returns its stdout and the results file. */
async function quickBench(args: string[]): Promise<{ stdout: string; results: BenchResults }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-smoke-'));
  const output = join(dir, 'results.json');
  try {
    const { stdout } = await run('npx', ['tsx', 'bench/run.ts', '--quick', '--output', output, ...args], {
      timeout: 120_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    return { stdout, results: JSON.parse(readFileSync(output, 'utf8')) as BenchResults };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The bench is not a test: this only proves the harness runs end to end. It asserts no speed.
describe('npm run bench -- --quick', () => {
  it('logs users in through every scenario with zero errors and writes its figures', async () => {
    const { stdout, results } = await quickBench([]);
    expect(stdout).toContain('full logins/s');
    expect(results.settings).toMatchObject({ store: 'sqlite', instances: 1 });
    expect(results.errors).toBe(0);
    expect(results.runs.rs256.logins.completed).toBeGreaterThan(0);
    expect(results.runs.rs256.fixedRate?.achieved).toBeGreaterThan(0);
    expect(results.runs.rs256.refreshPerSecond).toBeGreaterThan(0);
    expect(results.runs.rs256.userinfoPerSecond).toBeGreaterThan(0);
    expect(results.runs.es256.logins.completed).toBeGreaterThan(0);
    expect(results.ceilings.signsPerSecond.RS256).toBeGreaterThan(0);
  }, 150_000);

  it.skipIf(!databaseUrl || !redisUrl)(
    'runs on PostgreSQL and Redis with two instances sharing them, and drops its schemas',
    async () => {
      const { stdout, results } = await quickBench([
        '--seconds',
        '1',
        '--store',
        'postgres',
        '--instances',
        '2',
        '--database-url',
        databaseUrl as string,
        '--redis-url',
        redisUrl as string,
      ]);
      expect(stdout).toContain('full logins/s');
      expect(results.settings).toMatchObject({ store: 'postgres', instances: 2 });
      // Logins whose requests went to both instances (tokens of one read on the other) all succeeded.
      expect(results.errors).toBe(0);
      const rs256 = results.runs.rs256;
      expect(rs256.instances).toBe(2);
      expect(rs256.logins.completed).toBeGreaterThan(0);
      expect(rs256.refreshPerSecond).toBeGreaterThan(0);
      expect(rs256.userinfoPerSecond).toBeGreaterThan(0);
      expect(rs256.peakRssMbByInstance).toHaveLength(2);
      expect(rs256.database?.samples).toBeGreaterThan(0);
      expect(results.runs.es256.logins.completed).toBeGreaterThan(0);
      const schemas = [rs256.schema, results.runs.es256.schema];
      expect(schemas).toEqual([expect.stringMatching(/^bench_/), expect.stringMatching(/^bench_/)]);
      expect(await existingSchemas(databaseUrl as string, schemas as string[])).toEqual([]);
    },
    150_000,
  );
});

/** Those of `schemas` that still exist (the bench drops each run's schema after it). */
async function existingSchemas(url: string, schemas: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      'select nspname from pg_namespace where nspname = any($1)',
      [schemas],
    );
    return rows.map((r) => r.nspname);
  } finally {
    await client.end();
  }
}
