import type { User } from '../../model.ts';

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

export interface UserStore {
  getUser(userId: string): Promise<User | undefined>;
  findUser(connection: string, field: IdentifierField, value: string): Promise<User | undefined>;
  /** Inserts the user, or returns the existing one with the same connection and identifier. */
  createUser(user: NewUser): Promise<{ user: User; created: boolean }>;
  updateUser(userId: string, patch: UserPatch): Promise<User | undefined>;
  /** Bumps the login counters and marks the identifier verified, atomically. */
  recordLogin(userId: string, field: IdentifierField, ip: string, now: number): Promise<User | undefined>;
}
