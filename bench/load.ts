import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/**
 * HTTP client pools to the servers under test, with every connection opened before timing starts.
 * Given several origins, each request goes to the next one in turn, as a round-robin load balancer
 * would send them: the start, inbox and token requests of one login often land on different
 * instances, which is what several instances sharing one database must cope with.
 */
export class LoadClient {
  readonly pools: Pool[];
  private turn = 0;

  constructor(
    origins: string | string[],
    readonly connections: number,
  ) {
    const list = typeof origins === 'string' ? [origins] : origins;
    if (list.length === 0) throw new Error('LoadClient needs at least one origin');
    this.pools = list.map(
      (origin) => new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 }),
    );
  }

  /** Opens every connection to every origin now, so the timed window measures requests, not `accept`. */
  async warm(path = '/healthz'): Promise<void> {
    await Promise.all(
      this.pools.flatMap((pool) =>
        Array.from({ length: this.connections * 2 }, async () => {
          const response = await pool.request({ path, method: 'GET' });
          await response.body.dump();
        }),
      ),
    );
  }

  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const response = await this.next().request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.statusCode, body: await response.body.json() };
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    const response = await this.next().request({ path, method: 'GET', headers });
    // A redirect has no JSON body to read (its body is drained all the same).
    const json = response.headers['content-type']?.toString().startsWith('application/json');
    return {
      status: response.statusCode,
      body: json ? await response.body.json() : await response.body.text(),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }

  private next(): Pool {
    const pool = this.pools[this.turn % this.pools.length] as Pool;
    this.turn++;
    return pool;
  }
}

export interface Reply {
  status: number;
  body: unknown;
}

/** Latencies of one kind of request, in milliseconds. */
export class Latencies {
  private readonly samples: number[] = [];

  add(ms: number): void {
    this.samples.push(ms);
  }

  /** Times one call and records it. */
  async time<T>(run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.add(performance.now() - started);
    }
  }

  summary(): { count: number; p50: number; p95: number; p99: number; max: number } {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return {
      count: sorted.length,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      max: round(sorted.at(-1) ?? 0),
    };
  }
}

export interface RunResult {
  completed: number;
  errors: number;
  seconds: number;
  perSecond: number;
  firstError?: string;
}

/** Runs `task` from `concurrency` loops until `durationMs` has passed (closed loop: saturation). */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  task: (i: number, loop: number) => Promise<void>,
): Promise<RunResult> {
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (performance.now() < until) {
        try {
          await task(next++, loop);
          completed++;
        } catch (error) {
          errors++;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { completed, errors, seconds, perSecond: round(completed / seconds), firstError };
}

/**
 * Starts `task` at a fixed rate whatever the answers do (open loop), so a slow answer cannot hide
 * the queueing it causes. Bounded by `durationMs` and by `maxInFlight`.
 */
export async function openLoop(
  ratePerSecond: number,
  durationMs: number,
  task: (i: number) => Promise<void>,
  maxInFlight = 2000,
): Promise<RunResult & { dropped: number }> {
  let completed = 0;
  let errors = 0;
  let dropped = 0;
  let inFlight = 0;
  let firstError: string | undefined;
  const running: Promise<void>[] = [];
  const total = Math.round((ratePerSecond * durationMs) / 1000);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight >= maxInFlight) {
      dropped++;
      continue;
    }
    inFlight++;
    running.push(
      task(i)
        .then(() => void completed++)
        .catch((error: Error) => {
          errors++;
          firstError ??= error.message;
        })
        .finally(() => void inFlight--),
    );
  }
  await Promise.all(running);
  const seconds = (performance.now() - started) / 1000;
  return { completed, errors, dropped, seconds, perSecond: round(completed / seconds), firstError };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
