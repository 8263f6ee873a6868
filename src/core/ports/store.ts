import type {
  Application,
  AuthorizationCode,
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
} from '../model.ts';

export type IdentifierField = 'email' | 'phone_number';

/**
 * How a connection is written to and read from its row: plain JSON by default; the server seals
 * provider credentials in it (core/connection-secrets.ts).
 */
export interface ConnectionCodec {
  encode(connection: Connection): Promise<string>;
  decode(data: string): Promise<Connection>;
}

/** New-user fields; the store fills counters and metadata defaults. */
export type NewUser = Pick<User, 'user_id' | 'connection' | 'email' | 'phone_number' | 'created_at'> &
  Partial<
    Pick<
      User,
      | 'email_verified'
      | 'phone_verified'
      | 'name'
      | 'nickname'
      | 'picture'
      | 'app_metadata'
      | 'user_metadata'
      | 'blocked'
      | 'last_login'
      | 'last_ip'
      | 'logins_count'
    >
  >;

export type UserPatch = Partial<Omit<User, 'user_id' | 'connection' | 'created_at'>>;

/**
 * Everything Tessera keeps. Each method is one atomic operation; none reads then writes across
 * two statements where a concurrent request could interleave.
 */
export interface Store {
  /**
   * Brings the schema up to date and returns the names of the migrations it applied. Safe when
   * several instances start at once (PostgreSQL: an advisory lock; SQLite: one writer at a time).
   */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
  /** Resolves when the database answers a trivial query (readiness); rejects otherwise. */
  ping(): Promise<void>;

  getSetting(key: string): Promise<string | undefined>;
  /** Stores `value` unless the key exists; returns whichever value is stored afterwards. */
  putSettingIfAbsent(key: string, value: string): Promise<string>;
  putSetting(key: string, value: string): Promise<void>;

  getApplication(clientId: string): Promise<Application | undefined>;
  listApplications(): Promise<Application[]>;
  putApplication(app: Application): Promise<void>;
  deleteApplication(clientId: string): Promise<void>;

  getConnection(name: string): Promise<Connection | undefined>;
  listConnections(): Promise<Connection[]>;
  putConnection(connection: Connection): Promise<void>;
  deleteConnection(name: string): Promise<void>;

  getUser(userId: string): Promise<User | undefined>;
  findUser(connection: string, field: IdentifierField, value: string): Promise<User | undefined>;
  /** Inserts the user, or returns the existing one with the same connection and identifier. */
  createUser(user: NewUser): Promise<{ user: User; created: boolean }>;
  updateUser(userId: string, patch: UserPatch): Promise<User | undefined>;
  /** Bumps the login counters and marks the identifier verified, atomically. */
  recordLogin(userId: string, field: IdentifierField, ip: string, now: number): Promise<User | undefined>;

  /** Stores a login code, replacing any earlier one for the same client, connection and identifier. */
  putLoginCode(code: LoginCode): Promise<void>;
  findLoginCode(clientId: string, connection: string, identifier: string): Promise<LoginCode | undefined>;
  /** Counts one verification attempt if the code is live and has attempts left; returns it, or undefined. */
  takeLoginAttempt(id: string, now: number): Promise<LoginCode | undefined>;
  /** Gives back an attempt counted for a check that proved right (the check did not consume). */
  returnLoginAttempt(id: string): Promise<void>;
  /** Marks the code used if it is live and nobody else has; true only for the one caller that won. */
  consumeLoginCode(id: string, now: number): Promise<boolean>;
  deleteLoginCode(id: string): Promise<void>;

  putAuthorizationCode(code: AuthorizationCode): Promise<void>;
  /**
   * Returns the code and marks it used, once, recording the refresh-token family its exchange
   * starts; undefined when unknown, used or expired.
   */
  consumeAuthorizationCode(
    codeHash: string,
    now: number,
    refreshFamily: string,
  ): Promise<AuthorizationCode | undefined>;
  /**
   * Marks a code that was already used as presented again; returns the refresh-token family its
   * first exchange started, or undefined when no used code has that hash.
   */
  markAuthorizationCodeReused(codeHash: string, now: number): Promise<string | undefined>;
  /** Whether a used code has been presented again since (markAuthorizationCodeReused). */
  authorizationCodeReused(codeHash: string): Promise<boolean>;

