import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.ts';
import { type Config, PASSWORDLESS_OTP_GRANT } from './config/schema.ts';
import { sendTestMessage } from './core/connection-test.ts';
import { AuthError } from './core/errors.ts';
import { CLI_CLIENT_ID, issueManagementToken } from './core/management-tokens.ts';
import { MasterKeyError } from './core/secret-box.ts';
import { templateReport } from './delivery/message.ts';
import { tuneHeap } from './heap-tuning.ts';
import { createLogger } from './http/logger.ts';
import { keysCommand } from './keys-command.ts';
import { closeOnSignals, keepRunningThroughDatabaseFaults, startServer } from './server.ts';
import { closeTessera, openStore, openTessera } from './tessera.ts';

const USAGE = `Usage: tessera <command> [options]

Commands:
  start                         run the server (PORT, TESSERA_DATA_DIR, TESSERA_CONFIG, TESSERA_ISSUER)
  migrate                       bring the database (SQLite, or PostgreSQL at DATABASE_URL) up to date
  clients list [--json]         list the applications
  token --scopes a,b [--ttl s]  print a Management API token for operators
  keys list [--json]            the signing keys: kid, algorithm, state and times
  keys rotate [--alg RS256|ES256] [--now]
                                publish a new signing key; it signs after keys.propagation_s
                                (--now: at once, for a compromised key)
  keys retire <kid>             stop publishing a previous key now (after rotate --now)
  connections test <name> --to <email or +phone> [--language xx]
                                send a sample message through the connection's providers
  help                          show this text

Options:
  --config <file>               YAML or JSON configuration (default: $TESSERA_CONFIG)
`;

/** Applies the schema migrations and exits; `start` does the same, so this is for operators who migrate first. */
async function migrate(config: Config): Promise<void> {
  const store = await openStore(config);
  try {
    const applied = await store.migrate();
    process.stdout.write(
      applied.length === 0 ? 'The database is up to date.\n' : `Applied: ${applied.join(', ')}\n`,
    );
  } finally {
    await store.close();
  }
}

/**
 * A kid is a base64url thumbprint and may begin with `-` (one in 64 does), which the argument
 * parser would take for an option: the word after `keys retire` is the kid, whatever it looks like.
 */
export function kidAsPositional(argv: string[]): string[] {
  const at = argv.findIndex((arg, i) => arg === 'retire' && argv[i - 1] === 'keys');
  const kid = at < 0 ? undefined : argv[at + 1];
  if (kid === undefined || !kid.startsWith('-') || kid.startsWith('--')) return argv;
  return [...argv.slice(0, at + 1), ...argv.slice(at + 2), '--', kid];
}

/** Entry point of `tessera` and `npm start`. */
export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: kidAsPositional(argv),
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      scopes: { type: 'string' },
      ttl: { type: 'string' },
      to: { type: 'string' },
      language: { type: 'string' },
      alg: { type: 'string' },
      now: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command = 'help', sub] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  try {
    const config = loadConfig({ file: values.config });
    if (command === 'start') return await start(config);
    if (command === 'migrate') return await migrate(config);
    if (command === 'clients' && (sub === 'list' || sub === undefined))
      return await listClients(config, values.json);
    if (command === 'token') return await printToken(config, values.scopes, values.ttl);
    if (command === 'keys')
      return await withTessera(config, ({ ctx }) => keysCommand(ctx, positionals.slice(1), values));
    if (command === 'connections' && sub === 'test') {
      return await testConnection(config, positionals[2], values.to, values.language);
    }
    process.stderr.write(`unknown command: ${positionals.join(' ')}\n\n${USAGE}`);
    process.exitCode = 2;
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof MasterKeyError)) throw error;
    process.stderr.write(`tessera: ${error.message}\n`);
    process.exitCode = 1;
  }
}

