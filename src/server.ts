import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config/schema.ts';
import type { Context } from './core/context.ts';
import { purgeExpired } from './core/housekeeping.ts';
import type { Application } from './core/model.ts';
import type { Clock, Random } from './core/sources.ts';
import { type App, buildApp } from './http/app.ts';
import { createLogger } from './http/logger.ts';
import { buildStartingApp } from './http/starting-app.ts';
import { FailureStreak } from './store/failure-streak.ts';
import { describeFault, isDatabaseUnavailable } from './store/unavailable.ts';
import { closeTessera, type Opened, type OpenOptions, openTessera } from './tessera.ts';

/** How often expired rows are purged. */
const HOUSEKEEPING_MS = 60_000;

/** A start that has not reached the database after this long shows the starting app meanwhile. */
const SLOW_START_MS = 2000;

export interface ServerOptions {
  clock?: Clock;
  random?: Random;
  logger?: FastifyBaseLogger;
}

export interface RunningServer {
  app: App;
  ctx: Context;
  /** Where it listens, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The application created on this start (first start only). */
  createdApplication: Application | null;
  devInbox: boolean;
  /**
   * Stops: /readyz answers 503 at once (for `shutdown.drain_ms`), then no new connection is taken,
   * requests under way finish, then the outbox's sends, then the store closes.
   */
  close(): Promise<void>;
}

/** Opens the store, builds the app and listens on the configured host and port. */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const pretty = config.environment === 'development' && process.stdout.isTTY === true;
  const logger = options.logger ?? createLogger(config.log_level, pretty);
  const { opened, port: listenPort } = await openWhenReachable(config, { ...options, logger });
  const { ctx, seed, devInbox, outbox, tenantLog } = opened;
  let stopping = false;
  const app = await buildApp({ ctx, devInbox, logger, stopping: () => stopping });
  try {
    await app.listen({ port: listenPort, host: config.host });
  } catch (error) {
    await app.close();
    await closeTessera(ctx);
    throw error;
  }
  outbox.start();
  tenantLog.start();
  const housekeeping = startHousekeeping(ctx, logger);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closing: Promise<void> | undefined;
  const close = async () => {
    stopping = true;
    if (config.shutdown.drain_ms > 0) await sleep(config.shutdown.drain_ms);
    // Requests under way finish first (they may be waiting on a send), then the outbox's sends.
    await app.close();
    await outbox.stop();
    await housekeeping.stop();
    // Last before the store closes: what the requests and sends above logged is written.
    await tenantLog.stop();
    await closeTessera(ctx);
  };
  return {
    app,
    ctx,
    url: `${config.tls ? 'https' : 'http'}://${host}:${port}`,
    createdApplication: seed.createdApplication,
    devInbox,
    close() {
      closing ??= close();
      return closing;
    },
  };
}

/**
 * Closes the server on SIGTERM or SIGINT and exits: 0 once everything under way has finished, 1 if
 * that fails or takes longer than `shutdown.timeout_ms`. A second signal ends the process at once.
 */
export function closeOnSignals(server: RunningServer): void {
  const log = server.app.log;
  const stop = (signal: NodeJS.Signals) => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    log.info({ signal }, 'shutting down');
    const timeoutMs = server.ctx.config.shutdown.timeout_ms;
    setTimeout(() => {
      log.error({ timeout_ms: timeoutMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, timeoutMs);
    server.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * The last guard: a database fault some code path left unhandled (a bug) is logged and the process
 * goes on, instead of every instance ending at once with its database. Any other unhandled
 * rejection still ends the process, as Node's default does.
 */
export function keepRunningThroughDatabaseFaults(log: FastifyBaseLogger): void {
  process.on('unhandledRejection', databaseFaultsLogged(log));
}

/** The handler keepRunningThroughDatabaseFaults installs. */
export function databaseFaultsLogged(log: {
  error(details: object, message: string): void;
}): (reason: unknown) => void {
  return (reason) => {
    if (!isDatabaseUnavailable(reason)) throw reason;
    log.error(
      { ...describeFault(reason), err: reason },
      'a database fault was left unhandled (a bug: please report it); the process goes on',
    );
  };
}

/**
 * openTessera, tried again while the database cannot be reached (down, restarting, refusing), with
 * a growing wait (up to 5 s) for up to `database_start_wait_s`; meanwhile the starting app answers
 * on the port (alive, not ready). Any other error (a wrong password, a wrong master key) ends the
 * start at once. Returns what was opened and the port to listen on (the starting app's, when it
 * was given port 0).
 */
async function openWhenReachable(
  config: Config,
  options: OpenOptions & { logger: FastifyBaseLogger },
): Promise<{ opened: Opened; port: number }> {
  const { logger } = options;
  const deadline = Date.now() + config.database_start_wait_s * 1000;
  const attempts = new FailureStreak('start: opening the database', logger, 250, 5000);
  let starting: ReturnType<typeof buildStartingApp> | undefined;
  let port = config.port;
  let listening: Promise<void> | undefined;
  const showStarting = () => {
    listening ??= (async () => {
      starting = buildStartingApp(config, logger);
      await starting.listen({ port: config.port, host: config.host });
      const address = starting.server.address();
      if (typeof address === 'object' && address) port = address.port;
    })().catch((error: unknown) => logger.warn({ err: error }, 'the starting app could not listen'));
    return listening;
  };
  const slow = setTimeout(showStarting, SLOW_START_MS);
  const stopStarting = async () => {
    clearTimeout(slow);
    await listening;
    const app = starting;
    starting = undefined;
    await app?.close();
  };
  try {
    for (;;) {
      try {
        const opened = await openTessera(config, options);
        attempts.succeeded();
        // The port the starting app was given (port 0 picks one) is known once it listens.
        await stopStarting();
        return { opened, port };
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        const wait = attempts.failed(error);
        if (Date.now() + wait > deadline) {
          logger.error(
            { ...describeFault(error), database_start_wait_s: config.database_start_wait_s },
            'the database could not be reached in database_start_wait_s: giving up',
          );
          throw error;
        }
        await showStarting();
        await sleep(wait);
      }
    }
  } finally {
    await stopStarting();
  }
}

/** Purges expired rows every minute (never two runs at once); the timer keeps no process alive. */
function startHousekeeping(ctx: Context, logger: FastifyBaseLogger): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  // Once a minute already: the backoff is the interval itself; the streak keeps the log to two lines.
  const purges = new FailureStreak(
    'housekeeping: purging expired rows',
    logger,
    HOUSEKEEPING_MS,
    HOUSEKEEPING_MS,
  );
  const timer = setInterval(() => {
    if (running) return;
    running = purgeExpired(ctx)
      .then(
        (counts) => {
          purges.succeeded();
          if (Object.values(counts).some((n) => n > 0))
            logger.debug({ deleted: counts }, 'purged expired rows');
        },
        (error: unknown) => void purges.failed(error),
      )
      .finally(() => {
        running = undefined;
      });
  }, HOUSEKEEPING_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
