import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

// The bench is not a test: this only proves the harness runs end to end. It asserts no speed.
describe('npm run bench -- --quick', () => {
  it('logs users in through every scenario with zero errors and writes its figures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-smoke-'));
    const output = join(dir, 'results.json');
    try {
      const { stdout } = await run('npx', ['tsx', 'bench/run.ts', '--quick', '--output', output], {
        timeout: 120_000,
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      expect(stdout).toContain('full logins/s');
      const results = JSON.parse(readFileSync(output, 'utf8'));
      expect(results.errors).toBe(0);
      expect(results.runs.rs256.logins.completed).toBeGreaterThan(0);
      expect(results.runs.rs256.fixedRate.achieved).toBeGreaterThan(0);
      expect(results.runs.rs256.refreshPerSecond).toBeGreaterThan(0);
      expect(results.runs.rs256.userinfoPerSecond).toBeGreaterThan(0);
      expect(results.runs.es256.logins.completed).toBeGreaterThan(0);
      expect(results.ceilings.signsPerSecond.RS256).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
