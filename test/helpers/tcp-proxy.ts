import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './server.ts';

/** Bytes on their way one direction of one connection, each with the time it may go on. */
interface Lane {
  to: Socket;
  /** `null` is the sender's end of stream, passed on in its turn. */
  queue: { chunk: Buffer | null; at: number }[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * A TCP forwarder to a real service (PostgreSQL, Redis) that a test turns into the faults a client
 * meets: a server that restarts (reset), is down (refuse), hangs or sits behind a black-holed
 * network (hang), or answers slowly (delay). Bytes always arrive in the order they were sent.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly lanes = new Set<Lane>();
  /** Milliseconds each chunk is held; Infinity while hanging. */
  private holdMs = 0;
  /** Connections the proxy has taken since it started. */
  accepted = 0;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.accept();
    return proxy;
  }

  /** `url` (postgres://, redis://) with its host and port replaced by the proxy's. */
  static via(url: string, proxy: TcpProxy): string {
    const viaProxy = new URL(url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    return viaProxy.toString();
  }

  get openConnections(): number {
    return this.sockets.size / 2;
  }

  /** Listens again: new connections reach the service. */
  async accept(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.link(client));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Resets every open connection (RST both ways), as a restarting server or a dropped route does. */
  reset(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    for (const lane of this.lanes) clearTimeout(lane.timer);
    this.lanes.clear();
  }

  /** Resets every open connection and refuses new ones (ECONNREFUSED): the service is down. */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.reset();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Connections are taken and stay open, but nothing gets through either way until `pass()`. */
  hang(): void {
    this.holdMs = Number.POSITIVE_INFINITY;
  }

  /** Every chunk, each way, arrives `ms` late (what was sent before keeps its own delay). */
  delay(ms: number): void {
    this.pass();
    this.holdMs = ms;
  }

  /** Forwards at once again; what a hang held back goes on now, in order. */
  pass(): void {
    this.holdMs = 0;
    const now = Date.now();
    for (const lane of this.lanes) {
      for (const item of lane.queue) if (item.at === Number.POSITIVE_INFINITY) item.at = now;
      this.pump(lane);
    }
  }

  /** The old names: a cut is a refusal, a restore takes connections again. */
  cut(): Promise<void> {
    return this.refuse();
  }

  restore(): Promise<void> {
    this.pass();
    return this.accept();
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private link(client: Socket): void {
    this.accepted++;
    const upstream = connect(this.target.port, this.target.host);
    const lanes = [this.lane(client, upstream), this.lane(upstream, client)];
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
        for (const lane of lanes) {
          clearTimeout(lane.timer);
          this.lanes.delete(lane);
        }
      });
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  }

  private lane(from: Socket, to: Socket): Lane {
    const lane: Lane = { to, queue: [], timer: undefined };
    this.lanes.add(lane);
    const push = (chunk: Buffer | null) => {
      lane.queue.push({ chunk, at: Date.now() + this.holdMs });
      this.pump(lane);
    };
    from.on('data', push);
    from.on('end', () => push(null));
    return lane;
  }

  /** Sends what is due from the head of the lane, and waits for the next chunk's time. */
  private pump(lane: Lane): void {
    clearTimeout(lane.timer);
    lane.timer = undefined;
    const now = Date.now();
    while (lane.queue.length > 0) {
      const head = lane.queue[0] as { chunk: Buffer | null; at: number };
      if (head.at > now) {
        if (head.at !== Number.POSITIVE_INFINITY)
          lane.timer = setTimeout(() => this.pump(lane), head.at - now);
        return;
      }
      lane.queue.shift();
      if (lane.to.destroyed) continue;
      if (head.chunk === null) lane.to.end();
      else lane.to.write(head.chunk);
    }
  }
}
