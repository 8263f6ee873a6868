import type { LoginTicket, RefreshToken, Session } from '../../model.ts';

export interface RefreshTokenStore {
  putRefreshToken(token: RefreshToken): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Marks the token used if it is not yet; true only for the one caller that won. */
  useRefreshToken(id: string, now: number): Promise<boolean>;
  revokeRefreshFamily(familyId: string, now: number): Promise<void>;
  /** Revokes every refresh token issued to the application (it was deleted). */
  revokeClientRefreshTokens(clientId: string, now: number): Promise<void>;
  /** The family's live token (unused, unrevoked, unexpired at `now`), if it has one. */
  findRefreshFamily(familyId: string, now: number): Promise<RefreshFamily | undefined>;
  /** The user's families with a live token, by family id, those after `page.after` only. */
  listRefreshFamilies(userId: string, page: CheckpointPage, now: number): Promise<RefreshFamily[]>;
  /** Revokes every refresh token of the user. */
  revokeUserRefreshTokens(userId: string, now: number): Promise<void>;
}

/** A page read from a checkpoint (Auth0's `from`/`take`): items whose id sorts after `after`. */
export interface CheckpointPage {
  after?: string;
  limit: number;
}

/**
 * A refresh token as the Management API shows one: its family (the grant a login started, which
 * rotation carries on), the family's live token, and when the family began.
 */
export interface RefreshFamily {
  token: RefreshToken;
  started_at: number;
}

/** The hosted login's browser sessions. */
export interface SessionStore {
  putSession(session: Session): Promise<void>;
  /** The session whose cookie token hashes to `tokenHash`; expiry is the caller's business. */
  findSession(tokenHash: string): Promise<Session | undefined>;
  /** Records a use of the session (the idle limit counts from it). */
  touchSession(id: string, now: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
  getSession(id: string): Promise<Session | undefined>;
  /** The user's sessions still live at `now` (used since `idleSince`), by id, after `page.after`. */
  listUserSessions(
    userId: string,
    page: CheckpointPage,
    live: { now: number; idleSince: number },
  ): Promise<Session[]>;
  deleteUserSessions(userId: string): Promise<void>;
}

/** `/co/authenticate` results, waiting for the browser that holds their verifier. */
export interface LoginTicketStore {
  putLoginTicket(ticket: LoginTicket): Promise<void>;
  findLoginTicket(ticketHash: string): Promise<LoginTicket | undefined>;
  /** Marks a live, unused ticket used; returns it only to the one caller that won. */
  consumeLoginTicket(ticketHash: string, now: number): Promise<LoginTicket | undefined>;
}
