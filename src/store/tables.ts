import type { Generated } from 'kysely';
import type { LoginTicket, OutboxAttempt, OutboxMessage, Session, SigningKey } from '../core/model.ts';

/** Row shapes as SQL holds them: booleans as 0/1, JSON as text, times as integer milliseconds. */

export interface Database extends HostedLoginTables {
  settings: { key: string; value: string };
  applications: { client_id: string; data: string; updated_at: number };
  connections: { name: string; data: string; updated_at: number };
  users: UserRow;
  login_codes: LoginCodeRow;
  authorization_codes: AuthorizationCodeRow;
  refresh_tokens: RefreshTokenRow;
  signing_keys: SigningKey;
  inbox_messages: InboxMessageRow;
  outbox_messages: Omit<OutboxMessage, 'use_secondary'> & { use_secondary: number };
  outbox_attempts: OutboxAttempt;
}

export interface UserRow {
  user_id: string;
  connection: string;
  email: string | null;
  email_verified: number;
  phone_number: string | null;
  phone_verified: number;
  name: string | null;
  nickname: string | null;
  picture: string | null;
  created_at: number;
  updated_at: number;
  last_login: number | null;
  last_ip: string | null;
  logins_count: Generated<number>;
  app_metadata: string;
  user_metadata: string;
  blocked: number;
}

export interface LoginCodeRow {
  id: string;
  client_id: string;
  connection: string;
  identifier: string;
  send: string;
  code_hash: string;
  binding_hash: string | null;
  auth_params: string;
  attempts: number;
  max_attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface AuthorizationCodeRow {
  code_hash: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  audience: string | null;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  auth_time: number;
  session_id: string;
  expires_at: number;
  consumed_at: number | null;
  /** The refresh-token family its exchange started, so that a second exchange can revoke it. */
  refresh_family: string | null;
  /** When it was presented again after it had been used. */
  reused_at: number | null;
}

export interface RefreshTokenRow {
  id: string;
  token_hash: string;
  family_id: string;
  client_id: string;
  user_id: string;
  scope: string;
  audience: string | null;
  session_id: string;
  auth_time: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

export interface InboxMessageRow {
  id: string;
  recipient: string;
  channel: string;
  subject: string | null;
  text: string;
  html: string | null;
  code: string | null;
  link: string | null;
  created_at: number;
}

// hosted login: rows are the domain records, but for the JSON-encoded and loosely typed columns.
export interface HostedLoginTables {
  sessions: Session;
  /**
   * No longer written (transactions travel sealed, core/sealed-transaction.ts); rows an earlier
   * version left are purged once expired.
   */
  login_transactions: { id: string; expires_at: number };
  login_tickets: LoginTicket;
}
