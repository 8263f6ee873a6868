import { Writable } from 'node:stream';
import { createLogger } from '../../src/http/logger.ts';
import type { Answer, TestServer } from './server.ts';

/** The secret of the Management applications test files declare. */
export const MANAGER_SECRET = 'manager-secret-0123456789abcdef';

/** Every scope the connection and client routes ask for. */
export const CONFIGURATION_SCOPES = [
  'read:connections',
  'create:connections',
  'update:connections',
  'delete:connections',
  'read:clients',
  'create:clients',
  'update:clients',
  'delete:clients',
  'update:client_keys',
  'update:client_grants',
];

/** A confidential client_credentials application granted `scopes` on the Management API. */
export function managementApp(client_id: string, management_scopes: string[]) {
  return {
    client_id,
    client_secret: MANAGER_SECRET,
    name: client_id,
    app_type: 'non_interactive',
    grant_types: ['client_credentials'],
    management_scopes,
  };
}

/** Calls the Management API with a bearer token (none when `token` is undefined). */
export function api<T = Record<string, unknown>>(
  server: TestServer,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<Answer<T>> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return server.request<T>(path, {
    method,
    headers,
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

/** The server's own logger (with its redaction) writing into `lines`, at debug level. */
export function capturedLogger(lines: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return createLogger('debug', false, sink);
}

/** Expects a Management API error answer: the status and Auth0's body (`errorCode` is the machine code). */
export function managementError(answer: Answer, status: number): Record<string, unknown> {
  const context = `${answer.status} ${JSON.stringify(answer.body)}`;
  if (answer.status !== status) throw new Error(`expected ${status}, got ${context}`);
  const body = answer.body;
  for (const key of ['error', 'errorCode', 'message'])
    if (typeof body[key] !== 'string') throw new Error(`no ${key} in ${context}`);
  if (body.statusCode !== status) throw new Error(`statusCode is not ${status} in ${context}`);
  return body;
}
