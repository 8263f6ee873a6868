import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { validateConfig } from '../src/config/load.ts';
import { openTessera } from '../src/tessera.ts';
import { signaturesPerSecond } from './ceilings.ts';
import { closedLoop, Latencies, LoadClient, openLoop, round } from './load.ts';
import { seedUsers } from './seed.ts';
import { ServerProcess } from './server-process.ts';

const OTP_GRANT = 'http://auth0.com/oauth/grant-type/passwordless/otp';
const CLIENT_ID = 'bench-app-0000000001';
const RESULTS = new URL('./results.json', import.meta.url);

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    store: { type: 'string', default: 'sqlite' },
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
if (values.store !== 'sqlite') {
  process.stderr.write(`bench: --store ${values.store} is not available yet; only sqlite is\n`);
  process.exit(2);
}

interface LoginRun {
  alg: string;
  users: number;
  logins: { perSecond: number; completed: number; errors: number; firstError?: string };
  latency: { start: ReturnType<Latencies['summary']>; token: ReturnType<Latencies['summary']> };
  cpuMsPerLogin: number;
  fixedRate?: {
    offered: number;
    achieved: number;
    errors: number;
    start: ReturnType<Latencies['summary']>;
    token: ReturnType<Latencies['summary']>;
  };
  refreshPerSecond?: number;
  userinfoPerSecond?: number;
  peakRssMb: number;
  errors: number;
  firstError?: string;
}

/** A fresh data dir with the bench application and `users` existing users. */
async function prepareData(
  alg: 'RS256' | 'ES256',
  users: number,
): Promise<{ dir: string; configFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const configFile = join(dir, 'tessera.json');
  const config = {
    rate_limits: { start_per_ip_per_hour: 1_000_000_000, start_per_application_per_hour: 1_000_000_000 },
    applications: [
      {
        client_id: CLIENT_ID,
        name: 'Bench',
        callbacks: ['http://localhost:3000/callback'],
        grant_types: [OTP_GRANT, 'refresh_token'],
        id_token_signing_alg: alg,
      },
    ],
  };
  writeFileSync(configFile, JSON.stringify(config));
  const opened = await openTessera(validateConfig({ ...config, data_dir: dir }), {
    logger: pino({ level: 'silent' }),
  });
  await opened.ctx.store.close();
  if (users > 0) {
    const took = seedUsers(dir, users);
    log(`  seeded ${users.toLocaleString('en')} users in ${round(took, 1)} s`);
  }
  return { dir, configFile };
}

