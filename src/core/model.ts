import type { ApiConfig, ApplicationConfig, ConnectionConfig } from '../config/schema.ts';

/** Domain records shared by core and the store. Times are milliseconds since the epoch. */

export type Application = ApplicationConfig;
/**
 * A connection: as the config file declares it, and its `id` (`con_...`), which the store gives
 * it when first written and keeps; the Management API addresses connections by it.
 */
export type Connection = ConnectionConfig & { id?: string };
export type Api = ApiConfig;
export type Strategy = Connection['strategy'];

export interface User {
  user_id: string;
  connection: string;
  email: string | null;
  email_verified: boolean;
  phone_number: string | null;
  phone_verified: boolean;
  name: string | null;
  nickname: string | null;
  picture: string | null;
  created_at: number;
  updated_at: number;
  last_login: number | null;
  last_ip: string | null;
  logins_count: number;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  blocked: boolean;
}

/** What a magic link carries into the redirect (the start request's `authParams`). */
export interface AuthParams {
  redirect_uri?: string;
  response_type?: string;
  scope?: string;
  state?: string;
  nonce?: string;
  audience?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  response_mode?: string;
}

/**
 * A login transaction: one code (or link) sent to one identifier for one application. Only the
 * keyed hash of the secret is kept. A newer start for the same key replaces the row.
 */
export interface LoginCode {
  id: string;
  client_id: string;
  connection: string;
  identifier: string;
  send: 'code' | 'link';
  code_hash: string;
  /** Hash of the browser-binding cookie set at start (magic links). */
  binding_hash: string | null;
  auth_params: AuthParams;
  attempts: number;
  max_attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface AuthorizationCode {
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
}

export interface RefreshToken {
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
  /** Set when this token was exchanged for a newer one; presenting it again revokes the family. */
  used_at: number | null;
  revoked_at: number | null;
}

export interface SigningKey {
  kid: string;
  alg: string;
  /** The private JWK sealed under the master key (plain JSON only in a database not yet upgraded). */
  private_jwk: string;
  public_jwk: string;
  /** Published in the JWKS from here. */
  created_at: number;
  /** Signs from here on (until a newer key activates): every instance decides by these times. */
  activates_at: number;
  /** Leaves the JWKS from here, once every token it signed has expired; null while it may still sign. */
  retires_at: number | null;
  /**
   * The kid of the key this one took over from (`none:<alg>` for an algorithm's first key); unique,
   * so of two rotations of the same key made at once only one lands. Null on keys made before 0005.
   */
  replaces: string | null;
}

/** A message as the dev inbox shows it. */
export interface InboxMessage {
  id: string;
  to: string;
  channel: 'email' | 'sms';
  subject: string | null;
  text: string;
  html: string | null;
  code: string | null;
  link: string | null;
  created_at: number;
}

/**
 * A message in the outbox: written before the first send, so a provider outage or a crash delays
 * it instead of losing it. `body` (the rendered message, as JSON) is emptied once it is final.
 */
export interface OutboxMessage {
  id: string;
  connection: string;
  channel: 'email' | 'sms';
  recipient: string;
  body: string | null;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  /** Set once the primary provider has had its tries: later attempts use the failover provider. */
  use_secondary: boolean;
  next_attempt_at: number;
  /** A sender holds the message until then; after it (a crash), anyone may take it again. */
  claimed_until: number | null;
  /** The login code's expiry: a message that would arrive later is not worth sending. */
  expires_at: number;
  provider: string | null;
  provider_message_id: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** One try at handing a message to a provider, kept for the logs and the operator. */
export interface OutboxAttempt {
  id: string;
  message_id: string;
  provider: string;
  outcome: 'sent' | 'transient' | 'permanent';
  http_status: number | null;
  error: string | null;
  latency_ms: number;
  provider_message_id: string | null;
  created_at: number;
}

// hosted login

/** A browser's login session: only the hash of its cookie's token is kept. `id` is the tokens' `sid`. */
export interface Session {
  id: string;
  token_hash: string;
  user_id: string;
  /** When the user proved who they are (the tokens' `auth_time`). */
  auth_time: number;
  created_at: number;
  last_used_at: number;
  /** The absolute end; the idle limit is counted from `last_used_at`. */
  expires_at: number;
}

/** The authorize parameters a hosted-page login carries to the redirect at its end. */
export interface LoginTransactionParams extends AuthParams {
  connection?: string;
  login_hint?: string;
  ui_locales?: string;
}

/**
 * A hosted-page login in progress: bound to one browser by a cookie (only its hash is kept) and
 * short-lived. It remembers the identifier once a code or link was sent to it. It is kept by
 * the browser, sealed (core/sealed-transaction.ts), not by the store.
 */
export interface LoginTransaction {
  binding_hash: string;
  client_id: string;
  params: LoginTransactionParams;
  connection: string | null;
  identifier: string | null;
  send: 'code' | 'link' | null;
  sent_at: number | null;
  created_at: number;
  expires_at: number;
}

/** A `/co/authenticate` result: one use within a minute, by the browser holding the verifier. */
export interface LoginTicket {
  ticket_hash: string;
  co_id: string;
  verifier_hash: string;
  client_id: string;
  user_id: string;
  /** The origin that called /co/authenticate. */
  origin: string;
  auth_time: number;
  expires_at: number;
  consumed_at: number | null;
}

/**
 * One tenant log event, as Auth0's `/api/v2/logs` shows it (core/tenant-log.ts makes it). It never
 * holds a code, a link secret, a token or a provider credential. `date` is ms since the epoch.
 */
export interface LogEvent {
  /** Sorts as `date` does: the checkpoint paging's order. */
  log_id: string;
  date: number;
  /** Auth0's event type code (`s`, `f`, `cs`, `sapi`...). */
  type: string;
  description: string;
  client_id: string | null;
  client_name: string | null;
  connection: string | null;
  connection_id: string | null;
  user_id: string | null;
  user_name: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}
/** A role (Auth0's RBAC): a named set of API permissions given to users. */
export interface Role {
  /** `rol_` and 16 letters or digits. */
  id: string;
  name: string;
  description: string;
  created_at: number;
}

/** A permission: one scope an API defines, named by the API's identifier and the scope's value. */
export interface PermissionRef {
  resource_server_identifier: string;
  permission_name: string;
}

/** Where a user's permission comes from: a role of theirs, or given to them directly. */
export type PermissionSource =
  | { source_type: 'DIRECT' }
  | { source_type: 'ROLE'; role_id: string; role_name: string };

/** A permission a user holds, with every way they hold it. */
export interface UserPermission extends PermissionRef {
  sources: PermissionSource[];
}

/** The members of a role as its listing shows them. */
export type RoleMember = Pick<User, 'user_id' | 'email' | 'name' | 'picture'>;
