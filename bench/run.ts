import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signaturesPerSecond } from './ceilings.ts';
import { DEFAULT_POOL_SIZE, disposeAll, type StoreTarget } from './deployment.ts';
import { closedLoop, LoadClient, round } from './load.ts';
import { type GrowthRun, growthRun, type LoginRun, loginRun, type RunSettings } from './login-run.ts';
import { type BenchResults, comparisonTable, resultsTable } from './report.ts';
import { ServerProcess } from './server-process.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    store: { type: 'string', default: 'sqlite' },
    instances: { type: 'string', default: '1' },
    'database-url': { type: 'string' },
    'redis-url': { type: 'string' },
    'pool-size': { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    rate: { type: 'string', default: '200' },
    'no-growth': { type: 'boolean', default: false },
    output: { type: 'string' },
  },
});

const quick = values.quick;
const seconds = Number(values.seconds ?? (quick ? 1.5 : 8));
const concurrency = Number(values.concurrency);
const offeredRate = Number(values.rate);
const growth = !quick && !values['no-growth'];
const instances = Number(values.instances);
const poolSize = values['pool-size'] === undefined ? undefined : Number(values['pool-size']);
const databaseUrl =
  values['database-url'] ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = values['redis-url'] ?? process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

function usage(problem: string): never {
  process.stderr.write(`bench: ${problem}\n`);
  process.exit(2);
}
if (!['sqlite', 'postgres', 'both'].includes(values.store as string))
  usage(`--store ${values.store}: expected sqlite, postgres or both`);
if (!Number.isInteger(instances) || instances < 1) usage('--instances: expected a whole number of 1 or more');
if (instances > 1 && values.store === 'sqlite')
  usage('--instances above 1 needs --store postgres: instances on SQLite cannot share its file');
if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize >= 1 && poolSize <= 200))
  usage('--pool-size: expected 1 to 200');
if (values.store === 'both' && values.output !== undefined)
  usage('--output names one file: with --store both each store writes its default file');

const targets: StoreTarget[] = [
  ...(values.store !== 'postgres' ? [{ kind: 'sqlite' } as const] : []),
  ...(values.store !== 'sqlite'
    ? [{ kind: 'postgres', databaseUrl, redisUrl, poolSize, instances } as const]
    : []),
];

/** bench/results.json for SQLite, so PostgreSQL runs do not overwrite its figures, and the other way round. */
function defaultOutput(target: StoreTarget): string {
  const name =
    target.kind === 'sqlite'
      ? 'results.json'
      : target.instances === 1
        ? 'results-postgres.json'
        : `results-postgres-${target.instances}-instances.json`;
  return new URL(name, import.meta.url).pathname;
}

