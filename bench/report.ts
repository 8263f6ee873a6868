import type { GrowthRun, LoginRun } from './login-run.ts';

/** What `npm run bench` writes to its results file (one store, one number of instances). */
export interface BenchResults {
  date: string;
  mode: 'quick' | 'full';
  source: { commit: string; srcHash: string };
  machine: { cores: number; cpu: string; memoryGb: number; node: string };
  settings: {
    store: 'sqlite' | 'postgres';
    instances: number;
    concurrency: number;
    seconds: number;
    offeredRate: number;
    poolSize?: number;
    databaseUrl?: string;
    redisUrl?: string;
  };
  ceilings: { bareFastifyPerSecond: number; signsPerSecond: Record<string, number> };
  runs: { rs256: LoginRun; es256: LoginRun; es256_1m?: LoginRun };
  /** The growth figure, from the two deployments measured in turns. */
  growth?: GrowthRun;
  fractions: Record<string, number>;
  errors: number;
}

/** The figures of one results file as `key  value` lines. */
export function resultsTable(results: BenchResults): string {
  const rows: [string, string][] = [
    ['ceiling: bare Fastify JSON req/s', String(results.ceilings.bareFastifyPerSecond)],
    [
      'ceiling: JWT signs/s RS256 / ES256 / EdDSA',
      Object.values(results.ceilings.signsPerSecond).join(' / '),
    ],
  ];
  const { concurrency } = results.settings;
  for (const run of Object.values(results.runs)) {
    const label = `${run.alg}, ${run.users.toLocaleString('en')} users`;
    rows.push([`${label}: full logins/s (c=${concurrency})`, String(run.logins.perSecond)]);
    rows.push([`${label}: start p50/p95/p99 ms (saturated)`, fmt(run.latency.start)]);
    rows.push([`${label}: token p50/p95/p99 ms (saturated)`, fmt(run.latency.token)]);
    rows.push([`${label}: server CPU ms per login`, String(run.cpuMsPerLogin)]);
    const ms = run.cpu.msPerLogin;
    rows.push([
      `${label}: machine CPU ms per login (busy ${Math.round(run.cpu.machineBusy * 100)} %)`,
      `${ms.machine} = tessera ${ms.tessera} + load ${ms.loadGenerator}` +
        (ms.postgres === undefined ? '' : ` + postgres ${ms.postgres}`) +
        (ms.redis === undefined ? '' : ` + redis ${ms.redis}`) +
        ` + other ${ms.other}`,
    ]);
    if (ms.other > ms.machine / 4)
      rows.push([`${label}: WARNING`, 'other processes were busy during the run: these figures are low']);
    if (run.database) {
      const db = run.database;
      rows.push([
        `${label}: db connections in use mean / max (pool ${db.poolSize} x ${run.instances})`,
        `${db.busy.mean} / ${db.busy.max}, every connection in use ${Math.round(db.poolFullShare * 100)} % of the time`,
      ]);
      rows.push([
        `${label}: db time ms / transactions per login`,
        `${db.busyMsPerLogin} ms (connections in use) / ${db.commitsPerLogin}`,
      ]);
      rows.push([`${label}: db waits`, db.waits.map(([w, share]) => `${w} ${pct(share)}`).join(', ')]);
      for (const [statement, share] of db.statements.slice(0, 3))
        rows.push([`${label}: db statement ${pct(share)}`, statement.slice(0, 100)]);
      if (db.deadlocks > 0) rows.push([`${label}: DEADLOCKS`, String(db.deadlocks)]);
    }
    if (run.fixedRate) {
      rows.push([
        `${label}: at ${run.fixedRate.offered} logins/s offered: achieved`,
        String(run.fixedRate.achieved),
      ]);
      rows.push([`${label}: start p50/p95/p99 ms (fixed rate)`, fmt(run.fixedRate.start)]);
      rows.push([`${label}: token p50/p95/p99 ms (fixed rate)`, fmt(run.fixedRate.token)]);
    }
    if (run.refreshPerSecond !== undefined)
      rows.push([`${label}: refresh grants/s`, String(run.refreshPerSecond)]);
    if (run.userinfoPerSecond !== undefined)
      rows.push([`${label}: /userinfo req/s`, String(run.userinfoPerSecond)]);
    if (run.authorizePerSecond !== undefined)
      rows.push([`${label}: /authorize req/s (to the login page)`, String(run.authorizePerSecond)]);
    rows.push([
      `${label}: server peak RSS MB${run.instances > 1 ? ' (each instance)' : ''}`,
      run.peakRssMbByInstance.join(' / '),
    ]);
    if (run.errors > 0) rows.push([`${label}: ERRORS`, `${run.errors} (first: ${run.firstError})`]);
  }
  const growth = results.growth;
  if (growth) {
    rows.push([
      `growth, in turns (${growth.windows} windows): ES256 logins/s with ${growth.smallUsers.toLocaleString('en')} / ${growth.largeUsers.toLocaleString('en')} users`,
      `${growth.small.perSecond} / ${growth.large.perSecond}`,
    ]);
    if (growth.errors > 0) rows.push(['growth: ERRORS', `${growth.errors} (first: ${growth.firstError})`]);
  }
  for (const [key, value] of Object.entries(results.fractions))
    rows.push([`fraction: ${key}`, String(value)]);
  return align(rows);
}

