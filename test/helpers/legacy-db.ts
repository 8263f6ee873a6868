import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { Kysely, type Migration, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from '../../src/store/migrations/index.ts';

/** What a database made before sealing held in the clear. */
export interface LegacySecrets {
  kid: string;
  privateJwk: JWK;
  privateKey: CryptoKey;
  codeHmacKey: string;
  accessTokenKey: string;
}

/**
 * Writes `tessera.db` in `dataDir` as Tessera 0.1 left it: the schema up to `upTo` (the last
 * migration before key rotation by default), an RS256 key with its private JWK in plain JSON and
 * the server secrets in plain base64url.
 */
export async function makeLegacyDatabase(
  dataDir: string,
  upTo = '0004_housekeeping',
): Promise<LegacySecrets> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(join(dataDir, 'tessera.db'));
  sqlite.pragma('journal_mode = WAL');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  const all = await migrationProvider.getMigrations();
  const older: Record<string, Migration> = Object.fromEntries(
    Object.entries(all).filter(([name]) => name <= upTo),
  );
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => older },
  }).migrateToLatest();
  if (error) throw error;

  const { privateKey, publicKey } = await generateKeyPair('RS256', {
    extractable: true,
    modulusLength: 2048,
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  const made = Date.now() - 86_400_000;
  sqlite
    .prepare(
      'insert into signing_keys (kid, alg, private_jwk, public_jwk, created_at) values (?, ?, ?, ?, ?)',
    )
    .run(
      kid,
      'RS256',
      JSON.stringify(privateJwk),
      JSON.stringify({ ...publicJwk, kid, alg: 'RS256', use: 'sig' }),
      made,
    );
  const codeHmacKey = randomBytes(32).toString('base64url');
  const accessTokenKey = randomBytes(32).toString('base64url');
  const setting = sqlite.prepare('insert into settings (key, value) values (?, ?)');
  setting.run('code_hmac_key', codeHmacKey);
  setting.run('access_token_key', accessTokenKey);
  await db.destroy();
  return { kid, privateJwk, privateKey, codeHmacKey, accessTokenKey };
}

/** Every row of every table, as text, to search for what must not be stored in the clear. */
export function allRowsText(file: string): string {
  const sqlite = new SQLite(file, { readonly: true });
  try {
    const tables = sqlite.prepare("select name from sqlite_master where type = 'table'").all() as {
      name: string;
    }[];
    return tables
      .map(({ name }) => JSON.stringify(sqlite.prepare(`select * from "${name}"`).all()))
      .join('\n');
  } finally {
    sqlite.close();
  }
}

/** Reads rows with a query, for checks on what is stored. */
export function query<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const sqlite = new SQLite(file, { readonly: true });
  try {
    return sqlite.prepare(sql).all(...params) as T[];
  } finally {
    sqlite.close();
  }
}
