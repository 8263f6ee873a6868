import { performance } from 'node:perf_hooks';
import {
  BENCH_CALLBACK,
  CLIENT_ID,
  DEFAULT_POOL_SIZE,
  type Deployment,
  deploy,
  OTP_GRANT,
  type StoreTarget,
} from './deployment.ts';
import { isLocal, machineCpu, processCpuByName } from './host.ts';
import { closedLoop, Latencies, LoadClient, openLoop, round } from './load.ts';
import { ActivitySampler, type DatabaseActivity } from './postgres.ts';

export interface RunSettings {
  quick: boolean;
  seconds: number;
  concurrency: number;
  offeredRate: number;
  target: StoreTarget;
  log: (line: string) => void;
}

type Summary = ReturnType<Latencies['summary']>;

export interface LoginRun {
  alg: string;
  users: number;
  instances: number;
  /** PostgreSQL only: the schema the run had to itself (dropped after it). */
  schema?: string;
  logins: { perSecond: number; completed: number; errors: number; firstError?: string };
  latency: { start: Summary; token: Summary };
  /** Tessera processes' user + system CPU during the saturated run (all instances), per login. */
  cpuMsPerLogin: number;
  /** Where the machine's CPU went during the saturated run, in ms per login (services only when local). */
  cpu: {
    machineBusy: number;
    msPerLogin: {
      machine: number;
      tessera: number;
      loadGenerator: number;
      postgres?: number;
      redis?: number;
      /** The rest of the machine: the kernel's network work, and whatever else ran (a busy machine). */
      other: number;
    };
  };
  /** PostgreSQL only: what the servers' connections did during the saturated run. */
  database?: DatabaseActivity & { busyMsPerLogin: number; commitsPerLogin: number; poolSize: number };
  fixedRate?: { offered: number; achieved: number; errors: number; start: Summary; token: Summary };
  refreshPerSecond?: number;
  userinfoPerSecond?: number;
  /** GET /authorize answered with the hosted login page's redirect (a browser arriving to log in). */
  authorizePerSecond?: number;
  /** The highest of the instances' peak resident memory, and each one's. */
  peakRssMb: number;
  peakRssMbByInstance: number[];
  errors: number;
  firstError?: string;
}

/**
 * One login run on fresh data: saturated logins (closed loop), then, with `extras`, logins at a
 * fixed offered rate (open loop), refresh-token rotation and /userinfo.
 */
