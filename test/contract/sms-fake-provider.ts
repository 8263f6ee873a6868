import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake provider received it, body as raw text. */
export interface RecordedRequest {
  method: string;
  /** Path and query string. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the fake provider answers; `hang` never answers at all. */
export type FakeAnswer =
  | { status: number; headers?: Record<string, string>; body?: string | object }
  | 'hang';

/**
 * An HTTP server on 127.0.0.1 standing in for an SMS provider's API: it records every request and
 * answers whatever the test told it to.
 */
export class FakeProvider {
  readonly requests: RecordedRequest[] = [];
  private next: FakeAnswer = { status: 200, body: {} };
  /** Answers to give first, in order, before `next` (fault injection: a 500, then a 201). */
  private queued: FakeAnswer[] = [];
  private readonly hanging = new Set<ServerResponse>();
  /** Run on each request before it is answered (fault injection: the database goes away meanwhile). */
  beforeAnswer: ((request: RecordedRequest) => Promise<void> | void) | undefined;

  private constructor(private readonly server: Server) {}

  /** A config entry for an SMS connection `name` that sends through this fake as Twilio. */
  twilioConnection(token: string, name = 'sms') {
    return {
      name,
      strategy: 'sms',
      options: {
        provider: 'twilio',
        twilio_sid: `AC${'0123456789abcdef'.repeat(2)}`,
        twilio_token: token,
        from: '+15005550006',
        twilio_base_url: this.url,
      },
    };
  }

  static async start(): Promise<FakeProvider> {
    const server = createServer();
    const fake = new FakeProvider(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const recorded = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        fake.requests.push(recorded);
        await fake.beforeAnswer?.(recorded);
        fake.answer(response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Sets the answer to every request from now on, and forgets the requests seen so far. */
  willAnswer(answer: FakeAnswer): void {
    this.next = answer;
    this.queued = [];
    this.requests.length = 0;
  }

  /** Answers the next requests with `answers` in order, then with `then` from there on. */
  willAnswerInTurn(answers: FakeAnswer[], then: FakeAnswer): void {
    this.willAnswer(then);
    this.queued = [...answers];
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(response: ServerResponse): void {
    const answer = this.queued.shift() ?? this.next;
    if (answer === 'hang') {
      this.hanging.add(response);
      return;
    }
    const json = typeof answer.body === 'object';
    response.writeHead(answer.status, {
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...answer.headers,
    });
    response.end(json ? JSON.stringify(answer.body) : (answer.body ?? ''));
  }
}

/** A URL on 127.0.0.1 where nothing listens, for "connection refused". */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