  putRefreshToken(token: RefreshToken): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Marks the token used if it is not yet; true only for the one caller that won. */
  useRefreshToken(id: string, now: number): Promise<boolean>;
  revokeRefreshFamily(familyId: string, now: number): Promise<void>;

  /** Every stored signing key, retired ones too, newest first. */
  listSigningKeys(): Promise<SigningKey[]>;
  /** Inserts a key unless one with its kid or its `replaces` exists; true when it was inserted. */
  putSigningKey(key: SigningKey): Promise<boolean>;
  /**
   * A rotation, in one transaction: inserts `key` as `putSigningKey` does and, if it went in, gives
   * every other key of its algorithm that has no retirement time yet `retiresAt`.
   */
  rotateSigningKey(key: SigningKey, retiresAt: number): Promise<boolean>;
  updateSigningKey(
    kid: string,
    patch: Partial<Pick<SigningKey, 'private_jwk' | 'retires_at'>>,
  ): Promise<void>;

  putInboxMessage(message: InboxMessage): Promise<void>;
  /** Newest first. */
  listInboxMessages(to: string | undefined, limit: number): Promise<InboxMessage[]>;

  // outbox
  putOutboxMessage(message: OutboxMessage): Promise<void>;
  getOutboxMessage(id: string): Promise<OutboxMessage | undefined>;
  /** Ids of pending messages due by `now` and held by no live sender, oldest first. */
  dueOutboxMessages(now: number, limit: number): Promise<string[]>;
  /** Takes a pending message for one sender until `until`; true only for the caller that got it. */
  claimOutboxMessage(id: string, now: number, until: number): Promise<boolean>;
  /** Writes the outcome of a send: a retry time, or a final status (which also empties the body). */
  updateOutboxMessage(
    id: string,
    patch: Partial<
      Pick<
        OutboxMessage,
        | 'status'
        | 'attempts'
        | 'use_secondary'
        | 'next_attempt_at'
        | 'claimed_until'
        | 'provider'
        | 'provider_message_id'
        | 'last_error'
        | 'updated_at'
      >
    >,
  ): Promise<void>;
  putOutboxAttempt(attempt: OutboxAttempt): Promise<void>;
  listOutboxAttempts(messageId: string): Promise<OutboxAttempt[]>;

  // hosted login
  putSession(session: Session): Promise<void>;
  /** The session whose cookie token hashes to `tokenHash`; expiry is the caller's business. */
  findSession(tokenHash: string): Promise<Session | undefined>;
  /** Records a use of the session (the idle limit counts from it). */
  touchSession(id: string, now: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
  putLoginTicket(ticket: LoginTicket): Promise<void>;
  findLoginTicket(ticketHash: string): Promise<LoginTicket | undefined>;
  /** Marks a live, unused ticket used; returns it only to the one caller that won. */
  consumeLoginTicket(ticketHash: string, now: number): Promise<LoginTicket | undefined>;

  // housekeeping
  /**
   * Deletes rows no request can use any more, at most `limit` from each table: a backlog is worked
   * off over several runs instead of holding the database in one. Returns the count per table.
   */
  purgeExpired(before: PurgeBefore, limit: number): Promise<Record<string, number>>;
}

/** The cut-off times (ms since the epoch) of a purge: a row older than its cut-off goes. */
export interface PurgeBefore {
  /** Login codes, authorization codes, login transactions and tickets that expired before this. */
  expired: number;
  /** Sessions unused since this (idle too long); those past their lifetime go with `expired`. */
  sessionsUsed: number;
  /** Refresh tokens that expired, or were revoked, before this. */
  refreshTokens: number;
  /** Outbox messages (and their attempts) final since before this, or pending yet expired before it. */
  outbox: number;
  /** Dev inbox messages made before this. */
  inbox: number;
}
