import type { Generated } from 'kysely';
import type {
  AuthorizationCode,
  InboxMessage,
  LogEvent,
  LoginCode,
  LoginTicket,
  OutboxAttempt,
  OutboxMessage,
  PermissionRef,
  RefreshToken,
  Role,
  Session,
  SigningKey,
  User,
} from '../core/model.ts';

/**
 * The tables, row by row. A row is its domain record (core/model.ts) except where SQL holds a
 * value otherwise: booleans as 0/1 (Flag), JSON as text (JsonText), a few names and columns the
 * record does not carry. Times are integer milliseconds in both.
 */
export interface Database {
  settings: { key: string; value: string };
  /** The application as JSON. */
  applications: { client_id: string; data: JsonText; updated_at: number };
  /** The connection as its codec writes it (provider credentials sealed). */
  connections: { name: string; id: string | null; data: string; updated_at: number };
  users: UserRow;
  login_codes: LoginCodeRow;
  authorization_codes: AuthorizationCodeRow;
  refresh_tokens: RefreshToken;
  signing_keys: SigningKey;
  inbox_messages: InboxMessageRow;
  outbox_messages: OutboxMessageRow;
  outbox_attempts: OutboxAttempt;
  sessions: Session;
  /**
   * No longer written (transactions travel sealed, core/sealed-transaction.ts); rows an earlier
   * version left are purged once expired.
   */
  login_transactions: { id: string; expires_at: number };
  login_tickets: LoginTicket;
  log_events: LogEventRow;
  roles: Role;
  role_permissions: PermissionRef & { role_id: string };
  user_roles: { user_id: string; role_id: string };
  user_permissions: PermissionRef & { user_id: string };
}

/** A boolean column: 1 for true, 0 for false. */
type Flag = number;
/** A column holding JSON text. */
type JsonText = string;

export type UserRow = Omit<
  User,
  'email_verified' | 'phone_verified' | 'blocked' | 'app_metadata' | 'user_metadata' | 'logins_count'
> & {
  email_verified: Flag;
  phone_verified: Flag;
  blocked: Flag;
  app_metadata: JsonText;
  user_metadata: JsonText;
  logins_count: Generated<number>;
};

export type LoginCodeRow = Omit<LoginCode, 'auth_params'> & { auth_params: JsonText };

export type AuthorizationCodeRow = AuthorizationCode & {
  /** The refresh-token family its exchange started, so that a second exchange can revoke it. */
  refresh_family: string | null;
  /** When it was presented again after it had been used. */
  reused_at: number | null;
};

/** `to` is a reserved word in SQL. */
export type InboxMessageRow = Omit<InboxMessage, 'to'> & { recipient: string };

export type OutboxMessageRow = Omit<OutboxMessage, 'use_secondary'> & { use_secondary: Flag };

export type LogEventRow = Omit<LogEvent, 'details'> & { details: JsonText };
