import { type ChildProcess, fork } from 'node:child_process';
import type { SdkAnswer, SdkRequest } from './auth0-node-client.ts';

type ClientOptions = SdkRequest['client'];
type Management = NonNullable<SdkRequest['management']>;

/** Auth0's Node SDK in a child process that trusts the test certificate (NODE_EXTRA_CA_CERTS). */
export class NodeSdk {
  private next = 0;
  private readonly pending = new Map<number, (answer: SdkAnswer) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (answer: SdkAnswer) => this.pending.get(answer.id)?.(answer));
  }

  static async start(caFile: string): Promise<NodeSdk> {
    const child = fork(new URL('./auth0-node-client.ts', import.meta.url), {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
    });
    // Ready, or the reason it never will be (a child that dies at import would otherwise hang).
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the auth0 SDK process exited with ${code}`)));
    });
    return new NodeSdk(child);
  }

  /** Calls `call` (e.g. `passwordless.sendEmail`) on an AuthenticationClient made with `client`. */
  call(client: ClientOptions, call: string, ...args: unknown[]): Promise<SdkAnswer> {
    return this.send({ client, call, args });
  }

  /** Calls `call` (e.g. `users.list`) on a ManagementClient made with `management`. */
  manage(management: Management, call: string, ...args: unknown[]): Promise<SdkAnswer> {
    return this.send({
      client: { domain: management.domain, clientId: management.clientId },
      call,
      args,
      management,
    });
  }

  private send(request: Omit<SdkRequest, 'id'>): Promise<SdkAnswer> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, ...request } satisfies SdkRequest);
    });
  }

  /** The same, expecting success: the response's data. */
  async ok<T = Record<string, string>>(client: ClientOptions, call: string, ...args: unknown[]): Promise<T> {
    const answer = await this.call(client, call, ...args);
    if (!answer.ok) throw new Error(`${call} failed: ${JSON.stringify(answer.error)}`);
    return answer.data as T;
  }

  /** The same, expecting the SDK to throw: its error. */
  async fails(client: ClientOptions, call: string, ...args: unknown[]) {
    const answer = await this.call(client, call, ...args);
    if (answer.ok) throw new Error(`${call} succeeded: ${JSON.stringify(answer.data)}`);
    return answer.error;
  }

  close(): void {
    this.child.kill();
  }
}