async function loginRun(alg: 'RS256' | 'ES256', users: number, extras: boolean): Promise<LoginRun> {
  const { dir, configFile } = await prepareData(alg, users);
  const server = await ServerProcess.tessera({
    TESSERA_DATA_DIR: dir,
    TESSERA_CONFIG: configFile,
    NODE_ENV: 'production',
    TESSERA_DEV_INBOX: 'true',
    LOG_LEVEL: 'warn',
  });
  const client = new LoadClient(server.origin, concurrency);
  const tag = `${alg.toLowerCase()}-${users}-${Date.now().toString(36)}`;
  let errors = 0;
  try {
    await client.warm();
    const startLatency = new Latencies();
    const tokenLatency = new Latencies();
    const login = async (i: number, scope = 'openid email') => {
      const email = `user-${tag}-${i}@bench.example`;
      const started = await startLatency.time(() =>
        client.post('/passwordless/start', {
          client_id: CLIENT_ID,
          connection: 'email',
          email,
          send: 'code',
        }),
      );
      if (started.status !== 200) throw new Error(`start ${started.status} ${JSON.stringify(started.body)}`);
      const inbox = await client.get(`/dev/inbox/messages?to=${encodeURIComponent(email)}&limit=1`);
      const code = (inbox.body as { code: string }[])[0]?.code;
      if (!code) throw new Error('no code in the dev inbox');
      const token = await tokenLatency.time(() =>
        client.post('/oauth/token', {
          grant_type: OTP_GRANT,
          client_id: CLIENT_ID,
          realm: 'email',
          username: email,
          otp: code,
          scope,
        }),
      );
      if (token.status !== 200) throw new Error(`token ${token.status} ${JSON.stringify(token.body)}`);
      return token.body as { access_token: string; refresh_token?: string };
    };

    await closedLoop(concurrency, quick ? 300 : 1500, (i) => login(1_000_000 + i).then(() => undefined));
    const cpuBefore = server.cpuSeconds();
    const saturated = await closedLoop(concurrency, seconds * 1000, (i) => login(i).then(() => undefined));
    const cpuMsPerLogin = round(
      ((server.cpuSeconds() - cpuBefore) * 1000) / Math.max(1, saturated.completed),
      3,
    );
    errors += saturated.errors;
    const result: LoginRun = {
      alg,
      users,
      logins: {
        perSecond: saturated.perSecond,
        completed: saturated.completed,
        errors: saturated.errors,
        firstError: saturated.firstError,
      },
      latency: { start: startLatency.summary(), token: tokenLatency.summary() },
      cpuMsPerLogin,
      peakRssMb: 0,
      errors: 0,
      firstError: saturated.firstError,
    };

    if (extras) {
      const fixedStart = new Latencies();
      const fixedToken = new Latencies();
      const fixedLogin = async (i: number) => {
        const email = `fixed-${tag}-${i}@bench.example`;
        const started = await fixedStart.time(() =>
          client.post('/passwordless/start', {
            client_id: CLIENT_ID,
            connection: 'email',
            email,
            send: 'code',
          }),
        );
        if (started.status !== 200) throw new Error(`start ${started.status}`);
        const inbox = await client.get(`/dev/inbox/messages?to=${encodeURIComponent(email)}&limit=1`);
        const code = (inbox.body as { code: string }[])[0]?.code;
        const token = await fixedToken.time(() =>
          client.post('/oauth/token', {
            grant_type: OTP_GRANT,
            client_id: CLIENT_ID,
            realm: 'email',
            username: email,
            otp: code,
            scope: 'openid email',
          }),
        );
        if (token.status !== 200) throw new Error(`token ${token.status}`);
      };
      const fixed = await openLoop(offeredRate, seconds * 1000, fixedLogin);
      errors += fixed.errors;
      result.firstError ??= fixed.firstError;
      result.fixedRate = {
        offered: offeredRate,
        achieved: fixed.perSecond,
        errors: fixed.errors + fixed.dropped,
        start: fixedStart.summary(),
        token: fixedToken.summary(),
      };

      // Each loop keeps rotating its own refresh token, as a client would.
      const sessions = await Promise.all(
        Array.from({ length: concurrency }, (_, i) => login(2_000_000 + i, 'openid offline_access')),
      );
      const refreshTokens = sessions.map((s) => s.refresh_token as string);
      const refresh = await closedLoop(concurrency, (seconds * 1000) / 2, async (_, slot) => {
        const answer = await client.post('/oauth/token', {
          grant_type: 'refresh_token',
          client_id: CLIENT_ID,
          refresh_token: refreshTokens[slot],
        });
        if (answer.status !== 200) throw new Error(`refresh ${answer.status} ${JSON.stringify(answer.body)}`);
        refreshTokens[slot] = (answer.body as { refresh_token: string }).refresh_token;
      });
      errors += refresh.errors;
      result.firstError ??= refresh.firstError;
      result.refreshPerSecond = refresh.perSecond;

      const bearer = `Bearer ${sessions[0]?.access_token}`;
      const userinfo = await closedLoop(concurrency, (seconds * 1000) / 2, async () => {
        const answer = await client.get('/userinfo', { authorization: bearer });
        if (answer.status !== 200) throw new Error(`userinfo ${answer.status}`);
      });
      errors += userinfo.errors;
      result.firstError ??= userinfo.firstError;
      result.userinfoPerSecond = userinfo.perSecond;
    }
    result.peakRssMb = server.peakRssMb();
    result.errors = errors;
    return result;
  } finally {
    await client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
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

async function main(): Promise<void> {
  const startedAt = new Date();
  log(
    `Tessera bench (${quick ? 'quick' : 'full'}): store ${values.store}, ${cpus().length} cores, Node ${process.version}, concurrency ${concurrency}, ${seconds} s windows`,
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
  const baseUsers = quick ? 1000 : 10_000;
  log('RS256 logins...');
  const rs256 = await loginRun('RS256', baseUsers, true);
  log('ES256 logins...');
  const es256 = await loginRun('ES256', baseUsers, !quick);
  let large: LoginRun | undefined;
  if (growth) {
    log('ES256 logins with 1,000,000 existing users...');
    large = await loginRun('ES256', 1_000_000, false);
  }

  const errors = rs256.errors + es256.errors + (large?.errors ?? 0);
  const firstError = [rs256, es256, large].map((r) => r?.firstError).find((e) => e !== undefined);
  const results = {
    date: startedAt.toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGb: round(totalmem() / 2 ** 30, 1),
      node: process.version,
    },
    settings: { store: values.store, concurrency, seconds, offeredRate },
    ceilings,
    runs: { rs256, es256, ...(large && { es256_1m: large }) },
    fractions: {
      rs256OfSignCeiling: round(rs256.logins.perSecond / ceilings.signsPerSecond.RS256, 3),
      es256OfSignCeiling: round(es256.logins.perSecond / ceilings.signsPerSecond.ES256, 3),
      loginRequestsOfBareFastify: round((rs256.logins.perSecond * 3) / ceilings.bareFastifyPerSecond, 3),
      ...(large && { growth1mOver10k: round(large.logins.perSecond / es256.logins.perSecond, 3) }),
    },
    errors,
  };
  const output = values.output ?? RESULTS.pathname;
  writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results, rs256, es256, large);
  log(`\nwritten to ${output}`);
  if (errors > 0) {
    log(`errors: ${errors} (first: ${firstError})`);
    process.exitCode = 1;
  }
}

function printTable(
  results: {
    ceilings: { bareFastifyPerSecond: number; signsPerSecond: Record<string, number> };
    fractions: Record<string, number>;
  },
  rs256: LoginRun,
  es256: LoginRun,
  large?: LoginRun,
): void {
  const rows: [string, string][] = [
    ['ceiling: bare Fastify JSON req/s', String(results.ceilings.bareFastifyPerSecond)],
    [
      'ceiling: JWT signs/s RS256 / ES256 / EdDSA',
      Object.values(results.ceilings.signsPerSecond).join(' / '),
    ],
  ];
  for (const run of [rs256, es256, large].filter((r): r is LoginRun => r !== undefined)) {
    const label = `${run.alg}, ${run.users.toLocaleString('en')} users`;
    rows.push([`${label}: full logins/s (c=${concurrency})`, String(run.logins.perSecond)]);
    rows.push([`${label}: start p50/p95/p99 ms (saturated)`, fmt(run.latency.start)]);
    rows.push([`${label}: token p50/p95/p99 ms (saturated)`, fmt(run.latency.token)]);
    rows.push([`${label}: server CPU ms per login`, String(run.cpuMsPerLogin)]);
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
    rows.push([`${label}: server peak RSS MB`, String(run.peakRssMb)]);
  }
  for (const [key, value] of Object.entries(results.fractions))
    rows.push([`fraction: ${key}`, String(value)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  log('');
  for (const [key, value] of rows) log(`${key.padEnd(width)}  ${value}`);
}

function fmt(s: { p50: number; p95: number; p99: number }): string {
  return `${s.p50} / ${s.p95} / ${s.p99}`;
}

await main();
