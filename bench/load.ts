import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/** One HTTP client pool to the server under test, with every connection opened before timing starts. */
export class LoadClient {
  readonly pool: Pool;

  constructor(
    readonly origin: string,
    readonly connections: number,
  ) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  /** Opens every connection now, so the timed window measures requests, not `accept`. */
  async warm(path = '/healthz'): Promise<void> {
    await Promise.all(Array.from({ length: this.connections * 2 }, () => this.get(path)));
  }

  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const response = await this.pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.statusCode, body: await response.body.json() };
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    const response = await this.pool.request({ path, method: 'GET', headers });
    return { status: response.statusCode, body: await response.body.json() };
  }

  close(): Promise<void> {
    return this.pool.close();
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
