import { setFlagsFromString } from 'node:v8';

/**
 * How much V8 lets the old generation grow past what the last full collection left, in percent.
 * V8's own factor lets a small heap double (or more) before collecting it again, which for this
 * server's short-lived request garbage means tens of megabytes of memory that hold nothing live;
 * 10 % keeps the peak close to the live set for the same CPU (bench/README.md, "Where the time
 * and memory go").
 */
export const HEAP_GROWING_PERCENT = 10;

/**
 * Applies HEAP_GROWING_PERCENT to this process, unless the operator chose a value in the node
 * command line or NODE_OPTIONS. V8 reads this flag at every collection, so setting it after start
 * takes effect. Returns whether it was applied.
 */
export function tuneHeap(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): boolean {
  const chosen = [...execArgv, nodeOptions].some((arg) => /--heap[-_]growing[-_]percent/.test(arg));
  if (chosen) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
