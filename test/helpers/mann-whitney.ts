/** What the Mann-Whitney U test says about two samples. */
export interface MannWhitney {
  /** U of the first sample: how many (a, b) pairs have a > b, ties counting one half. */
  u: number;
  /** Two-sided p-value, by the normal approximation with tie and continuity corrections. */
  p: number;
  /**
   * The probability that a value from the first sample exceeds one from the second (ties half):
   * 0.5 when neither tends to be larger, 1 or 0 when they do not overlap.
   */
  effect: number;
}

/**
 * Mann-Whitney U (Wilcoxon rank-sum) test: whether values of one sample tend to be larger than
 * those of the other. It uses only ranks, so a few outliers (a GC pause, a disk flush) move it no
 * more than any other sample, which suits latencies. Meant for samples of 20 and more.
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitney {
  const n1 = a.length;
  const n2 = b.length;
  const all = [...a.map((value) => ({ value, first: true })), ...b.map((value) => ({ value, first: false }))];
  all.sort((x, y) => x.value - y.value);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]?.value === all[i]?.value) j++;
    const rank = (i + j + 2) / 2; // ranks are 1-based; a tied group shares its mean rank
    for (let k = i; k <= j; k++) if (all[k]?.first) rankSumA += rank;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  const n = n1 + n2;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = sigma === 0 ? 0 : Math.max(0, Math.abs(u - mean) - 0.5) / sigma;
  const p = z === 0 ? 1 : Math.min(1, 2 * (1 - normalCdf(z)));
  return { u, p, effect: u / (n1 * n2) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The standard normal distribution function, from erf (Abramowitz and Stegun 7.1.26, error < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
