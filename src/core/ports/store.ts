import type { AuthorizationCodeStore, LoginCodeStore } from './store/codes.ts';
import type { ApplicationStore, ConnectionStore, SettingsStore } from './store/configuration.ts';
import type { PurgeStore } from './store/housekeeping.ts';
import type { LogStore } from './store/logs.ts';
import type { DevInboxStore, OutboxStore } from './store/messages.ts';
import type { RoleStore } from './store/roles.ts';
import type { SigningKeyStore } from './store/signing-keys.ts';
import type { LoginTicketStore, RefreshTokenStore, SessionStore } from './store/tokens.ts';
import type { UserStore } from './store/users.ts';

export type { AuthorizationCodeStore, LoginCodeStore } from './store/codes.ts';
export type {
  ApplicationCodec,
  ApplicationStore,
  ConnectionCodec,
  ConnectionStore,
  SettingsStore,
} from './store/configuration.ts';
export type { PurgeBefore, PurgeStore } from './store/housekeeping.ts';
export type { LogFilter, LogSearch, LogSearchField, LogStore } from './store/logs.ts';
export { LOG_SEARCH_FIELDS } from './store/logs.ts';
export type { DevInboxStore, OutboxMessagePatch, OutboxStore } from './store/messages.ts';
export type { Listed, RoleStore, RoleUpdate, Slice } from './store/roles.ts';
export type { SigningKeyStore } from './store/signing-keys.ts';
export type {
  CheckpointPage,
  LoginTicketStore,
  RefreshFamily,
  RefreshTokenStore,
  SessionStore,
} from './store/tokens.ts';
export type {
  IdentifierField,
  MetadataSnapshot,
  NewUser,
  UpdateOutcome,
  UserPatch,
  UserStore,
} from './store/users.ts';

/** Opening and closing the database, and keeping its schema current. */
export interface StoreLifecycle {
  /**
   * Brings the schema up to date and returns the names of the migrations it applied. Safe when
   * several instances start at once (PostgreSQL: an advisory lock; SQLite: one writer at a time).
   */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
  /** Resolves when the database answers a trivial query (readiness); rejects otherwise. */
  ping(): Promise<void>;
}

/**
 * Everything Tessera keeps, as the composition root opens it: every role below on one database.
 * A consumer asks for the roles it uses (KeySet a SigningKeyStore, the dev inbox a DevInboxStore).
 * Each method is one atomic operation; none reads then writes across two statements where a
 * concurrent request could interleave.
 */
export interface Store
  extends StoreLifecycle,
    SettingsStore,
    ApplicationStore,
    ConnectionStore,
    UserStore,
    RoleStore,
    LoginCodeStore,
    AuthorizationCodeStore,
    RefreshTokenStore,
    SessionStore,
    LoginTicketStore,
    SigningKeyStore,
    DevInboxStore,
    OutboxStore,
    LogStore,
    PurgeStore {}
