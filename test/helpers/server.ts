import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { Agent } from 'undici';
import { validateConfig } from '../../src/config/load.ts';
import { ManualClock } from '../../src/core/sources.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

export const OTP_GRANT = 'http://auth0.com/oauth/grant-type/passwordless/otp';

/** A clock that runs with real time (for the outbox's retries) yet can still be moved forward. */
export class LiveClock extends ManualClock {
  private offset = 0;

  override now(): number {
    return Date.now() + this.offset;
  }

  override advance(ms: number): void {
    this.offset += ms;
  }
}

export interface TestServerOptions {
  /** Config keys to set (merged over the test defaults). */
  config?: Record<string, unknown>;
  clock?: ManualClock;
  /** Reuse a data directory (to restart on the same SQLite file). */
  dataDir?: string;
  port?: number;
  /** PEM certificate to trust, for a server started with `tls`. */
  ca?: string;
  /** The server's logger (silent unless a test wants to read what it logs). */
  logger?: FastifyBaseLogger;
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface InboxEntry {
  to: string;
  channel: string;
  subject: string | null;
  text: string;
  html: string | null;
  code: string | null;
  link: string | null;
  created_at: string;
}

/** A Tessera server on a free port with a temporary SQLite file, driven over real HTTP. */
export class TestServer {
  // Each server gets its own connection pool, so no request after a restart rides a socket the
  // previous process closed.
  private readonly dispatcher: Agent;

