import type { AuthorizationCode, LoginCode } from '../../model.ts';

/** The codes and links sent to an identifier: single use, with a bounded number of guesses. */
export interface LoginCodeStore {
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
  /** Deletes the application's login codes and authorization codes (it was deleted). */
  deleteClientCodes(clientId: string): Promise<void>;
}

/** OAuth authorization codes: exchanged once; a second exchange is remembered (RFC 6749 §4.1.2). */
export interface AuthorizationCodeStore {
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
}
