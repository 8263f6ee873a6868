/**
 * Runs Auth0's Node SDK (`auth0`'s AuthenticationClient) in a child process, so that the process
 * trusts the test's certificate through NODE_EXTRA_CA_CERTS, as a deployment would. In-process
 * the SDK cannot be given the CA: its one `agent` option is both undici's dispatcher for its
 * requests and the `https.get` agent jose 4 uses to fetch the JWKS.
 *
 * The parent sends `{ id, client, call, args }`; `call` is a path such as
 * `passwordless.sendEmail` on an AuthenticationClient made with `client`, or `userInfo.getUserInfo`.
 */
import { AuthenticationClient, type AuthenticationClientOptions, UserInfoClient } from 'auth0/legacy';

export interface SdkRequest {
  id: number;
  client: AuthenticationClientOptions;
  call: string;
  args: unknown[];
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
      };
    };

const clients = new Map<string, AuthenticationClient>();

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
