/**
 * Runs Auth0's Node SDK (`auth0`'s AuthenticationClient, and its ManagementClient when the request
 * names `management`) in a child process, so that the process
 * trusts the test's certificate through NODE_EXTRA_CA_CERTS, as a deployment would. In-process
 * the SDK cannot be given the CA: its one `agent` option is both undici's dispatcher for its
 * requests and the `https.get` agent jose 4 uses to fetch the JWKS.
 *
 * The parent sends `{ id, client, call, args }`; `call` is a path such as
 * `passwordless.sendEmail` on an AuthenticationClient made with `client`, or `userInfo.getUserInfo`;
 * with `management`, a path such as `users.list` or `users.sessions.list` on a ManagementClient.
 */
import { ManagementClient } from 'auth0';
import { AuthenticationClient, type AuthenticationClientOptions, UserInfoClient } from 'auth0/legacy';

export interface SdkRequest {
  id: number;
  client: AuthenticationClientOptions;
  call: string;
  args: unknown[];
  /** Call the ManagementClient made with these instead (it takes its token by client_credentials). */
  management?: { domain: string; clientId: string; clientSecret: string };
}

export type SdkAnswer =
  | { id: number; ok: true; status: number; data: unknown }
  | {
      id: number;
      ok: false;
      error: {
        name: string;
        message: string;
        error?: string;
        error_description?: string;
        statusCode?: number;
        /** The parsed answer a ManagementClient error carries. */
        body?: unknown;
      };
    };

const clients = new Map<string, AuthenticationClient>();
const managers = new Map<string, ManagementClient>();

/** The object that owns the method `call` names on a ManagementClient (`users.sessions.list`). */
function managementTarget(request: SdkRequest): Record<string, unknown> {
  const options = request.management as NonNullable<SdkRequest['management']>;
  const key = JSON.stringify(options);
  let client = managers.get(key);
  if (!client) {
    client = new ManagementClient(options);
    managers.set(key, client);
  }
  let owner = client as unknown as Record<string, unknown>;
  for (const part of request.call.split('.').slice(0, -1)) owner = owner[part] as Record<string, unknown>;
  return owner;
}

async function runManagement(request: SdkRequest): Promise<SdkAnswer> {
  const owner = managementTarget(request) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const method = request.call.split('.').at(-1) as string;
  try {
    const result = (await owner[method]?.(...request.args)) as { data?: unknown } | undefined;
    // A list answers a Page: its items in `data`, the answer they came in as `response`.
    const data =
      result && typeof result === 'object' && 'response' in result
        ? { items: result.data, response: result.response }
        : result;
    return { id: request.id, ok: true, status: 200, data: data ?? null };
  } catch (caught) {
    const e = caught as Error & { statusCode?: number; body?: unknown };
    return {
      id: request.id,
      ok: false,
      error: { name: e.name, message: e.message, statusCode: e.statusCode, body: e.body },
    };
  }
}

function target(request: SdkRequest): Record<string, unknown> {
  if (request.call.startsWith('userInfo.')) {
    return { userInfo: new UserInfoClient({ domain: request.client.domain }) };
  }
  const key = JSON.stringify(request.client);
  let client = clients.get(key);
  if (!client) {
    client = new AuthenticationClient(request.client);
    clients.set(key, client);
  }
  return client as unknown as Record<string, unknown>;
}

async function run(request: SdkRequest): Promise<SdkAnswer> {
  if (request.management) return runManagement(request);
  const [group, method] = request.call.split('.') as [string, string];
  const owner = target(request)[group] as Record<string, (...args: unknown[]) => Promise<unknown>>;
  try {
    const result = (await owner[method]?.(...request.args)) as { status: number; data: unknown };
    return { id: request.id, ok: true, status: result.status, data: result.data };
  } catch (caught) {
    const e = caught as Error & { error?: string; error_description?: string; statusCode?: number };
    return {
      id: request.id,
      ok: false,
      error: {
        name: e.name,
        message: e.message,
        error: e.error,
        error_description: e.error_description,
        statusCode: e.statusCode,
      },
    };
  }
}

process.on('message', (request: SdkRequest) => {
  void run(request).then((answer) => process.send?.(answer));
});
process.send?.({ ready: true });
