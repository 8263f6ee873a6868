import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type {
  Application,
  Connection,
  InboxMessage,
  LoginCode,
  LoginTicket,
  OutboxAttempt,
  OutboxMessage,
  RefreshToken,
  Session,
  SigningKey,
  User,
} from '../core/model.ts';
import type {
  ConnectionCodec,
  IdentifierField,
  NewUser,
  PurgeBefore,
  Store,
  UserPatch,
} from '../core/ports/store.ts';
import { ExpiringCache } from './expiring-cache.ts';
import type { StoreHealth } from './health.ts';
import { purgeExpiredRows } from './housekeeping.ts';
import { type MigrationSetup, migrateToLatest } from './migrator.ts';
import { Prepared, slotsFor } from './prepared.ts';
import type { Database, InboxMessageRow, LoginCodeRow, RefreshTokenRow, UserRow } from './tables.ts';

/** The setting readiness writes to, while the store cannot write, to find out whether it can again. */
const WRITE_PROBE_KEY = 'store.write_probe';

/** How long an instance keeps an application or connection it has read (see KyselyStore). */
export const CONFIG_CACHE_MS = 2000;

/** The Store over Kysely: one set of queries for every SQL dialect. */
export class KyselyStore implements Store {
  constructor(
    readonly db: Kysely<Database>,
    private readonly connectionCodec: ConnectionCodec = plainJson,
    /** Where and how migrations run: PostgreSQL names its schema, SQLite takes the file's write lock. */
    private readonly migrations: MigrationSetup = {},
    options: { configCacheMs?: number; health?: StoreHealth } = {},
  ) {
    this.health = options.health;
    this.applications = new ExpiringCache(options.configCacheMs ?? CONFIG_CACHE_MS);
    this.connections = new ExpiringCache(options.configCacheMs ?? CONFIG_CACHE_MS);
    this.q = loginQueries(db);
  }

  /** What the driver's statements have found out about the database (outages), when it reports. */
  readonly health: StoreHealth | undefined;

  /** The statements of a login, compiled once (see Prepared). */
  private readonly q: ReturnType<typeof loginQueries>;

  // Every request reads its application and connection; they change only when an instance starts
  // (or an operator edits them), so each instance keeps them for a moment instead of reading and
  // decoding them every time. Changes made here are seen at once; another instance's within
  // CONFIG_CACHE_MS.
  private readonly applications: ExpiringCache<Application | undefined>;
  private readonly connections: ExpiringCache<Connection | undefined>;

