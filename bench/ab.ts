import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BENCH_CALLBACK,
  CLIENT_ID,
  type Deployment,
  deploy,
  disposeAll,
  type StoreTarget,
} from './deployment.ts';
import { closedLoop, LoadClient, round } from './load.ts';
import { loginFlow } from './login-run.ts';

/**
 * `npx tsx bench/ab.ts OTHER_CHECKOUT [--store sqlite|postgres]`: the cost of a change, measured
 * as this machine can measure it. Runs run one after the other differ by ±20 % here, as the
 * machine drifts; so both trees (OTHER_CHECKOUT, built, and this one) run side by side, on fresh
 * data of their own, and take the load in turns (windows A B B A A B B A ...), so that the drift
 * moves both alike. Prints each side's logins/s and Tessera CPU per login, and writes them to
 * bench/results-ab.json.
 */
const USAGE =
  'usage: npx tsx bench/ab.ts OTHER_CHECKOUT [--store sqlite|postgres] [--windows 8] [--seconds 4] [--concurrency 32] [--scenario login|authorize]';

interface Side {
  name: string;
  deployment: Deployment;
  client: LoadClient;
  completed: number;
  cpuSeconds: number;
  windows: number[];
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      store: { type: 'string', default: 'sqlite' },
      windows: { type: 'string', default: '8' },
      seconds: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '32' },
      scenario: { type: 'string', default: 'login' },
      'database-url': {
        type: 'string',
        default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      },
      'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    },
  });
  const other = positionals[0];
  if (
    !other ||
    !['sqlite', 'postgres'].includes(values.store) ||
    !['login', 'authorize'].includes(values.scenario)
  ) {
    console.error(USAGE);
    process.exit(2);
  }
  const concurrency = Number(values.concurrency);
  const seconds = Number(values.seconds);
  const windows = Number(values.windows);
  const target: StoreTarget =
    values.store === 'postgres'
      ? { kind: 'postgres', databaseUrl: values['database-url'], redisUrl: values['redis-url'], instances: 1 }
      : { kind: 'sqlite' };
  const log = (line: string) => console.log(line);
  const [a, b] = await Promise.all([
    deploy(target, 'RS256', 0, log, join(resolve(other), 'bin/tessera.js')),
    deploy(target, 'RS256', 0, log),
  ]);
  const side = (name: string, deployment: Deployment): Side => ({
    name,
    deployment,
    client: new LoadClient(
      deployment.servers.map((s) => s.origin),
      concurrency,
    ),
    completed: 0,
    cpuSeconds: 0,
    windows: [],
  });
  const sides = [side(`A ${resolve(other)}`, a), side(`B ${process.cwd()}`, b)];
  try {
    await Promise.all(sides.map((s) => s.client.warm()));
    const work = sides.map((s, i) =>
      scenario(values.scenario, s.client, `ab${i}-${Date.now().toString(36)}`),
    );
    // A short untimed turn each, so that neither meets its first logins in a timed window.
    for (const [i, _s] of sides.entries())
      await closedLoop(concurrency, 1000, (n) => work[i]?.(`w${n}`) as Promise<void>);
    for (let w = 0; w < windows; w++) {
      const index = [0, 1, 1, 0][w % 4] as number;
      const s = sides[index] as Side;
      const cpu = () => s.deployment.servers.reduce((sum, p) => sum + p.cpuSeconds(), 0);
      const before = cpu();
      const run = await closedLoop(
        concurrency,
        seconds * 1000,
        (n) => work[index]?.(`${w}-${n}`) as Promise<void>,
      );
      if (run.errors > 0) throw new Error(`${s.name}: ${run.errors} errors (first: ${run.firstError})`);
      s.cpuSeconds += cpu() - before;
      s.completed += run.completed;
      s.windows.push(run.perSecond);
    }
  } finally {
    await Promise.all(sides.map((s) => s.client.close()));
    await Promise.all([a.dispose(), b.dispose()]);
  }
  const unit = values.scenario === 'login' ? 'login' : 'request';
  const figures = sides.map((s) => ({
    tree: s.name,
    perSecond: round(median(s.windows)),
    windows: s.windows.map((x) => round(x)),
    cpuMsPer: round((s.cpuSeconds * 1000) / Math.max(1, s.completed), 3),
  }));
  const [fa, fb] = figures as [(typeof figures)[0], (typeof figures)[0]];
  console.log(
    `\n${values.scenario} on ${values.store}, ${windows} windows of ${seconds} s in turns (A B B A ...), c=${concurrency}`,
  );
  for (const f of figures)
    console.log(
      `${f.tree}\n  ${unit}s/s (median) ${f.perSecond}   Tessera CPU ms/${unit} ${f.cpuMsPer}   windows ${f.windows.join(' ')}`,
    );
  console.log(
    `B/A: ${unit}s/s ${round(fb.perSecond / fa.perSecond, 3)}, CPU per ${unit} ${round(fb.cpuMsPer / fa.cpuMsPer, 3)}`,
  );
  const file = join(process.cwd(), 'bench', 'results-ab.json');
  writeFileSync(
    file,
    `${JSON.stringify({ scenario: values.scenario, store: values.store, seconds, windows, concurrency, figures }, null, 2)}\n`,
  );
  console.log(`written to ${file}`);
}

/** One unit of the scenario's work for one side. */
function scenario(name: string, client: LoadClient, tag: string): (id: string) => Promise<void> {
  if (name === 'login') {
    const login = loginFlow(client, tag);
    return (id) => login(id).then(() => undefined);
  }
  return async (id) => {
    const query = new URLSearchParams({
      client_id: CLIENT_ID,
      redirect_uri: BENCH_CALLBACK,
      response_type: 'code',
      scope: 'openid email',
      state: `st-${id}`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const answer = await client.get(`/authorize?${query}`);
    if (answer.status !== 302) throw new Error(`authorize ${answer.status}`);
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

process.on('SIGINT', () => void disposeAll().then(() => process.exit(130)));
main().catch(async (error: unknown) => {
  console.error(error);
  await disposeAll();
  process.exit(1);
});
