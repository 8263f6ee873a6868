import { codeMatches } from './codes.ts';
import type { Context } from './context.ts';
import { AuthError, invalidGrant } from './errors.ts';
import type { Application, Connection, LoginCode } from './model.ts';
import { appFields } from './tenant-log.ts';
import {
  admitVerification,
  countWrongCode,
  identifierLocked,
  settleVerification,
} from './verification-limits.ts';

/** `peek` checks a code without using it up (POST /passwordless/verify); `consume` logs in with it. */
export type CheckMode = 'peek' | 'consume';

/**
 * What the caller may redeem: a typed `code`, or also a magic `link`. A link's secret is accepted
 * only by the link endpoint, so holding a link never skips its same-browser check.
 */
export type Redeemable = 'code' | 'code-or-link';

/** What a verification checks: a secret typed (or linked) for an identifier, from a client IP. */
export interface CodeCheck {
  app: Application;
  connection: Connection;
  identifier: string;
  secret: string;
  /** The client's IP, counted against `rate_limits.verify_failures_per_ip`. */
  ip: string;
}

/**
 * Checks a code or link secret for an identifier. Every check first takes one attempt atomically,
 * so however many requests race, at most `max_attempts` secrets are ever compared; a right
 * secret is then consumed by exactly one of them. The per-IP and per-identifier limits
 * (verification-limits.ts) apply first: an IP past its limit gets 429, and while the identifier is
 * locked a typed code is refused as a wrong one, with its attempt taken, without being compared.
 */
export async function checkCode(
  ctx: Context,
  check: CodeCheck,
  mode: CheckMode,
  redeemable: Redeemable = 'code',
): Promise<LoginCode> {
  try {
    return await checkOnce(ctx, check, mode, redeemable);
  } catch (error) {
    // A refusal is a failed login in the tenant log (a 429 was logged as the limit it hit).
    if (error instanceof AuthError && error.status !== 429)
      ctx.tenantLog.emit({
        type: 'f',
        description: error.description,
        ...appFields(check.app),
        connection: check.connection.name,
        user_name: check.identifier,
        ip: check.ip,
      });
    throw error;
  }
}

async function checkOnce(
  ctx: Context,
  check: CodeCheck,
  mode: CheckMode,
  redeemable: Redeemable,
): Promise<LoginCode> {
  const { app, connection, identifier, secret, ip } = check;
  await admitVerification(ctx, ip);
  const wrong = wrongCode(connection);
  const [found, locked] = await Promise.all([
    ctx.store.findLoginCode(app.client_id, connection.name, identifier),
    identifierLocked(ctx, connection, identifier),
  ]);
  if (!found || (found.send === 'link' && redeemable === 'code')) throw wrong;
  const now = ctx.clock.now();
  if (found.send === 'link') return checkLinkSecret(ctx, check, found, mode, now);
  const taken = await ctx.store.takeLoginAttempt(found.id, now);
  if (!taken) {
    const latest = await ctx.store.findLoginCode(app.client_id, connection.name, identifier);
    const exhausted =
      latest?.id === found.id &&
      latest.consumed_at === null &&
      latest.expires_at > now &&
      latest.attempts >= latest.max_attempts;
    throw exhausted ? tooManyAttempts() : wrong;
  }
  const outOfAttempts = () => (taken.attempts >= taken.max_attempts ? tooManyAttempts() : wrong);
  if (locked) throw outOfAttempts();
  if (!codeMatches(ctx.secrets.codeKey, taken.id, secret, taken.code_hash)) {
    await countWrongCode(ctx, connection, identifier);
    throw outOfAttempts();
  }
  if (mode === 'peek') {
    await Promise.all([
      ctx.store.returnLoginAttempt(taken.id),
      settleVerification(ctx, connection, identifier, ip),
    ]);
    return taken;
  }
  if (!(await ctx.store.consumeLoginCode(taken.id, now))) throw wrong;
  await settleVerification(ctx, connection, identifier, ip);
  return taken;
}

/**
 * A magic link's secret (256 bits) cannot be guessed, so it has no attempts to spend: counting
 * wrong secrets against the link would only let anyone who knows the address kill it (posting the
 * confirmation form with a made-up secret). Nor is it locked. A wrong secret counts toward the
 * client's IP alone (admitVerification); the right one is consumed once, atomically.
 */
async function checkLinkSecret(
  ctx: Context,
  check: CodeCheck,
  link: LoginCode,
  mode: CheckMode,
  now: number,
): Promise<LoginCode> {
  const wrong = wrongCode(check.connection);
  if (link.consumed_at !== null || link.expires_at <= now) throw wrong;
  if (!codeMatches(ctx.secrets.codeKey, link.id, check.secret, link.code_hash)) throw wrong;
  if (mode === 'consume' && !(await ctx.store.consumeLoginCode(link.id, now))) throw wrong;
  await settleVerification(ctx, check.connection, check.identifier, check.ip);
  return link;
}

export function wrongCode(connection: Connection): AuthError {
  const what = connection.strategy === 'email' ? 'email' : 'phone number';
  return invalidGrant(`Wrong ${what} or verification code.`);
}

function tooManyAttempts(): AuthError {
  return invalidGrant("You've reached the maximum number of attempts. Please try to login again.");
}