  migrate(): Promise<string[]> {
    return migrateToLatest(this.db, this.migrations);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async ping(): Promise<void> {
    // A full disk leaves reads working: only a write shows whether it is over.
    if (this.health?.writesFailing) await this.putSetting(WRITE_PROBE_KEY, String(Date.now()));
    else await sql`select 1`.execute(this.db);
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    await this.db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return (await this.getSetting(key)) as string;
  }

  async putSetting(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }

  getApplication(clientId: string): Promise<Application | undefined> {
    return this.applications.get(clientId, () => this.readApplication(clientId));
  }

  private async readApplication(clientId: string): Promise<Application | undefined> {
    const row = await this.db
      .selectFrom('applications')
      .select('data')
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.data) as Application) : undefined;
  }

  async listApplications(): Promise<Application[]> {
    const rows = await this.db.selectFrom('applications').select('data').orderBy('client_id').execute();
    return rows.map((r) => JSON.parse(r.data) as Application);
  }

  async putApplication(app: Application): Promise<void> {
    const data = JSON.stringify(app);
    await this.db
      .insertInto('applications')
      .values({ client_id: app.client_id, data, updated_at: Date.now() })
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ data, updated_at: Date.now() }))
      .execute();
    // After the write: a read racing it cannot put the old value back.
    this.applications.delete(app.client_id);
  }

  getConnection(name: string): Promise<Connection | undefined> {
    return this.connections.get(name, () => this.readConnection(name));
  }

  private async readConnection(name: string): Promise<Connection | undefined> {
    const row = await this.db
      .selectFrom('connections')
      .select('data')
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? this.connectionCodec.decode(row.data) : undefined;
  }

  async listConnections(): Promise<Connection[]> {
    const rows = await this.db.selectFrom('connections').select('data').orderBy('name').execute();
    return Promise.all(rows.map((r) => this.connectionCodec.decode(r.data)));
  }

  async deleteApplication(clientId: string): Promise<void> {
    await this.db.deleteFrom('applications').where('client_id', '=', clientId).execute();
    this.applications.delete(clientId);
  }

  async deleteConnection(name: string): Promise<void> {
    await this.db.deleteFrom('connections').where('name', '=', name).execute();
    this.connections.delete(name);
  }

  async putConnection(connection: Connection): Promise<void> {
    const data = await this.connectionCodec.encode(connection);
    await this.db
      .insertInto('connections')
      .values({ name: connection.name, data, updated_at: Date.now() })
      .onConflict((oc) => oc.column('name').doUpdateSet({ data, updated_at: Date.now() }))
      .execute();
    this.connections.delete(connection.name);
  }

  async getUser(userId: string): Promise<User | undefined> {
    const row = await this.q.getUser.first(this.db, { user_id: userId });
    return row ? toUser(row) : undefined;
  }

  async findUser(connection: string, field: IdentifierField, value: string): Promise<User | undefined> {
    const query = field === 'email' ? this.q.findUserByEmail : this.q.findUserByPhone;
    const row = await query.first(this.db, { connection, value });
    return row ? toUser(row) : undefined;
  }

  async createUser(user: NewUser): Promise<{ user: User; created: boolean }> {
    const row = await this.q.createUser.first(this.db, {
      user_id: user.user_id,
      connection: user.connection,
      email: user.email,
      email_verified: user.email_verified ? 1 : 0,
      phone_number: user.phone_number,
      phone_verified: user.phone_verified ? 1 : 0,
      name: user.name ?? null,
      nickname: user.nickname ?? null,
      picture: user.picture ?? null,
      created_at: user.created_at,
      updated_at: user.created_at,
      last_login: user.last_login ?? null,
      last_ip: user.last_ip ?? null,
      logins_count: user.logins_count ?? 0,
      app_metadata: JSON.stringify(user.app_metadata ?? {}),
      user_metadata: JSON.stringify(user.user_metadata ?? {}),
      blocked: user.blocked ? 1 : 0,
    });
    if (row) return { user: toUser(row), created: true };
    const field: IdentifierField = user.email !== null ? 'email' : 'phone_number';
    const existing = await this.findUser(user.connection, field, (user.email ?? user.phone_number) as string);
    if (!existing) throw new Error('user insert conflicted but no existing user was found');
    return { user: existing, created: false };
  }

  async updateUser(userId: string, patch: UserPatch): Promise<User | undefined> {
    const { app_metadata, user_metadata, email_verified, phone_verified, blocked, ...plain } = patch;
    const row = await this.db
      .updateTable('users')
      .set({
        ...plain,
        ...(app_metadata !== undefined && { app_metadata: JSON.stringify(app_metadata) }),
        ...(user_metadata !== undefined && { user_metadata: JSON.stringify(user_metadata) }),
        ...(email_verified !== undefined && { email_verified: email_verified ? 1 : 0 }),
        ...(phone_verified !== undefined && { phone_verified: phone_verified ? 1 : 0 }),
        ...(blocked !== undefined && { blocked: blocked ? 1 : 0 }),
      })
      .where('user_id', '=', userId)
      .returningAll()
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async recordLogin(
    userId: string,
    field: IdentifierField,
    ip: string,
    now: number,
  ): Promise<User | undefined> {
    const verified = field === 'email' ? 'email_verified' : 'phone_verified';
    const row = await this.db
      .updateTable('users')
      .set((eb) => ({
        logins_count: eb('logins_count', '+', 1),
        last_login: now,
        last_ip: ip,
        updated_at: now,
        [verified]: 1,
      }))
      .where('user_id', '=', userId)
      .returningAll()
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async putLoginCode(code: LoginCode): Promise<void> {
    await this.q.putLoginCode.run(this.db, fromLoginCode(code));
  }

  async findLoginCode(
    clientId: string,
    connection: string,
    identifier: string,
  ): Promise<LoginCode | undefined> {
    const row = await this.q.findLoginCode.first(this.db, { client_id: clientId, connection, identifier });
    return row ? toLoginCode(row) : undefined;
  }

  async takeLoginAttempt(id: string, now: number): Promise<LoginCode | undefined> {
    const row = await this.q.takeLoginAttempt.first(this.db, { id, now });
    return row ? toLoginCode(row) : undefined;
  }

  async returnLoginAttempt(id: string): Promise<void> {
    await this.db
      .updateTable('login_codes')
      .set((eb) => ({ attempts: eb('attempts', '-', 1) }))
      .where('id', '=', id)
      .where('attempts', '>', 0)
      .execute();
  }

  async consumeLoginCode(id: string, now: number): Promise<boolean> {
    const result = await this.q.consumeLoginCode.run(this.db, { id, now });
    return Number(result.numAffectedRows) === 1;
  }

  async deleteLoginCode(id: string): Promise<void> {
    await this.db.deleteFrom('login_codes').where('id', '=', id).execute();
  }

  async putAuthorizationCode(code: Parameters<Store['putAuthorizationCode']>[0]): Promise<void> {
    await this.db.insertInto('authorization_codes').values(code).execute();
  }

  async consumeAuthorizationCode(codeHash: string, now: number, refreshFamily: string) {
    const row = await this.db
      .updateTable('authorization_codes')
      .set({ consumed_at: now, refresh_family: refreshFamily })
      .where('code_hash', '=', codeHash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    const { refresh_family: _family, reused_at: _reused, ...code } = row;
    return { ...code, auth_time: Number(row.auth_time), expires_at: Number(row.expires_at) };
  }

  async markAuthorizationCodeReused(codeHash: string, now: number): Promise<string | undefined> {
    const row = await this.db
      .updateTable('authorization_codes')
      .set({ reused_at: now })
      .where('code_hash', '=', codeHash)
      .where('consumed_at', 'is not', null)
      .returning('refresh_family')
      .executeTakeFirst();
    return row?.refresh_family ?? undefined;
  }

  async authorizationCodeReused(codeHash: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('authorization_codes')
      .select('reused_at')
      .where('code_hash', '=', codeHash)
      .executeTakeFirst();
    return row !== undefined && row.reused_at !== null;
  }

  async putRefreshToken(token: RefreshToken): Promise<void> {
    await this.db.insertInto('refresh_tokens').values(token).execute();
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshToken | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row ? toRefreshToken(row) : undefined;
  }

  async useRefreshToken(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async revokeRefreshFamily(familyId: string, now: number): Promise<void> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async listSigningKeys(): Promise<SigningKey[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('kid', 'desc')
      .execute();
    return rows.map((r) => ({
      ...r,
      created_at: Number(r.created_at),
      activates_at: Number(r.activates_at),
      retires_at: r.retires_at === null ? null : Number(r.retires_at),
    }));
  }

  async putSigningKey(key: SigningKey): Promise<boolean> {
    return insertSigningKey(this.db, key);
  }

  async rotateSigningKey(key: SigningKey, retiresAt: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      if (!(await insertSigningKey(trx, key))) return false;
      await trx
        .updateTable('signing_keys')
        .set({ retires_at: retiresAt })
        .where('alg', '=', key.alg)
        .where('kid', '!=', key.kid)
        .where('retires_at', 'is', null)
        .execute();
      return true;
    });
  }

  async updateSigningKey(
    kid: string,
    patch: Partial<Pick<SigningKey, 'private_jwk' | 'retires_at'>>,
  ): Promise<void> {
    await this.db.updateTable('signing_keys').set(patch).where('kid', '=', kid).execute();
  }

  async putInboxMessage(message: InboxMessage): Promise<void> {
    const { to, ...rest } = message;
    await this.q.putInboxMessage.run(this.db, { ...rest, recipient: to });
  }

  async listInboxMessages(to: string | undefined, limit: number): Promise<InboxMessage[]> {
    const rows =
      to === undefined
        ? await this.db
            .selectFrom('inbox_messages')
            .selectAll()
            .orderBy('created_at', 'desc')
            .orderBy('id', 'desc')
            .limit(limit)
            .execute()
        : (await this.q.listInboxMessagesTo.run(this.db, { recipient: to, limit })).rows;
    return rows.map(({ recipient, ...rest }) => ({
      ...rest,
      to: recipient,
      channel: rest.channel as InboxMessage['channel'],
      created_at: Number(rest.created_at),
    }));
  }

  // outbox
  async putOutboxMessage(message: OutboxMessage): Promise<void> {
    await this.db
      .insertInto('outbox_messages')
      .values({ ...message, use_secondary: message.use_secondary ? 1 : 0 })
      .execute();
  }

  async getOutboxMessage(id: string): Promise<OutboxMessage | undefined> {
    const row = await this.db
      .selectFrom('outbox_messages')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toOutboxMessage(row) : undefined;
  }

  async dueOutboxMessages(now: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('outbox_messages')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      // A code that has expired is not worth sending any more.
      .where('expires_at', '>', now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async claimOutboxMessage(id: string, now: number, until: number): Promise<boolean> {
    const result = await this.db
      .updateTable('outbox_messages')
      .set({ claimed_until: until })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async updateOutboxMessage(id: string, patch: Parameters<Store['updateOutboxMessage']>[1]): Promise<void> {
    const { use_secondary, ...rest } = patch;
    const final = rest.status === 'sent' || rest.status === 'failed';
    await this.db
      .updateTable('outbox_messages')
      .set({
        ...rest,
        ...(use_secondary !== undefined && { use_secondary: use_secondary ? 1 : 0 }),
        ...(final && { body: null }),
      })
      .where('id', '=', id)
      .execute();
  }

  async putOutboxAttempt(attempt: OutboxAttempt): Promise<void> {
    await this.db.insertInto('outbox_attempts').values(attempt).execute();
  }

  async listOutboxAttempts(messageId: string): Promise<OutboxAttempt[]> {
    const rows = await this.db
      .selectFrom('outbox_attempts')
      .selectAll()
      .where('message_id', '=', messageId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      ...r,
      created_at: Number(r.created_at),
      outcome: r.outcome as OutboxAttempt['outcome'],
    }));
  }

  // hosted login
  async putSession(session: Session): Promise<void> {
    await this.db.insertInto('sessions').values(session).execute();
  }

  async findSession(tokenHash: string): Promise<Session | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row ? numbers(row, ['auth_time', 'created_at', 'last_used_at', 'expires_at']) : undefined;
  }

  async touchSession(id: string, now: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async putLoginTicket(ticket: LoginTicket): Promise<void> {
    await this.db.insertInto('login_tickets').values(ticket).execute();
  }

  async findLoginTicket(ticketHash: string): Promise<LoginTicket | undefined> {
    const row = await this.db
      .selectFrom('login_tickets')
      .selectAll()
      .where('ticket_hash', '=', ticketHash)
      .executeTakeFirst();
    return row ? toLoginTicket(row) : undefined;
  }

  async consumeLoginTicket(ticketHash: string, now: number): Promise<LoginTicket | undefined> {
    const row = await this.db
      .updateTable('login_tickets')
      .set({ consumed_at: now })
      .where('ticket_hash', '=', ticketHash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    return row ? toLoginTicket(row) : undefined;
  }

  // housekeeping
  async purgeExpired(before: PurgeBefore, limit: number): Promise<Record<string, number>> {
    return purgeExpiredRows(this.db, before, limit);
  }
}

/** Any unique conflict (the kid, or `replaces`: another rotation of the same key) leaves the row out. */
async function insertSigningKey(db: Kysely<Database>, key: SigningKey): Promise<boolean> {
  const result = await db
    .insertInto('signing_keys')
    .values(key)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

function toOutboxMessage(row: Selectable<Database['outbox_messages']>): OutboxMessage {
  return {
    ...row,
    channel: row.channel as OutboxMessage['channel'],
    status: row.status as OutboxMessage['status'],
    use_secondary: row.use_secondary === 1,
    next_attempt_at: Number(row.next_attempt_at),
    claimed_until: row.claimed_until === null ? null : Number(row.claimed_until),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

const plainJson: ConnectionCodec = {
  encode: async (connection) => JSON.stringify(connection),
  decode: async (data) => JSON.parse(data) as Connection,
};

function toUser(row: Selectable<UserRow>): User {
  return {
    ...row,
    email_verified: row.email_verified === 1,
    phone_verified: row.phone_verified === 1,
    blocked: row.blocked === 1,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    last_login: row.last_login === null ? null : Number(row.last_login),
    logins_count: Number(row.logins_count),
    app_metadata: JSON.parse(row.app_metadata) as Record<string, unknown>,
    user_metadata: JSON.parse(row.user_metadata) as Record<string, unknown>,
  };
}

function fromLoginCode(code: LoginCode): LoginCodeRow {
  return { ...code, auth_params: JSON.stringify(code.auth_params) };
}

function toLoginCode(row: Selectable<LoginCodeRow>): LoginCode {
  return {
    ...row,
    send: row.send as LoginCode['send'],
    auth_params: JSON.parse(row.auth_params) as LoginCode['auth_params'],
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    consumed_at: row.consumed_at === null ? null : Number(row.consumed_at),
  };
}

function toRefreshToken(row: Selectable<RefreshTokenRow>): RefreshToken {
  return {
    ...row,
    auth_time: Number(row.auth_time),
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    used_at: row.used_at === null ? null : Number(row.used_at),
    revoked_at: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/** SQL drivers may hand back bigint columns as strings or bigints: make the named ones numbers. */
function numbers<T extends object, K extends keyof T>(row: T, keys: K[]): T {
  const out = { ...row };
  for (const key of keys) out[key] = Number(row[key]) as T[K];
  return out;
}

function toLoginTicket(row: Selectable<Database['login_tickets']>): LoginTicket {
  return {
    ...numbers(row, ['auth_time', 'expires_at']),
    consumed_at: row.consumed_at === null ? null : Number(row.consumed_at),
  };
}

const USER_COLUMNS = [
  'user_id',
  'connection',
  'email',
  'email_verified',
  'phone_number',
  'phone_verified',
  'name',
  'nickname',
  'picture',
  'created_at',
  'updated_at',
  'last_login',
  'last_ip',
  'logins_count',
  'app_metadata',
  'user_metadata',
  'blocked',
] as const satisfies readonly (keyof UserRow)[];

const LOGIN_CODE_COLUMNS = [
  'id',
  'client_id',
  'connection',
  'identifier',
  'send',
  'code_hash',
  'binding_hash',
  'auth_params',
  'attempts',
  'max_attempts',
  'created_at',
  'expires_at',
  'consumed_at',
] as const satisfies readonly (keyof LoginCodeRow)[];

const INBOX_COLUMNS = [
  'id',
  'recipient',
  'channel',
  'subject',
  'text',
  'html',
  'code',
  'link',
  'created_at',
] as const satisfies readonly (keyof InboxMessageRow)[];

/**
 * The statements every login makes (and /userinfo's user lookup), as prepared queries. The column
 * lists must name every column of their row: a value without a column is refused when run, and
 * the contract tests read back every field.
 */
function loginQueries(db: Kysely<Database>) {
  return {
    getUser: new Prepared<{ user_id: string }, Selectable<UserRow>>((p) =>
      db.selectFrom('users').selectAll().where('user_id', '=', p('user_id')),
    ),
    findUserByEmail: new Prepared<{ connection: string; value: string }, Selectable<UserRow>>((p) =>
      db
        .selectFrom('users')
        .selectAll()
        .where('connection', '=', p('connection'))
        .where('email', '=', p('value')),
    ),
    findUserByPhone: new Prepared<{ connection: string; value: string }, Selectable<UserRow>>((p) =>
      db
        .selectFrom('users')
        .selectAll()
        .where('connection', '=', p('connection'))
        .where('phone_number', '=', p('value')),
    ),
    createUser: new Prepared<Insertable<UserRow>, Selectable<UserRow>>((p) =>
      db
        .insertInto('users')
        .values(slotsFor(p, USER_COLUMNS))
        .onConflict((oc) => oc.doNothing())
        .returningAll(),
    ),
    putLoginCode: new Prepared<LoginCodeRow, never>((p) => {
      const { id, client_id, connection, identifier, ...replaced } = slotsFor(p, LOGIN_CODE_COLUMNS);
      return db
        .insertInto('login_codes')
        .values({ id, client_id, connection, identifier, ...replaced })
        .onConflict((oc) =>
          oc.columns(['client_id', 'connection', 'identifier']).doUpdateSet({ id, ...replaced }),
        );
    }),
    findLoginCode: new Prepared<
      { client_id: string; connection: string; identifier: string },
      Selectable<LoginCodeRow>
    >((p) =>
      db
        .selectFrom('login_codes')
        .selectAll()
        .where('client_id', '=', p('client_id'))
        .where('connection', '=', p('connection'))
        .where('identifier', '=', p('identifier')),
    ),
    takeLoginAttempt: new Prepared<{ id: string; now: number }, Selectable<LoginCodeRow>>((p) =>
      db
        .updateTable('login_codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', p('id'))
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', p('now'))
        .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
        .returningAll(),
    ),
    consumeLoginCode: new Prepared<{ id: string; now: number }, never>((p) =>
      db
        .updateTable('login_codes')
        .set({ consumed_at: p('now') })
        .where('id', '=', p('id'))
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', p('now')),
    ),
    putInboxMessage: new Prepared<InboxMessageRow, never>((p) =>
      db.insertInto('inbox_messages').values(slotsFor(p, INBOX_COLUMNS)),
    ),
    listInboxMessagesTo: new Prepared<{ recipient: string; limit: number }, Selectable<InboxMessageRow>>(
      (p) =>
        db
          .selectFrom('inbox_messages')
          .selectAll()
          .where('recipient', '=', p('recipient'))
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(p('limit')),
    ),
  };
}
