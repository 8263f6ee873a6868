import type { Kysely, Migration, MigrationProvider } from 'kysely';

/**
 * Schema migrations, shared by SQLite and PostgreSQL: only types both understand (text, integer,
 * bigint) and no dialect-specific SQL. Never edit a landed migration; add the next one.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      for (const [table, key] of [
        ['applications', 'client_id'],
        ['connections', 'name'],
      ] as const) {
        await db.schema
          .createTable(table)
          .addColumn(key, 'text', (c) => c.primaryKey())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      }
      await db.schema
        .createTable('users')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('phone_number', 'text')
        .addColumn('phone_verified', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('name', 'text')
        .addColumn('nickname', 'text')
        .addColumn('picture', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_login', 'bigint')
        .addColumn('last_ip', 'text')
        .addColumn('logins_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('app_metadata', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('user_metadata', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('users_connection_email')
        .unique()
        .on('users')
        .columns(['connection', 'email'])
        .execute();
      await db.schema
        .createIndex('users_connection_phone')
        .unique()
        .on('users')
        .columns(['connection', 'phone_number'])
        .execute();
      await db.schema.createIndex('users_email').on('users').column('email').execute();

      await db.schema
        .createTable('login_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('send', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('binding_hash', 'text')
        .addColumn('auth_params', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('consumed_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('login_codes_key')
        .unique()
        .on('login_codes')
        .columns(['client_id', 'connection', 'identifier'])
        .execute();
      await db.schema.createIndex('login_codes_expires').on('login_codes').column('expires_at').execute();

      await db.schema
        .createTable('authorization_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('audience', 'text')
        .addColumn('nonce', 'text')
        .addColumn('code_challenge', 'text')
        .addColumn('code_challenge_method', 'text')
        .addColumn('auth_time', 'bigint', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('consumed_at', 'bigint')
        .execute();

      await db.schema
        .createTable('refresh_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('family_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('audience', 'text')
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('auth_time', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
      await db.schema.createIndex('refresh_tokens_user').on('refresh_tokens').column('user_id').execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('inbox_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('html', 'text')
        .addColumn('code', 'text')
        .addColumn('link', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('inbox_messages_recipient')
        .on('inbox_messages')
        .columns(['recipient', 'created_at'])
        .execute();
      await db.schema
        .createIndex('inbox_messages_created')
        .on('inbox_messages')
        .column('created_at')
        .execute();
    },
  },
  '0002_outbox': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('outbox_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        // The rendered message; emptied once the message is sent or given up on.
        .addColumn('body', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('use_secondary', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('claimed_until', 'bigint')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('provider', 'text')
        .addColumn('provider_message_id', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('outbox_messages_due')
        .on('outbox_messages')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createTable('outbox_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('error', 'text')
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('provider_message_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('outbox_attempts_message')
        .on('outbox_attempts')
        .column('message_id')
        .execute();
    },
  },
  '0003_hosted_login': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('auth_time', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
      await db.schema.createIndex('sessions_last_used').on('sessions').column('last_used_at').execute();
      await db.schema
        .createTable('login_transactions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('binding_hash', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('connection', 'text')
        .addColumn('identifier', 'text')
        .addColumn('send', 'text')
        .addColumn('sent_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('login_transactions_expires')
        .on('login_transactions')
        .column('expires_at')
        .execute();
      await db.schema
        .createTable('login_tickets')
        .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
        .addColumn('co_id', 'text', (c) => c.notNull())
        .addColumn('verifier_hash', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('auth_time', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('consumed_at', 'bigint')
        .execute();
      await db.schema.createIndex('login_tickets_expires').on('login_tickets').column('expires_at').execute();
    },
  },
  // housekeeping: the purge finds what is over by these columns without reading whole tables.
  '0004_housekeeping': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('authorization_codes_expires')
        .on('authorization_codes')
        .column('expires_at')
        .execute();
      await db.schema
        .createIndex('refresh_tokens_expires')
        .on('refresh_tokens')
        .column('expires_at')
        .execute();
      await db.schema
        .createIndex('refresh_tokens_revoked')
        .on('refresh_tokens')
        .column('revoked_at')
        .execute();
      await db.schema
        .createIndex('outbox_messages_updated')
        .on('outbox_messages')
        .columns(['status', 'updated_at'])
        .execute();
    },
  },
  // Key rotation: when each signing key signs and leaves the JWKS, decided by time so that every
  // instance agrees. Sealing the private keys and secrets needs no schema change (start does it).
  '0005_key_rotation': {
    async up(db: Kysely<unknown>) {
      // SQLite adds one column per statement.
      await db.schema
        .alterTable('signing_keys')
        .addColumn('activates_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('signing_keys').addColumn('retires_at', 'bigint').execute();
      await db.schema.alterTable('signing_keys').addColumn('replaces', 'text').execute();
      // Existing keys have signed since they were made.
      const keys = db as unknown as Kysely<{ signing_keys: { activates_at: number; created_at: number } }>;
      await keys
        .updateTable('signing_keys')
        .set((eb) => ({ activates_at: eb.ref('created_at') }))
        .execute();
      await db.schema
        .createIndex('signing_keys_replaces')
        .unique()
        .on('signing_keys')
        .column('replaces')
        .execute();
    },
  },
  // An authorization code presented twice revokes what its first exchange issued (RFC 6749 §4.1.2).
  '0006_code_reuse': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('authorization_codes').addColumn('refresh_family', 'text').execute();
      await db.schema.alterTable('authorization_codes').addColumn('reused_at', 'bigint').execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