/** Where the data lives, for the banner: never with the URL's password. */
function describeStore(config: Config): string {
  if (config.database_url === undefined) return `SQLite, ${config.data_dir}/tessera.db`;
  const schema = config.database_schema ? `, schema ${config.database_schema}` : '';
  return `PostgreSQL at ${withoutCredentials(config.database_url)}${schema}`;
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

async function start(config: Config): Promise<void> {
  tuneHeap();
  const server = await startServer(config);
  // Signals and faults are handled first: the banner below reads the database, which may be
  // going away at this very moment, and a running server must not end for want of a banner.
  closeOnSignals(server);
  keepRunningThroughDatabaseFaults(server.app.log);
  try {
    await announce(server, config);
  } catch (error) {
    server.app.log.warn({ err: error }, 'the start banner could not read the store; the server runs');
  }
}

/** The start banner, and what an operator should know of the connections before the first login. */
async function announce(server: Awaited<ReturnType<typeof startServer>>, config: Config): Promise<void> {
  const { ctx } = server;
  const apps = await ctx.store.listApplications();
  const app =
    server.createdApplication ??
    apps.find((a) => a.name === 'Default App') ??
    apps.find((a) => a.grant_types.includes(PASSWORDLESS_OTP_GRANT)) ??
    apps[0];
  const base = ctx.config.issuer;
  const lines = [
    '',
    `Tessera is listening on ${server.url} (issuer ${base})`,
    app ? `  ${app.name} client_id: ${app.client_id}` : '  no application configured',
    `  discovery:  ${base}.well-known/openid-configuration`,
    server.devInbox
      ? `  dev inbox:  ${base}dev/inbox  (codes and links also appear in this log)`
      : '  dev inbox:  off',
    `  data:       ${describeStore(config)}`,
    `  limits:     ${config.redis_url ? `Redis at ${withoutCredentials(config.redis_url)}` : 'counted in this process'}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const connections = await ctx.store.listConnections();
  for (const connection of connections) {
    // What one login SMS costs, per language, so operators see it before the bill does.
    const { sms } = templateReport(connection, { applicationName: app?.name });
    if (sms.length > 0) {
      const lengths = sms.map(({ language, encoding, segments, characters }) => ({
        language,
        encoding,
        segments,
        characters,
      }));
      server.app.log.info({ connection: connection.name, sms: lengths }, 'sms template length');
    }
  }
  const unsent = connections.filter((c) => c.options.provider === 'dev_inbox');
  if (!server.devInbox && unsent.length > 0) {
    server.app.log.warn(
      { connections: unsent.map((c) => c.name) },
      'these connections deliver through the dev inbox, which is off in production: their logins fail until a provider is configured (or TESSERA_DEV_INBOX=true)',
    );
  }
}

async function withTessera<T>(
  config: Config,
  run: (opened: Awaited<ReturnType<typeof openTessera>>) => Promise<T>,
) {
  const opened = await openTessera(config, { logger: createLogger('warn'), applyConfig: 'first-use' });
  try {
    return await run(opened);
  } finally {
    await closeTessera(opened.ctx);
  }
}

async function listClients(config: Config, json: boolean): Promise<void> {
  await withTessera(config, async ({ ctx }) => {
    const apps = (await ctx.store.listApplications()).map(({ client_secret, ...app }) => ({
      ...app,
      ...(client_secret !== undefined && { client_secret }),
    }));
    if (json) {
      process.stdout.write(`${JSON.stringify(apps, null, 2)}\n`);
      return;
    }
    for (const app of apps) process.stdout.write(`${app.client_id}  ${app.name}  (${app.app_type})\n`);
  });
}

async function printToken(
  config: Config,
  scopes: string | undefined,
  ttl: string | undefined,
): Promise<void> {
  if (!scopes) throw new ConfigError('token: --scopes is required, e.g. --scopes read:users,create:users');
  const lifetime = ttl === undefined ? 3600 : Number(ttl);
  if (!Number.isInteger(lifetime) || lifetime < 60)
    throw new ConfigError('token: --ttl must be a whole number of seconds >= 60');
  await withTessera(config, async ({ ctx }) => {
    const list = scopes.split(/[ ,]+/).filter((s) => s.length > 0);
    process.stdout.write(
      `${await issueManagementToken(ctx, `${CLI_CLIENT_ID}@clients`, CLI_CLIENT_ID, list, lifetime)}\n`,
    );
  });
}

async function testConnection(
  config: Config,
  name: string | undefined,
  to: string | undefined,
  language: string | undefined,
): Promise<void> {
  if (!name || !to)
    throw new ConfigError('connections test: usage: tessera connections test <name> --to <address>');
  const opened = await openTessera(config, { logger: createLogger('info'), applyConfig: 'first-use' });
  try {
    const sent = await sendTestMessage(opened.ctx, name, to, language ?? null);
    process.stdout.write(
      `sent a sample message to ${sent.to} through connection "${sent.connection}" (${sent.provider})\n`,
    );
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    process.stderr.write(`tessera: ${error.error}: ${error.description}\n`);
    process.exitCode = 1;
  } finally {
    await opened.outbox.stop();
    await closeTessera(opened.ctx);
  }
}
