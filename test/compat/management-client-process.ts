/**
 * Runs Auth0's `ManagementClient` (from 'auth0', unchanged) in a child process, so that the process
 * trusts the test's certificate through NODE_EXTRA_CA_CERTS, as a deployment's would. The client
 * gets its token itself, with the client_credentials grant.
 *
 * The parent sends `{ id, options, call, args }`; `call` is a path such as `clients.create` on a
 * ManagementClient made with `options`. A list answers its first page's items.
 */
import { ManagementClient } from 'auth0';

export interface ManagementRequest {
  id: number;
  options: { domain: string; clientId: string; clientSecret: string };
  call: string;
  args: unknown[];
}

export type ManagementAnswer =
  | { id: number; ok: true; data: unknown }
  | { id: number; ok: false; error: { name: string; message: string; statusCode?: number; body?: unknown } };

const clients = new Map<string, ManagementClient>();

function clientFor(options: ManagementRequest['options']): ManagementClient {
  const key = JSON.stringify(options);
  let client = clients.get(key);
  if (!client) {
    client = new ManagementClient(options);
    clients.set(key, client);
  }
  return client;
}

async function run(request: ManagementRequest): Promise<ManagementAnswer> {
  const [group, method] = request.call.split('.') as [string, string];
  const owner = (
    clientFor(request.options) as unknown as Record<string, Record<string, (...args: unknown[]) => unknown>>
  )[group];
  try {
    const result = (await owner?.[method]?.apply(owner, request.args)) as unknown;
    // A list resolves to a Page: its items are what the caller wants.
    const data =
      result && typeof result === 'object' && 'hasNextPage' in result
        ? (result as unknown as { data: unknown }).data
        : result;
    return { id: request.id, ok: true, data: data ?? null };
  } catch (caught) {
    const e = caught as Error & { statusCode?: number; body?: unknown };
    return {
      id: request.id,
      ok: false,
      error: { name: e.name, message: e.message, statusCode: e.statusCode, body: e.body },
    };
  }
}

process.on('message', (request: ManagementRequest) => {
  void run(request).then((answer) => process.send?.(answer));
});
process.send?.({ ready: true });
