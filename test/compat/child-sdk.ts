import { type ChildProcess, fork } from 'node:child_process';

/**
 * An SDK run in a child process that trusts the test's certificate (NODE_EXTRA_CA_CERTS): the
 * parent sends `{ id, ...request }` and the child answers `{ id, ... }`. `script` is the child's
 * file (it sends `{ ready: true }` once it listens).
 */
export class ChildSdk<Request extends object, Answer extends { id: number }> {
  private next = 0;
  private readonly pending = new Map<number, (answer: Answer) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (answer: Answer) => this.pending.get(answer.id)?.(answer));
  }

  static async start<Request extends object, Answer extends { id: number }>(
    script: URL,
    caFile: string,
  ): Promise<ChildSdk<Request, Answer>> {
    const child = fork(script, {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
    });
    // Ready, or the reason it never will be (a child that dies at import would otherwise hang).
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) =>
        reject(new Error(`the SDK process ${script.pathname} exited with ${code}`)),
      );
    });
    return new ChildSdk<Request, Answer>(child);
  }

  send(request: Request): Promise<Answer> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ ...request, id });
    });
  }

  close(): void {
    this.child.kill();
  }
}
