/**
 * Local stand-ins for the email providers, all on 127.0.0.1: a real SMTP server (smtp-server) and
 * a node:http server that records each request and answers what the test tells it to.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** What the fake server is told to do with the next messages. */
export type Scenario = 'accept' | 'bad_recipient' | 'server_error' | 'rate_limited' | 'hang';

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl for this run. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-email-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A port on 127.0.0.1 where nothing listens. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ReceivedMail {
  mailFrom: string | null;
  rcptTo: string[];
  auth: { method: string; username: string } | null;
  /** Whether the session ran over TLS (implicit or after STARTTLS). */
  secured: boolean;
  mail: ParsedMail;
}

export interface SmtpFakeOptions {
  user: string;
  pass: string;
  /** Implicit TLS from the first byte. */
  secure?: boolean;
  /** Offer STARTTLS with this certificate; without it (and without `secure`) the server is plain. */
  tls?: { key: string; cert: string };
  authMethods?: string[];
  /** Let clients send without AUTH. */
  authOptional?: boolean;
}

export interface SmtpFake {
  port: number;
  scenario: Scenario;
  received: ReceivedMail[];
  close(): Promise<void>;
}

export async function startSmtpFake(options: SmtpFakeOptions): Promise<SmtpFake> {
  const tls = options.tls ?? null;
  const fake: SmtpFake = { port: 0, scenario: 'accept', received: [], close: async () => {} };
  const server = new SMTPServer({
    secure: options.secure ?? false,
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    hideSTARTTLS: !tls || options.secure === true,
    // Without a certificate of ours, refuse STARTTLS outright (smtp-server has a built-in one).
    ...(tls ? {} : { disabledCommands: ['STARTTLS'] }),
    allowInsecureAuth: !tls && !options.secure,
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN'],
    authOptional: options.authOptional ?? false,
    logger: false,
    closeTimeout: 200,
    onConnect(_session, callback) {
      // A server that accepted the connection and then says nothing at all.
      if (fake.scenario !== 'hang') callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.pass) {
        callback(null, { user: { method: auth.method, username: auth.username } });
        return;
      }
      // Echo what was sent, as careless servers do: the provider must not repeat it.
      callback(new Error(`Invalid username or password (${auth.username}/${auth.password})`));
    },
    onRcptTo(address, _session, callback) {
      if (fake.scenario === 'bad_recipient') {
        callback(smtpReply(550, `5.1.1 <${address.address}>: Recipient address rejected: no such user`));
      } else if (fake.scenario === 'rate_limited') {
        callback(smtpReply(451, '4.7.1 Too many messages, slow down'));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          if (fake.scenario === 'server_error') {
            callback(smtpReply(451, '4.3.0 Temporary local problem, try again later'));
            return;
          }
          fake.received.push({
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
            rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            auth: (session.user as ReceivedMail['auth'] | undefined) ?? null,
            secured: session.secure,
            mail,
          });
          callback(null, 'Message queued as fake-1');
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.server.address() as { port: number }).port;
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}

function smtpReply(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface HttpFake {
  url: string;
  requests: RecordedRequest[];
  /** Decides the answer to each request; `hang` never answers. */
  answer: (request: RecordedRequest) => FakeAnswer | 'hang';
  close(): Promise<void>;
}

export async function startHttpFake(): Promise<HttpFake> {
  const fake: HttpFake = {
    url: '',
    requests: [],
    answer: () => ({ status: 500 }),
    close: async () => {},
  };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      fake.requests.push(request);
      const answer = fake.answer(request);
      if (answer === 'hang') return;
      const body =
        answer.body === undefined
          ? ''
          : typeof answer.body === 'string'
            ? answer.body
            : JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        ...(typeof answer.body === 'object' ? { 'content-type': 'application/json' } : {}),
        ...answer.headers,
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
