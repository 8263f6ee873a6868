import { PASSWORDLESS_OTP_GRANT } from '../config/schema.ts';
import { isEnabledFor } from './applications.ts';
import type { Context } from './context.ts';
import { AuthError } from './errors.ts';
import { identifierField, normaliseIdentifier } from './identifiers.ts';
import { checkMetadata } from './metadata.ts';
import type { Application, Connection, User } from './model.ts';
import { sendLoginCode } from './passwordless.ts';
import { createUser } from './users.ts';

/** The body of `POST /api/v2/users` after schema validation. */
export interface CreateUserRequest {
  connection: string;
  email?: string;
  phone_number?: string;
  email_verified?: boolean;
  phone_verified?: boolean;
  name?: string;
  nickname?: string;
  picture?: string;
  blocked?: boolean;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

const apiError = (status: number, description: string) =>
  new AuthError(status, status === 409 ? 'conflict' : 'invalid_body', description);

/** The request's connection and its normalised identifier, or a 400 saying what is wrong. */
async function identify(ctx: Context, req: CreateUserRequest) {
  const connection = await ctx.store.getConnection(req.connection);
  if (!connection) throw apiError(400, 'The connection does not exist.');
  const field = identifierField(connection.strategy);
  try {
    return { connection, field, identifier: normaliseIdentifier(connection.strategy, req[field]) };
  } catch (error) {
    throw apiError(400, (error as AuthError).description);
  }
}

/** Creates a user on a passwordless connection; 409 when the identifier is taken. */
export async function createUserByAdmin(ctx: Context, req: CreateUserRequest): Promise<User> {
  checkMetadata('app_metadata', req.app_metadata);
  checkMetadata('user_metadata', req.user_metadata);
  const { connection, field, identifier } = await identify(ctx, req);
  if (await ctx.store.findUser(connection.name, field, identifier)) {
    throw apiError(409, 'The user already exists.');
  }
  const { user } = await createUser(ctx, {
    connection,
    identifier,
    verified: field === 'email' ? req.email_verified : req.phone_verified,
    name: req.name,
    nickname: req.nickname,
    picture: req.picture,
    app_metadata: req.app_metadata,
    user_metadata: req.user_metadata,
    blocked: req.blocked,
  });
  return user;
}

/**
 * Legacy `POST /api/users` (the seed docs' flow): creates the user if needed and sends a code
 * for `client_id`, or for the first application allowed to log in with codes on the connection.
 */
export async function createUserAndSendCode(
  ctx: Context,
  req: CreateUserRequest & { client_id?: string },
  language: string | null,
): Promise<User> {
  const { connection, field, identifier } = await identify(ctx, req);
  const app = await applicationFor(ctx, connection, req.client_id);
  const user =
    (await ctx.store.findUser(connection.name, field, identifier)) ??
    (await createUser(ctx, { connection, identifier })).user;
  // Sent for a back end's call: no browser of the user's is there to bind.
  await sendLoginCode(ctx, {
    app,
    connection,
    identifier,
    send: 'code',
    authParams: {},
    language,
    bindBrowser: false,
  });
  return user;
}

async function applicationFor(
  ctx: Context,
  connection: Connection,
  clientId: string | undefined,
): Promise<Application> {
  const enabled = (app: Application) => isEnabledFor(connection, app);
  if (clientId !== undefined) {
    const app = await ctx.store.getApplication(clientId);
    if (!app || !enabled(app))
      throw apiError(400, 'The client does not exist or may not use this connection.');
    return app;
  }
  const app = (await ctx.store.listApplications()).find(
    (a) => enabled(a) && a.grant_types.includes(PASSWORDLESS_OTP_GRANT),
  );
  if (!app) throw apiError(400, 'No application may log in with codes on this connection; pass client_id.');
  return app;
}

/** `DELETE /api/v2/users/{id}`: the user goes, with every code, session and token of theirs. */
export async function deleteUserByAdmin(ctx: Context, userId: string): Promise<void> {
  if (!(await ctx.store.deleteUser(userId)))
    throw new AuthError(404, 'inexistent_user', 'The user does not exist.');
}
