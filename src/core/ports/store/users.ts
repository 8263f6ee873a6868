import type { User } from '../../model.ts';
import type { UserList, UserQuery } from '../../user-query.ts';

export type IdentifierField = 'email' | 'phone_number';

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

/** The metadata an update was computed from: it is written only if they are still so. */
export type MetadataSnapshot = Pick<User, 'app_metadata' | 'user_metadata'>;

/**
 * What an update came to: the user as written, `taken` when the new email or phone number is
 * another user's on the connection, `changed` when the metadata were no longer the snapshot, or
 * undefined when there is no such user.
 */
export type UpdateOutcome = User | 'taken' | 'changed' | undefined;

export interface UserStore {
  getUser(userId: string): Promise<User | undefined>;
  findUser(connection: string, field: IdentifierField, value: string): Promise<User | undefined>;
  /** Inserts the user, or returns the existing one with the same connection and identifier. */
  createUser(user: NewUser): Promise<{ user: User; created: boolean }>;
  updateUser(userId: string, patch: UserPatch, snapshot?: MetadataSnapshot): Promise<UpdateOutcome>;
  /** A page of the users `query` matches, in its order, and their number when asked. */
  listUsers(query: UserQuery): Promise<UserList<User>>;
  /** Every user with this (normalised, lower-case) email address, on any connection. */
  findUsersByEmail(email: string): Promise<User[]>;
  /**
   * Deletes the user and, in the same transaction, what they could still log in or continue with:
   * pending codes, authorization codes, login tickets, sessions and refresh tokens. False when
   * there was no such user.
   */
  deleteUser(userId: string): Promise<boolean>;
  /** Bumps the login counters and marks the identifier verified, atomically. */
  recordLogin(userId: string, field: IdentifierField, ip: string, now: number): Promise<User | undefined>;
}
