/**
 * The one error type of the domain. `error` is the wire code (`bad.email`, `invalid_grant`...),
 * `status` the HTTP status, `description` a human sentence that never contains a secret.
 */
export class AuthError extends Error {
  override name = 'AuthError';

  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    /** Extra headers for the answer (e.g. Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
    /** Members the error body carries besides `error` and `error_description` (a challenge to solve). */
    readonly details: Record<string, unknown> = {},
  ) {
    // An AuthError is an expected answer, not a fault: capturing a stack trace for it would be the
    // costliest part of refusing a wrong code, so none is taken.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(description);
    Error.stackTraceLimit = limit;
  }
}

export const badRequest = (error: string, description: string) => new AuthError(400, error, description);

/**
 * The errors core answers with most, by their OAuth name (as node-oidc-provider's classes are), so
 * that a rule says which refusal it makes and the status comes with it.
 */
export const invalidRequest = (description: string) => new AuthError(400, 'invalid_request', description);
export const unauthorizedClient = (description: string) =>
  new AuthError(400, 'unauthorized_client', description);
export const invalidClient = (description: string) => new AuthError(401, 'invalid_client', description);
/** Auth0 answers a wrong, expired or used code or grant with 403, not RFC 6749's 400. */
export const invalidGrant = (description: string) => new AuthError(403, 'invalid_grant', description);
export const accessDenied = (description: string) => new AuthError(403, 'access_denied', description);
/** A limit's refusal: the client may try again after `retryAfterS` seconds. */
export const tooManyRequests = (description: string, retryAfterS: number) =>
  new AuthError(429, 'too_many_requests', description, { 'retry-after': String(retryAfterS) });

/**
 * A Management API body the schema refuses: Auth0's `invalid_body`, with every problem named by its
 * key (never by its value, which may be a credential), at most a few, each cut short.
 */
export function invalidBody(problems: readonly string[]): AuthError {
  const named = problems.slice(0, 5).map((p) => (p.length > 200 ? `${p.slice(0, 200)}...` : p));
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
  return new AuthError(400, 'invalid_body', `Payload validation error: ${named.join('; ')}${more}`);
}

/** Auth0's 404 of a Management API object: `inexistent_<kind>`. */
export const notFound = (kind: string, description: string) =>
  new AuthError(404, `inexistent_${kind}`, description);
