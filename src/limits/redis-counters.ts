import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Counters } from '../core/ports/counters.ts';
import { LimiterCounters } from './counters.ts';
import { MemoryHolds } from './holds.ts';
import { memoryLimiter } from './memory-limiter.ts';

export interface CountersLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface RedisCountersOptions {
  logger: CountersLogger;
  /** Told true when Redis becomes unreachable (counting falls back to this instance), false when back. */
  onDegraded?: (degraded: boolean) => void;
  /** Milliseconds a Redis call may take before this instance counts on its own (default 100). */
  timeoutMs?: number;
  /** Prefix of every key (default `tessera:`). */
  prefix?: string;
}

/** Sets a hold's time unless a later one is stored, in one step (two instances may hold at once). */
const HOLD_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 0`;

type HoldingRedis = Redis & {
  holdUntil(key: string, until: string, ttlS: string): Promise<number>;
};

/**
 * Rate limits, budgets and holds kept in Redis, so every instance shares them (rate-limiter-flexible's
 * atomic Redis counters). When Redis cannot be reached the count goes on in this instance's memory
 * (the library's insurance limiter; for holds, a memory store of the same kind): limits still hold
 * per instance, requests are never refused for Redis's sake, and a warning is logged and
 * `tessera_counters_degraded` set until Redis is back. The attempt limit on codes does not depend
 * on this: it is kept in the database with the code.
 */
export class RedisCounters extends LimiterCounters implements Counters {
  private readonly insuranceHolds = new MemoryHolds();
  private degraded = false;

  private constructor(
    readonly redis: Redis,
    private readonly options: RedisCountersOptions,
  ) {
    super();
    redis.on('ready', () => this.setDegraded(false, undefined));
    redis.on('error', (error: Error) => this.setDegraded(true, error));
    redis.on('end', () => this.setDegraded(true, undefined));
    redis.defineCommand('holdUntil', { numberOfKeys: 1, lua: HOLD_SCRIPT });
  }

  /** Connects to `url`; an unreachable Redis does not fail the start (counting is per instance until it answers). */
  static open(url: string, options: RedisCountersOptions): RedisCounters {
    const timeoutMs = options.timeoutMs ?? 100;
    const redis = new Redis(url, {
      commandTimeout: timeoutMs,
      // A Redis that takes the connection and then says nothing (hung, or a black-holed network):
      // once a command has waited this long the connection is dropped and made again, and until
      // it is ready every call goes straight to the insurance (enableOfflineQueue: false, and
      // rejectIfRedisNotReady), so a hung Redis costs one call its timeout, not every login.
      socketTimeout: timeoutMs,
      // A command is refused at once while disconnected, instead of queued: the insurance answers.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // Keeps reconnecting, at most every 2 s, for as long as the process runs.
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
      keyPrefix: options.prefix ?? 'tessera:',
    });
    return new RedisCounters(redis, options);
  }

  /**
   * Waits up to `ms` for the first connection, so that an instance does not begin by counting on
   * its own; past that it goes on (degraded) and keeps trying in the background.
   */
  async connected(ms: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.setDegraded(true, new Error(`no connection within ${ms} ms`));
        done();
      }, ms);
      this.redis.once('ready', done);
    });
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  async hold(bucket: string, key: string, until: number, ttlS: number): Promise<void> {
    // Kept in memory too, so that a hold made here survives Redis going away.
    this.insuranceHolds.hold(bucket, key, until, ttlS);
    try {
      await (this.redis as HoldingRedis).holdUntil(
        holdKey(bucket, key),
        String(Math.ceil(until)),
        String(Math.ceil(ttlS)),
      );
    } catch {
      // Redis is away: the hold stands in this instance's memory (the degraded warning says so).
    }
  }

  async heldUntil(bucket: string, key: string): Promise<number> {
    const local = this.insuranceHolds.heldUntil(bucket, key);
    try {
      const stored = await this.redis.get(holdKey(bucket, key));
      return Math.max(local, stored === null ? 0 : Number(stored));
    } catch {
      return local;
    }
  }

  async ping(): Promise<void> {
    if (this.redis.status !== 'ready') throw new Error(`redis is ${this.redis.status}`);
    await this.redis.ping();
  }

  async close(): Promise<void> {
    this.redis.removeAllListeners('end');
    this.redis.disconnect();
  }

  protected makeLimiter(name: string, points: number, durationS: number): RateLimiterAbstract {
    return new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: name,
      points,
      duration: durationS,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memoryLimiter(name, points, durationS),
    });
  }

  private setDegraded(degraded: boolean, error: Error | undefined): void {
    if (degraded === this.degraded) return;
    this.degraded = degraded;
    this.options.onDegraded?.(degraded);
    if (degraded)
      this.options.logger.warn(
        { err: error?.message },
        'Redis is unreachable: rate limits are counted per instance until it is back',
      );
    else this.options.logger.info({}, 'Redis is reachable again: rate limits are shared');
  }
}

function holdKey(bucket: string, key: string): string {
  return `hold:${bucket}:${key}`;
}
