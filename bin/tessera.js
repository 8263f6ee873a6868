#!/usr/bin/env node
// Runs the compiled build (dist/, made by `npm run build` and at `npm ci`) when it is at least as
// new as every source file; otherwise runs the TypeScript sources through tsx, so an edit shows up
// at the next start without a build step.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function buildIsFresh() {
  try {
    return statSync(`${root}dist/.built`).mtimeMs >= newest(`${root}src`);
  } catch {
    return false;
  }
}

let cli;
if (process.env.TESSERA_FROM_SOURCE !== '1' && buildIsFresh()) {
  cli = await import('../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli.ts');
}
await cli.main(process.argv.slice(2));