  private constructor(
    readonly server: RunningServer,
    readonly dataDir: string,
    readonly port: number,
    readonly clock: ManualClock,
    private readonly options: TestServerOptions,
    /** True when this helper made the data directory, and so removes it on close. */
    private readonly ownsDataDir: boolean,
  ) {
    this.dispatcher = new Agent({ keepAliveTimeout: 1000, connect: { ca: options.ca } });
  }

  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await TestServer.launch(options, options.dataDir === undefined);
      } catch (error) {
        // A port chosen here (not by the test) that another listener took first: take another.
        if (options.port !== undefined || !isAddressInUse(error) || attempt >= 5) throw error;
      }
    }
  }

  private static async launch(options: TestServerOptions, ownsDataDir: boolean): Promise<TestServer> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tessera-test-'));
    const port = options.port ?? (await freePort());
    const clock = options.clock ?? new ManualClock();
    const config = validateConfig({
      port,
      host: '127.0.0.1',
      issuer: `${options.config?.tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
      data_dir: dataDir,
      environment: 'test',
      log_level: 'silent',
      rate_limits: {
        start_per_ip_per_hour: 100_000,
        authorize_per_ip_per_minute: 100_000,
        start_per_application_per_hour: 100_000,
        verify_failures_per_ip: 100_000,
      },
      ...options.config,
    });
    const logger = options.logger ?? (pino({ level: 'silent' }) as FastifyBaseLogger);
    const server = await startServer(config, { clock, logger });
    return new TestServer(server, dataDir, port, clock, options, ownsDataDir);
  }

  get url(): string {
    return `${this.server.ctx.config.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  get issuer(): string {
    return this.server.ctx.config.issuer;
  }

  /** The Default App's callback: this issuer's development /callback page. */
  get callback(): string {
    return `${this.issuer}callback`;
  }

  /** The client_id of the Default App (or the first application). */
  async clientId(): Promise<string> {
    const apps = await this.server.ctx.store.listApplications();
    const app = apps.find((a) => a.name === 'Default App') ?? apps[0];
    if (!app) throw new Error('no application');
    return app.client_id;
  }

  /** Stops and starts again on the same data directory and port. */
  async restart(): Promise<TestServer> {
    await this.server.close();
    await this.dispatcher.close();
    const same = { ...this.options, dataDir: this.dataDir, port: this.port, clock: this.clock };
    return TestServer.launch(same, this.ownsDataDir);
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.dispatcher.close();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** POSTs JSON (or a form when `form` is set) and parses the JSON answer. */
  async post<T = Record<string, unknown>>(
    path: string,
    body: unknown,
    init: { form?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = {
      'content-type': init.form ? 'application/x-www-form-urlencoded' : 'application/json',
      ...init.headers,
    };
    const payload = init.form
      ? new URLSearchParams(body as Record<string, string>).toString()
      : typeof body === 'string'
        ? body
        : JSON.stringify(body);
    return this.request<T>(path, { method: 'POST', headers, body: payload });
  }

  async get<T = Record<string, unknown>>(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> {
    return this.request<T>(path, { method: 'GET', headers });
  }

  async request<T>(path: string, init: RequestInit): Promise<Answer<T>> {
    const response = await fetch(`${this.url}${path}`, {
      redirect: 'manual',
      ...init,
      dispatcher: this.dispatcher,
    } as RequestInit);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // HTML pages and redirects stay text.
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  /** Messages the dev inbox holds for a recipient, newest first. */
  async inbox(to: string): Promise<InboxEntry[]> {
    const answer = await this.get<InboxEntry[]>(`/dev/inbox/messages?to=${encodeURIComponent(to)}`);
    return answer.body;
  }

  /** Starts a login by code and returns the code the dev inbox received. */
  async startCode(
    clientId: string,
    identifier: { email: string } | { phone_number: string },
    connection = 'email' in identifier ? 'email' : 'sms',
  ): Promise<string> {
    const answer = await this.post('/passwordless/start', {
      client_id: clientId,
      connection,
      send: 'code',
      ...identifier,
    });
    if (answer.status !== 200)
      throw new Error(`start failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    const to =
      'email' in identifier ? identifier.email.trim().toLowerCase() : String(answer.body.phone_number);
    const [latest] = await this.inbox(to);
    if (!latest?.code) throw new Error(`no code in the dev inbox for ${to}`);
    return latest.code;
  }

  /**
   * Logs a user in as an app would: a code sent to the email address (or number), read from the dev
   * inbox, exchanged with the passwordless grant. Resolves with the token answer, whatever its
   * status; `extra` goes into the grant (scope, audience...).
   */
  async login(
    clientId: string,
    identifier: { email: string } | { phone_number: string },
    extra: Record<string, string> = {},
  ): Promise<Answer<Record<string, string>>> {
    const code = await this.startCode(clientId, identifier);
    const [realm, username] =
      'email' in identifier ? ['email', identifier.email] : ['sms', identifier.phone_number];
    return this.otpGrant(clientId, realm, username, code, extra);
  }

  /** A Management API token for a confidential application, by the client_credentials grant. */
  async managementToken(clientId: string, clientSecret: string): Promise<string> {
    const answer = await this.post('/oauth/token', {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience: `${this.issuer}api/v2/`,
    });
    if (answer.status !== 200)
      throw new Error(`client_credentials failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.access_token as string;
  }

  /** Exchanges a code for tokens with the passwordless OTP grant. */
  otpGrant(
    clientId: string,
    realm: string,
    username: string,
    otp: string,
    extra: Record<string, string> = {},
  ) {
    return this.post<Record<string, string>>('/oauth/token', {
      grant_type: OTP_GRANT,
      client_id: clientId,
      realm,
      username,
      otp,
      ...extra,
    });
  }
}

/** A port nobody listens on right now. */
let lastPort = 10_000 + Math.floor(Math.random() * 20_000);

/**
 * A port nothing listens on now, below Linux's ephemeral range (32768 and up) so that no outgoing
 * connection of another process can be holding it. Another listener may still take it before the
 * caller does: callers retry on EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    lastPort = lastPort >= 32_000 ? 10_000 : lastPort + 1 + Math.floor(Math.random() * 50);
    const port = lastPort;
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export function isAddressInUse(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EADDRINUSE';
}
