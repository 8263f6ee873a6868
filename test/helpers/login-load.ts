import { decodeJwt } from 'jose';
import { errorOf } from './error-body.ts';
import { OTP_GRANT } from './server.ts';

/** A login that got its tokens (a 200 from /oauth/token): what must hold after any fault. */
export interface AcknowledgedLogin {
  email: string;
  userId: string;
  /** The newest refresh token of its family (each refresh rotates it). */
  refreshToken: string;
}

/** One answer as a client saw it: its status and body, or `null` when no HTTP answer came. */
export interface Answer {
  status: number | null;
  body: Record<string, unknown>;
  headers: Headers | null;
  ms: number;
}

/** POSTs JSON, never throwing: a refused or reset connection is an answer of status `null`. */
export async function post(origin: string, path: string, body: unknown): Promise<Answer> {
  return call(origin, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function call(origin: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(`${origin}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
    return { status: response.status, body, headers: response.headers, ms: performance.now() - started };
  } catch (error) {
    return { status: null, body: { error: String(error) }, headers: null, ms: performance.now() - started };
  }
}

/**
 * One email-code login with a refresh token, as an application makes it: start, the code from the
 * dev inbox, the token. Every answer is handed to `seen`; the login is returned when it got tokens.
 */
export async function login(
  origin: string,
  clientId: string,
  email: string,
  seen: (step: string, answer: Answer) => void = () => {},
): Promise<AcknowledgedLogin | undefined> {
  const started = await post(origin, '/passwordless/start', {
    client_id: clientId,
    connection: 'email',
    email,
    send: 'code',
  });
  seen('start', started);
  if (started.status !== 200) return undefined;
  const inbox = await call(origin, `/dev/inbox/messages?to=${encodeURIComponent(email)}`);
  seen('inbox', inbox);
  const code = (inbox.body as unknown as { code: string | null }[])[0]?.code;
  if (inbox.status !== 200 || !code) return undefined;
  const token = await post(origin, '/oauth/token', {
    grant_type: OTP_GRANT,
    client_id: clientId,
    realm: 'email',
    username: email,
    otp: code,
    scope: 'openid offline_access',
  });
  seen('token', token);
  if (token.status !== 200) return undefined;
  return {
    email,
    userId: decodeJwt(token.body.id_token as string).sub as string,
    refreshToken: token.body.refresh_token as string,
  };
}

/** Refreshes a login's token; returns the answer's status, keeping the rotated token. */
export async function refresh(origin: string, clientId: string, done: AcknowledgedLogin): Promise<number> {
  const answer = await post(origin, '/oauth/token', {
    grant_type: 'refresh_token',
    client_id: clientId,
    refresh_token: done.refreshToken,
  });
  if (answer.status === 200) done.refreshToken = answer.body.refresh_token as string;
  return answer.status ?? 0;
}

/** The statuses of refreshing every login, 16 at a time. */
export async function refreshAll(
  origin: string,
  clientId: string,
  logins: AcknowledgedLogin[],
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < logins.length; i += 16)
    statuses.push(
      ...(await Promise.all(logins.slice(i, i + 16).map((done) => refresh(origin, clientId, done)))),
    );
  return statuses;
}

/**
 * `workers` clients logging in one after another until `stop()`: every answer is counted by step
 * and status, and every login that got tokens is kept.
 */
export class LoginLoad {
  readonly acknowledged: AcknowledgedLogin[] = [];
  /** Answers by `step status`, e.g. `token 503`; `null` is no answer at all. */
  readonly answers = new Map<string, number>();
  /** Every answer that was neither a 200 nor the 503 of an unavailable store. */
  readonly unexpected: { step: string; answer: Answer }[] = [];
  private running = true;
  private readonly workers: Promise<void>[];

  constructor(origin: string, clientId: string, workers: number, prefix: string) {
    this.workers = Array.from({ length: workers }, async (_, worker) => {
      for (let n = 0; this.running; n++) {
        const done = await login(origin, clientId, `${prefix}-w${worker}-${n}@example.com`, (step, a) =>
          this.count(step, a),
        );
        if (done) this.acknowledged.push(done);
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** Answers with this status (any step). */
  total(status: number | null): number {
    let sum = 0;
    for (const [key, n] of this.answers) if (key.endsWith(` ${status}`)) sum += n;
    return sum;
  }

  private count(step: string, answer: Answer): void {
    const key = `${step} ${answer.status}`;
    this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
    if (answer.status !== 200 && !isUnavailable(answer)) this.unexpected.push({ step, answer });
  }
}

/** A 503 that says "try again": one of the store-unavailable bodies, with Retry-After. */
export function isUnavailable(answer: Answer): boolean {
  const { code: error } = errorOf(answer.body);
  return (
    answer.status === 503 &&
    answer.headers?.get('retry-after') !== null &&
    (error === 'temporarily_unavailable' || error === 'server_error')
  );
}