export async function loginRun(
  settings: RunSettings,
  alg: 'RS256' | 'ES256',
  users: number,
  extras: boolean,
): Promise<LoginRun> {
  const { concurrency, seconds, quick, target } = settings;
  const deployment = await deploy(target, alg, users, settings.log);
  const { servers } = deployment;
  const client = new LoadClient(
    servers.map((s) => s.origin),
    concurrency,
  );
  const tag = `${alg.toLowerCase()}-${users}-${Date.now().toString(36)}`;
  let errors = 0;
  try {
    await client.warm();
    const login = loginFlow(client, tag);
    const startLatency = new Latencies();
    const tokenLatency = new Latencies();
    await closedLoop(concurrency, quick ? 300 : 1500, (i) => login(`w${i}`).then(() => undefined));

    const meter = await Meter.start(target, deployment);
    const saturated = await closedLoop(concurrency, seconds * 1000, (i) =>
      login(`s${i}`, 'openid email', startLatency, tokenLatency).then(() => undefined),
    );
    const measured = await meter.stop(saturated.completed);
    errors += saturated.errors;
    const result: LoginRun = {
      alg,
      users,
      instances: servers.length,
      ...(deployment.schema !== undefined && { schema: deployment.schema }),
      logins: {
        perSecond: saturated.perSecond,
        completed: saturated.completed,
        errors: saturated.errors,
        firstError: saturated.firstError,
      },
      latency: { start: startLatency.summary(), token: tokenLatency.summary() },
      ...measured,
      peakRssMb: 0,
      peakRssMbByInstance: [],
      errors: 0,
      firstError: saturated.firstError,
    };

    if (extras) {
      const fixedStart = new Latencies();
      const fixedToken = new Latencies();
      const fixed = await openLoop(settings.offeredRate, seconds * 1000, (i) =>
        login(`f${i}`, 'openid email', fixedStart, fixedToken).then(() => undefined),
      );
      errors += fixed.errors;
      result.firstError ??= fixed.firstError;
      result.fixedRate = {
        offered: settings.offeredRate,
        achieved: fixed.perSecond,
        errors: fixed.errors + fixed.dropped,
        start: fixedStart.summary(),
        token: fixedToken.summary(),
      };

      // Each loop keeps rotating its own refresh token, as a client would.
      const sessions = await Promise.all(
        Array.from({ length: concurrency }, (_, i) => login(`r${i}`, 'openid offline_access')),
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

      // A browser arriving to log in: the authorize request of a SPA (code flow with PKCE), each
      // with its own state, answered with the redirect to the hosted login page.
      const authorize = await closedLoop(concurrency, (seconds * 1000) / 2, async (i) => {
        const query = new URLSearchParams({
          client_id: CLIENT_ID,
          redirect_uri: BENCH_CALLBACK,
          response_type: 'code',
          scope: 'openid email',
          state: `st-${i}`,
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        });
        const answer = await client.get(`/authorize?${query}`);
        if (answer.status !== 302) throw new Error(`authorize ${answer.status}`);
      });
      errors += authorize.errors;
      result.firstError ??= authorize.firstError;
      result.authorizePerSecond = authorize.perSecond;
    }
    result.peakRssMbByInstance = servers.map((s) => s.peakRssMb());
    result.peakRssMb = Math.max(...result.peakRssMbByInstance);
    result.errors = errors;
    return result;
  } finally {
    await client.close();
    await deployment.dispose();
  }
}

/** The growth figure: logins/s with `smallUsers` and with `largeUsers` existing users, measured in turns. */
export interface GrowthRun {
  smallUsers: number;
  largeUsers: number;
  /** Timed windows on each deployment, taken in turns: small, large, large, small, small, large... */
  windows: number;
  small: { perSecond: number; completed: number };
  large: { perSecond: number; completed: number };
  /** large over small: 1 means existing users cost nothing. */
  ratio: number;
  errors: number;
  firstError?: string;
}

/**
 * The same ES256 login run against two deployments up side by side, one with `smallUsers` and one
 * with `largeUsers` existing users, in short windows taken in turns (ABBA...), so that a machine
 * whose speed drifts during the bench (shared machines do, by 20 % or more) moves both alike.
 */
export async function growthRun(
  settings: RunSettings,
  smallUsers: number,
  largeUsers: number,
  windows = 8,
): Promise<GrowthRun> {
  const small = await deploy(settings.target, 'ES256', smallUsers, settings.log);
  let large: Deployment | undefined;
  const clients: LoadClient[] = [];
  try {
    large = await deploy(settings.target, 'ES256', largeUsers, settings.log);
    const sides = [small, large].map((deployment, i) => {
      const client = new LoadClient(
        deployment.servers.map((s) => s.origin),
        settings.concurrency,
      );
      clients.push(client);
      return {
        client,
        login: loginFlow(client, `growth${i}-${Date.now().toString(36)}`),
        completed: 0,
        seconds: 0,
      };
    });
    let errors = 0;
    let firstError: string | undefined;
    for (const side of sides) {
      await side.client.warm();
      await closedLoop(settings.concurrency, 1000, (i) => side.login(`w${i}`).then(() => undefined));
    }
    const windowMs = Math.max(500, (settings.seconds * 1000) / 2);
    for (let w = 0; w < windows; w++) {
      // small, large, large, small, ...: a steady drift favours neither.
      const side = sides[Math.floor((w + 1) / 2) % 2] as (typeof sides)[number];
      const result = await closedLoop(settings.concurrency, windowMs, (i) =>
        side.login(`g${w}-${i}`).then(() => undefined),
      );
      side.completed += result.completed;
      side.seconds += result.seconds;
      errors += result.errors;
      firstError ??= result.firstError;
    }
    const [a, b] = sides.map((side) => ({
      perSecond: round(side.completed / Math.max(0.001, side.seconds)),
      completed: side.completed,
    })) as [GrowthRun['small'], GrowthRun['large']];
    return {
      smallUsers,
      largeUsers,
      windows,
      small: a,
      large: b,
      ratio: round(b.perSecond / Math.max(0.001, a.perSecond), 3),
      errors,
      ...(firstError !== undefined && { firstError }),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([small.dispose(), large?.dispose()]);
  }
}

/**
 * One login as a client makes it: start, read the code from the dev inbox, exchange it. Each login
 * is a new user (so also a sign-up). Every request may go to a different instance.
 */
export function loginFlow(client: LoadClient, tag: string) {
  return async (
    id: string,
    scope = 'openid email',
    startLatency?: Latencies,
    tokenLatency?: Latencies,
  ): Promise<{ access_token: string; refresh_token?: string }> => {
    const email = `user-${tag}-${id}@bench.example`;
    const start = () =>
      client.post('/passwordless/start', { client_id: CLIENT_ID, connection: 'email', email, send: 'code' });
    const started = await (startLatency ? startLatency.time(start) : start());
    if (started.status !== 200) throw new Error(`start ${started.status} ${JSON.stringify(started.body)}`);
    const inbox = await client.get(`/dev/inbox/messages?to=${encodeURIComponent(email)}&limit=1`);
    const code = (inbox.body as { code: string }[])[0]?.code;
    if (!code) throw new Error(`no code in the dev inbox (${inbox.status})`);
    const exchange = () =>
      client.post('/oauth/token', {
        grant_type: OTP_GRANT,
        client_id: CLIENT_ID,
        realm: 'email',
        username: email,
        otp: code,
        scope,
      });
    const token = await (tokenLatency ? tokenLatency.time(exchange) : exchange());
    if (token.status !== 200) throw new Error(`token ${token.status} ${JSON.stringify(token.body)}`);
    return token.body as { access_token: string; refresh_token?: string };
  };
}

/** CPU of everything on the machine, and the database's activity, over the saturated window. */
class Meter {
  private readonly startedAt = performance.now();

  private constructor(
    private readonly deployment: Deployment,
    private readonly local: LocalServices,
    private readonly before: CpuReading,
    private readonly sampler: ActivitySampler | undefined,
    private readonly poolSize: number,
  ) {}

  static async start(target: StoreTarget, deployment: Deployment): Promise<Meter> {
    const local = {
      postgres: target.kind === 'postgres' && isLocal(target.databaseUrl),
      redis: target.kind === 'postgres' && isLocal(target.redisUrl),
    };
    const poolSize = target.kind === 'postgres' ? (target.poolSize ?? DEFAULT_POOL_SIZE) : 0;
    const sampler =
      target.kind === 'postgres' && deployment.schema !== undefined
        ? await ActivitySampler.start(
            target.databaseUrl,
            deployment.schema,
            deployment.servers.map((s) => s.pid),
            poolSize,
          )
        : undefined;
    return new Meter(deployment, local, readCpu(deployment, local), sampler, poolSize);
  }

  async stop(logins: number): Promise<Pick<LoginRun, 'cpuMsPerLogin' | 'cpu' | 'database'>> {
    const after = readCpu(this.deployment, this.local);
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const activity = await this.sampler?.stop();
    const perLogin = (seconds: number) => round((seconds * 1000) / Math.max(1, logins), 3);
    const machine = after.machine.busy - this.before.machine.busy;
    const tessera = perLogin(after.tessera - this.before.tessera);
    const loadGenerator = perLogin(after.loadGenerator - this.before.loadGenerator);
    const postgres = this.local.postgres ? perLogin(after.postgres - this.before.postgres) : undefined;
    const redis = this.local.redis ? perLogin(after.redis - this.before.redis) : undefined;
    const machineMs = perLogin(machine);
    return {
      cpuMsPerLogin: tessera,
      cpu: {
        machineBusy: round(machine / Math.max(0.001, after.machine.total - this.before.machine.total), 3),
        msPerLogin: {
          machine: machineMs,
          tessera,
          loadGenerator,
          ...(postgres !== undefined && { postgres }),
          ...(redis !== undefined && { redis }),
          other: round(machineMs - tessera - loadGenerator - (postgres ?? 0) - (redis ?? 0), 3),
        },
      },
      // Little's law: connections in use on average, times the window, over the logins, is the
      // database time (queries and transactions, as the pool sees them) one login holds.
      ...(activity && {
        database: {
          ...activity,
          busyMsPerLogin: perLogin(activity.busy.mean * elapsed),
          commitsPerLogin: round(activity.commits / Math.max(1, logins), 1),
          poolSize: this.poolSize,
        },
      }),
    };
  }
}

interface LocalServices {
  postgres: boolean;
  redis: boolean;
}

type CpuReading = ReturnType<typeof readCpu>;

function readCpu(deployment: Deployment, local: LocalServices) {
  const own = process.cpuUsage();
  return {
    machine: machineCpu(),
    tessera: deployment.servers.reduce((sum, s) => sum + s.cpuSeconds(), 0),
    loadGenerator: (own.user + own.system) / 1e6,
    postgres: local.postgres ? processCpuByName('postgres') : 0,
    redis: local.redis ? processCpuByName('redis-server') : 0,
  };
}
