import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';

/**
 * Adds `count` users straight into the SQLite file (not through the API), as an existing user base
 * would be, so the login runs can show how cost grows with it.
 */
export function seedUsers(dataDir: string, count: number): number {
  const started = Date.now();
  const db = new SQLite(join(dataDir, 'tessera.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    `insert into users (user_id, connection, email, email_verified, phone_number, phone_verified, name, nickname,
       picture, created_at, updated_at, last_login, last_ip, logins_count, app_metadata, user_metadata, blocked)
     values (?, 'email', ?, 1, null, 0, ?, ?, null, ?, ?, ?, '127.0.0.1', 1, '{}', '{}', 0)`,
  );
  const batch = db.transaction((from: number, to: number) => {
    const now = Date.now();
    for (let i = from; i < to; i++) {
      const email = `seeded-${i}@seed.example`;
      insert.run(`email|${randomBytes(12).toString('hex')}`, email, email, `seeded-${i}`, now, now, now);
    }
  });
  for (let from = 0; from < count; from += 20_000) batch(from, Math.min(count, from + 20_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return (Date.now() - started) / 1000;
}
