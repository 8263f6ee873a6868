import type { Context } from './context.ts';
import { AuthError } from './errors.ts';
import { EXCHANGE_DESCRIPTIONS } from './log-event-types.ts';
import type { Application, User } from './model.ts';

/** The token exchanges the tenant log records, each with its pair of Auth0 codes. */
const EXCHANGES = {
  authorization_code: { success: 'seacft', failure: 'feacft' },
  refresh_token: { success: 'sertft', failure: 'fertft' },
  client_credentials: { success: 'seccft', failure: 'feccft' },
} as const;

export type Exchange = keyof typeof EXCHANGES;

/** What an exchange says of itself as it goes: the application once known, the user once found. */
export interface ExchangeNotes {
  app?: Application;
  user?: User;
}

/**
 * Runs a token exchange and writes its outcome to the tenant log: Auth0's success code, or its
 * failure code with the refusal's description. A fault that is not a refusal (the database away)
 * is not the client's doing, and is not logged as its failure.
 */
export async function loggedExchange<T>(
  ctx: Context,
  exchange: Exchange,
  origin: { client_id: string | undefined; ip: string | undefined },
  run: (notes: ExchangeNotes) => Promise<T>,
): Promise<T> {
  const notes: ExchangeNotes = {};
  const fields = () => ({
    client_id: notes.app?.client_id ?? origin.client_id?.slice(0, 256) ?? null,
    client_name: notes.app?.name ?? null,
    user_id: notes.user?.user_id ?? null,
    user_name: notes.user ? (notes.user.email ?? notes.user.phone_number) : null,
    connection: notes.user?.connection ?? null,
    ip: origin.ip ?? null,
  });
  try {
    const result = await run(notes);
    ctx.tenantLog.emit({
      ...fields(),
      type: EXCHANGES[exchange].success,
      description: EXCHANGE_DESCRIPTIONS[exchange],
    });
    return result;
  } catch (error) {
    if (error instanceof AuthError)
      ctx.tenantLog.emit({ ...fields(), type: EXCHANGES[exchange].failure, description: error.description });
    throw error;
  }
}
