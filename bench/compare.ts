import { existsSync, readFileSync } from 'node:fs';
import { type BenchResults, comparisonTable } from './report.ts';

/**
 * Prints results files side by side: `npx tsx bench/compare.ts [FILE...]`, by default whichever of
 * bench/results.json, results-postgres.json and results-postgres-2-instances.json exist.
 */
const defaults = ['results.json', 'results-postgres.json', 'results-postgres-2-instances.json'].map(
  (name) => new URL(name, import.meta.url).pathname,
);
const files = process.argv.length > 2 ? process.argv.slice(2) : defaults.filter((f) => existsSync(f));
if (files.length === 0) {
  process.stderr.write('bench/compare: no results files; run `npm run bench` first\n');
  process.exit(2);
}
const all = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
process.stdout.write(`${files.join('\n')}\n\n${comparisonTable(all)}\n`);
