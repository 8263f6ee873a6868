import type { LoginTicket, RefreshToken, Session } from '../../model.ts';

export interface RefreshTokenStore {
  putRefreshToken(token: RefreshToken): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Marks the token used if it is not yet; true only for the one caller that won. */
  useRefreshToken(id: string, now: number): Promise<boolean>;
  revokeRefreshFamily(familyId: string, now: number): Promise<void>;
  /** Revokes every refresh token issued to the application (it was deleted). */
  revokeClientRefreshTokens(clientId: string, now: number): Promise<void>;
}

/** The hosted login's browser sessions. */
export interface SessionStore {
  putSession(session: Session): Promise<void>;
  /** The session whose cookie token hashes to `tokenHash`; expiry is the caller's business. */
  findSession(tokenHash: string): Promise<Session | undefined>;
  /** Records a use of the session (the idle limit counts from it). */
  touchSession(id: string, now: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
}

/** `/co/authenticate` results, waiting for the browser that holds their verifier. */
export interface LoginTicketStore {
  putLoginTicket(ticket: LoginTicket): Promise<void>;
  findLoginTicket(ticketHash: string): Promise<LoginTicket | undefined>;
  /** Marks a live, unused ticket used; returns it only to the one caller that won. */
  consumeLoginTicket(ticketHash: string, now: number): Promise<LoginTicket | undefined>;
}
