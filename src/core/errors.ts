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
