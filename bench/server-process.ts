import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TESSERA = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));

/**
 * The node options `npm start` runs the server with (package.json's start script, e.g. the young
 * generation's size), so that what the bench measures is what an operator runs.
 */
export function startScriptNodeOptions(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const words = String(pkg.scripts.start).split(/\s+/);
  const from = words.indexOf('node');
  const to = words.indexOf('bin/tessera.js');
  if (from !== 0 || to < from) throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return words.slice(from + 1, to);
}
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

class PortTaken extends Error {}

let port = 10_000 + Math.floor(Math.random() * 20_000);
function nextPort(): number {
  port = port >= 32_000 ? 10_000 : port + 1;
  return port;
}

/** A server (Tessera or the bare Fastify ceiling) in its own process, with its CPU and memory readable. */
export class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly origin: string,
    /** What the process has written to stdout and stderr so far (the last 3 to 4 MB of it). */
    private readonly written: { text: string },
  ) {}

  /**
   * Starts `bin/tessera.js start` as `npm start` does, and waits until it answers `until`: `/healthz`
   * once it is alive (a server waiting for its database is), `/readyz` once it can serve logins.
   */
  static tessera(
    env: Record<string, string>,
    until: '/healthz' | '/readyz' = '/readyz',
    /** Another checkout's `bin/tessera.js` (bench/ab.ts compares two); this one's by default. */
    bin = TESSERA,
  ): Promise<ServerProcess> {
    return ServerProcess.spawn(process.execPath, [...startScriptNodeOptions(), bin, 'start'], env, until);
  }

  /**
   * Starts a server on a free port (given to it as `PORT`) and waits until `until` answers 200.
   * Ports are taken below Linux's ephemeral range, so outgoing connections of other processes
   * cannot hold them; a port another listener holds is retried on the next one.
   */
  static async spawn(
    command: string,
    args: string[],
    env: Record<string, string>,
    until = '/healthz',
  ): Promise<ServerProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ServerProcess.spawnOn(command, args, env, nextPort(), until);
      } catch (error) {
        if (!(error instanceof PortTaken) || attempt >= 10) throw error;
      }
    }
  }

  private static async spawnOn(
    command: string,
    args: string[],
    env: Record<string, string>,
    port: number,
    until: string,
  ): Promise<ServerProcess> {
    const child = spawn(command, args, {
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const written = { text: '' };
    const keep = (chunk: Buffer) => {
      written.text += chunk.toString();
      if (written.text.length > 4_000_000) written.text = written.text.slice(-3_000_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const output = () => written.text.slice(-4000);
    const origin = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        if (output().includes('EADDRINUSE')) throw new PortTaken();
        throw new Error(`server exited (${child.exitCode}): ${output()}`);
      }
      try {
        const response = await fetch(`${origin}${until}`);
        if (response.ok) return new ServerProcess(child, origin, written);
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`server did not start within 60 s: ${output()}`);
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How it ended, once it has: its exit code, or the signal that ended it. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } {
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /** Everything the process has written (stdout and stderr, the last 3 to 4 MB). */
  get output(): string {
    return this.written.text;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** User plus system CPU seconds the process has used so far. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  }

  /** Peak resident memory so far, in MB. */
  peakRssMb(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 102.4) / 10;
  }

  /** Kills the process outright (SIGKILL): no shutdown code runs, as in a crash. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