/**
 * The main figures of several results files side by side, one column each. Files written before
 * PostgreSQL was benchmarked lack some figures; those show as `-`.
 */
export function comparisonTable(all: BenchResults[]): string {
  const header = ['', ...all.map(storeLabel)];
  const figure = (name: string, pick: (r: BenchResults) => string | number | undefined) => [
    name,
    ...all.map((r) => String(pick(r) ?? '-')),
  ];
  const rs = (r: BenchResults) => r.runs.rs256;
  const es = (r: BenchResults) => r.runs.es256;
  const lines = [
    header,
    figure('mode / date', (r) => `${r.mode} ${r.date.slice(0, 16)}`),
    figure('source (commit / src hash)', (r) => r.source && `${r.source.commit} / ${r.source.srcHash}`),
    figure('RS256 logins/s (saturated)', (r) => rs(r).logins.perSecond),
    figure('RS256 logins/s per instance', (r) =>
      Math.round(rs(r).logins.perSecond / (r.settings.instances ?? 1)),
    ),
    figure('RS256 start p50 / p99 ms', (r) => `${rs(r).latency.start.p50} / ${rs(r).latency.start.p99}`),
    figure('RS256 token p50 / p99 ms', (r) => `${rs(r).latency.token.p50} / ${rs(r).latency.token.p99}`),
    figure('RS256 Tessera CPU ms/login', (r) => rs(r).cpuMsPerLogin),
    figure('RS256 PostgreSQL CPU ms/login', (r) => rs(r).cpu?.msPerLogin.postgres),
    figure('RS256 Redis CPU ms/login', (r) => rs(r).cpu?.msPerLogin.redis),
    figure('RS256 machine CPU ms/login', (r) => rs(r).cpu?.msPerLogin.machine),
    figure('RS256 db time ms/login', (r) => rs(r).database?.busyMsPerLogin),
    figure('RS256 db transactions/login', (r) => rs(r).database?.commitsPerLogin),
    figure('RS256 db connections in use (mean/max)', (r) => {
      const db = rs(r).database;
      return db && `${db.busy.mean} / ${db.busy.max} of ${db.poolSize * r.settings.instances}`;
    }),
    figure('fixed rate: achieved of offered', (r) => {
      const f = rs(r).fixedRate;
      return f && `${f.achieved} of ${f.offered}`;
    }),
    figure('fixed rate: token p50 / p99 ms', (r) => {
      const f = rs(r).fixedRate;
      return f && `${f.token.p50} / ${f.token.p99}`;
    }),
    figure('refresh grants/s', (r) => rs(r).refreshPerSecond),
    figure('/userinfo req/s', (r) => rs(r).userinfoPerSecond),
    figure('/authorize req/s', (r) => rs(r).authorizePerSecond),
    figure('ES256 logins/s (saturated)', (r) => es(r).logins.perSecond),
    figure('ES256 Tessera CPU ms/login', (r) => es(r).cpuMsPerLogin),
    figure('peak RSS MB per instance', (r) => (rs(r).peakRssMbByInstance ?? [rs(r).peakRssMb]).join(' / ')),
    figure('growth: 1M users over 10k', (r) => r.fractions.growth1mOver10k),
    figure('errors', (r) => r.errors),
  ];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  return lines
    .map((l) =>
      l
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function storeLabel(results: BenchResults): string {
  const { store, instances } = results.settings;
  return `${store} x${instances ?? 1}`;
}

function align(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

function fmt(s: { p50: number; p95: number; p99: number }): string {
  return `${s.p50} / ${s.p95} / ${s.p99}`;
}

function pct(share: number): string {
  return `${Math.round(share * 100)} %`;
}