async function bareFastify(): Promise<number> {
  const server = await ServerProcess.spawn(
    process.execPath,
    [new URL('./bare-server.mjs', import.meta.url).pathname],
    {},
  );
  const client = new LoadClient(server.origin, concurrency);
  try {
    await client.warm();
    const run = await closedLoop(concurrency, (seconds * 1000) / 2, async () => {
      const answer = await client.get('/hello');
      if (answer.status !== 200) throw new Error(`bare ${answer.status}`);
    });
    return run.perSecond;
  } finally {
    await client.close();
    await server.stop();
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Every scenario on one store: RS256 and ES256 logins, and the 1,000,000-user growth run. */
async function benchStore(target: StoreTarget, ceilings: BenchResults['ceilings']): Promise<BenchResults> {
  const startedAt = new Date();
  const settings: RunSettings = { quick, seconds, concurrency, offeredRate, target, log };
  const where = target.kind === 'sqlite' ? 'SQLite' : `PostgreSQL + Redis, ${target.instances} instance(s)`;
  const baseUsers = quick ? 1000 : 10_000;
  log(`RS256 logins on ${where}...`);
  const rs256 = await loginRun(settings, 'RS256', baseUsers, true);
  log(`ES256 logins on ${where}...`);
  const es256 = await loginRun(settings, 'ES256', baseUsers, !quick);
  let large: LoginRun | undefined;
  let growthTurns: GrowthRun | undefined;
  if (growth) {
    log(`ES256 logins with 1,000,000 existing users on ${where}...`);
    large = await loginRun(settings, 'ES256', 1_000_000, false);
    log(`ES256 logins with 10,000 and with 1,000,000 existing users, in turns, on ${where}...`);
    growthTurns = await growthRun(settings, baseUsers, 1_000_000);
  }
  return {
    date: startedAt.toISOString(),
    mode: quick ? 'quick' : 'full',
    source: sourceVersion(),
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGb: round(totalmem() / 2 ** 30, 1),
      node: process.version,
    },
    settings: {
      store: target.kind,
      instances: target.kind === 'postgres' ? target.instances : 1,
      concurrency,
      seconds,
      offeredRate,
      ...(target.kind === 'postgres' && {
        poolSize: target.poolSize ?? DEFAULT_POOL_SIZE,
        databaseUrl: withoutPassword(target.databaseUrl),
        redisUrl: withoutPassword(target.redisUrl),
      }),
    },
    ceilings,
    runs: { rs256, es256, ...(large && { es256_1m: large }) },
    ...(growthTurns && { growth: growthTurns }),
    fractions: {
      rs256OfSignCeiling: round(rs256.logins.perSecond / (ceilings.signsPerSecond.RS256 ?? 1), 3),
      es256OfSignCeiling: round(es256.logins.perSecond / (ceilings.signsPerSecond.ES256 ?? 1), 3),
      loginRequestsOfBareFastify: round((rs256.logins.perSecond * 3) / ceilings.bareFastifyPerSecond, 3),
      // From the runs taken in turns: the separate runs above are minutes apart.
      ...(growthTurns && { growth1mOver10k: growthTurns.ratio }),
    },
    errors: [rs256, es256, large].reduce((sum, r) => sum + (r?.errors ?? 0), 0) + (growthTurns?.errors ?? 0),
  };
}

/**
 * Which code was measured: the commit, and a hash of src/ as it was (the tree is often edited
 * between runs, so two results files compare fairly only when their hashes match).
 */
function sourceVersion(): { commit: string; srcHash: string } {
  const root = fileURLToPath(new URL('..', import.meta.url));
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  } catch {
    // not a git checkout
  }
  const hash = createHash('sha256');
  const src = join(root, 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .map((name) => join(src, name))
    .filter((file) => statSync(file).isFile())
    .sort();
  for (const file of files) hash.update(file).update(readFileSync(file));
  return { commit, srcHash: hash.digest('hex').slice(0, 12) };
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function main(): Promise<void> {
  const stores = targets
    .map((t) =>
      t.kind === 'sqlite' ? 'sqlite' : `postgres x${t.instances} (pool ${t.poolSize ?? DEFAULT_POOL_SIZE})`,
    )
    .join(' and ');
  log(
    `Tessera bench (${quick ? 'quick' : 'full'}): store ${stores}, ${cpus().length} cores, Node ${process.version}, concurrency ${concurrency}, ${seconds} s windows`,
  );
  log('ceilings...');
  const signMs = quick ? 300 : 2000;
  const ceilings = {
    bareFastifyPerSecond: await bareFastify(),
    signsPerSecond: {
      RS256: await signaturesPerSecond('RS256', signMs),
      ES256: await signaturesPerSecond('ES256', signMs),
      EdDSA: await signaturesPerSecond('EdDSA', signMs),
    },
  };
  const all: BenchResults[] = [];
  for (const target of targets) {
    const results = await benchStore(target, ceilings);
    const output = values.output ?? defaultOutput(target);
    writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
    log(`\n${resultsTable(results)}\n\nwritten to ${output}\n`);
    all.push(results);
  }
  if (all.length > 1) log(`${comparisonTable(all)}\n`);
  const errors = all.reduce((sum, r) => sum + r.errors, 0);
  if (errors > 0) {
    const first = all
      .flatMap((r) => Object.values(r.runs))
      .map((run) => run.firstError)
      .find((e) => e !== undefined);
    log(`errors: ${errors} (first: ${first})`);
    process.exitCode = 1;
  }
}

// Ctrl-C stops the servers and drops the run's PostgreSQL schema instead of leaving them behind.
// tsx passes the terminal's signal on, so it arrives twice: the repeat is ignored.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping the servers and removing the run's data...`);
    setTimeout(() => process.exit(130), 20_000).unref();
    void disposeAll().finally(() => process.exit(130));
  });
}

try {
  await main();
} finally {
  await disposeAll();
}
