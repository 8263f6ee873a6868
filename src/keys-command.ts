import { ConfigError } from './config/load.ts';
import type { Context } from './core/context.ts';
import type { KeyAlgorithm, KeyInfo } from './core/keys.ts';

export interface KeysCommandOptions {
  json: boolean;
  alg?: string;
  now: boolean;
}

/** `tessera keys list | rotate | retire <kid>`, run against the opened store. */
export async function keysCommand(ctx: Context, args: string[], options: KeysCommandOptions): Promise<void> {
  const [sub = 'list', kid] = args;
  if (sub === 'list') return printKeys(await ctx.keys.list(), options.json);
  if (sub === 'rotate') return rotate(ctx, options);
  if (sub === 'retire') return retire(ctx, kid);
  throw new ConfigError(`keys: unknown command "${sub}" (list, rotate, retire)`);
}

async function rotate(ctx: Context, options: KeysCommandOptions): Promise<void> {
  const algorithms = options.alg === undefined ? undefined : [algorithm(options.alg)];
  const rotations = await ctx.keys.rotate({ algorithms, immediate: options.now });
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        rotations.map((r) => ({ alg: r.alg, key: r.key && shown(r.key) })),
        null,
        2,
      )}\n`,
    );
  } else {
    for (const { alg, key } of rotations) {
      if (!key) continue;
      const when = options.now ? 'now' : `at ${iso(key.activates_at)} (keys.propagation_s from now)`;
      process.stdout.write(`${alg}: new key ${key.kid}, published now, signs ${when}\n`);
    }
    process.stdout.write('\n');
    printKeys(await ctx.keys.list(), false);
  }
  const lost = rotations.filter((r) => !r.key).map((r) => r.alg);
  if (lost.length > 0) {
    throw new ConfigError(
      `keys rotate: another rotation of the ${lost.join(', ')} key landed at the same moment; see tessera keys list`,
    );
  }
}

async function retire(ctx: Context, kid: string | undefined): Promise<void> {
  if (!kid) throw new ConfigError('keys retire: usage: tessera keys retire <kid>');
  const outcome = await ctx.keys.retire(kid);
  const refusals: Record<Exclude<typeof outcome, 'done'>, string> = {
    unknown: `no key has kid ${kid}`,
    current: `${kid} signs now: rotate it out first (tessera keys rotate --now)`,
    next: `${kid} is the next key: rotate again to replace it (retiring it would leave the current key signing past its retirement)`,
    retired: `${kid} is retired already`,
  };
  if (outcome !== 'done') throw new ConfigError(`keys retire: ${refusals[outcome]}`);
  process.stdout.write(
    `${kid} is retired: instances stop publishing it within keys.reload_s, JWKS caches within 5 minutes, ` +
      'and the tokens it signed no longer verify\n',
  );
}

function algorithm(value: string): KeyAlgorithm {
  if (value === 'RS256' || value === 'ES256') return value;
  throw new ConfigError(`keys rotate: --alg must be RS256 or ES256, not "${value}"`);
}

function printKeys(keys: KeyInfo[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(keys.map(shown), null, 2)}\n`);
    return;
  }
  const rows = [
    ['kid', 'alg', 'state', 'created', 'activates', 'retires'],
    ...keys.map((k) => [k.kid, k.alg, k.state, iso(k.created_at), iso(k.activates_at), iso(k.retires_at)]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  for (const row of rows)
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
}

/** What is shown of a key: its times in ISO 8601, never private material (KeyInfo holds none). */
function shown(key: KeyInfo) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    created_at: iso(key.created_at),
    activates_at: iso(key.activates_at),
    retires_at: key.retires_at === null ? null : iso(key.retires_at),
  };
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}
