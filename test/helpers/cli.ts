import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const run = promisify(execFile);
const TESSERA = join(process.cwd(), 'bin/tessera.js');

export interface CliResult {
  args: string[];
  /** The exit status; null when a signal ended the process (see `signal`). */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs `tessera ...` as a separate process; resolves with its output and exit code, whatever the code. */
export async function tessera(args: string[], env: Record<string, string>): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [TESSERA, ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    });
    return { args, code: 0, signal: null, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number | null; signal: string | null; stdout: string; stderr: string };
    return { args, code: failed.code, signal: failed.signal, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * Asserts that the command exited with `code` (0 by default). When it did not, the failure shows
 * what the command wrote to stderr, where its reason is.
 */
export function expectExit(result: CliResult, code = 0): CliResult {
  const ended = result.signal === null ? `exited ${result.code}` : `was killed by ${result.signal}`;
  expect(
    result.code,
    `tessera ${result.args.join(' ')} ${ended}; stderr:\n${result.stderr}\nstdout:\n${result.stdout}`,
  ).toBe(code);
  return result;
}
