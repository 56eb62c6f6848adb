/**
 * The noise rule of the leaderboard: a two-sided 95% Student-t interval per mean over n runs
 * (seeds x dataset splits, sample std), ranks that only separate methods whose intervals do not
 * overlap, and deltas coloured only when the two intervals do not overlap. Pure functions, also
 * bundled into the pages' script (the rank column is recomputed after re-sorting).
 */

/** t_{0.975, df} for df = 1..30 (scipy.stats.t.ppf(0.975, df), 7 decimals). */
const T975 = [
  12.7062047, 4.3026527, 3.1824463, 2.7764451, 2.5705818, 2.4469119, 2.3646243, 2.3060041, 2.2621572, 2.2281389, 2.2009852, 2.1788128, 2.1603687, 2.1447867,
  2.1314495, 2.1199053, 2.1098156, 2.100922, 2.0930241, 2.0859634, 2.0796138, 2.0738731, 2.0686576, 2.0638986, 2.0595386, 2.0555294, 2.0518305, 2.0484071,
  2.0452296, 2.0422725,
];
const Z975 = 1.959963984540054;

/** The 97.5% quantile of Student's t with `df` degrees of freedom (exact table to 30, Cornish-Fisher expansion above: error < 1e-6). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = Z975, z3 = z ** 3, z5 = z ** 5, z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

export interface Interval {
  readonly lo: number;
  readonly hi: number;
  /** half-width: t_{0.975, n-1} * std / sqrt(n) */
  readonly half: number;
}

/** The 95% t-interval of a mean over n runs with sample std `std`; null when n < 2 or std is unknown (no interval can be given). */
export function confidenceInterval(mean: number, std: number | null | undefined, n: number): Interval | null {
  if (!(n >= 2) || std === null || std === undefined || !Number.isFinite(std) || !Number.isFinite(mean)) return null;
  const half = (tQuantile975(Math.floor(n) - 1) * std) / Math.sqrt(n);
  return { lo: mean - half, hi: mean + half, half };
}

export interface Estimate {
  readonly mean: number;
  readonly ci: Interval | null;
}

/** Whether two estimates differ beyond the noise: both have an interval and the intervals do not overlap. */
export function differsBeyondNoise(a: Estimate, b: Estimate): boolean {
  if (!a.ci || !b.ci) return false;
  return a.ci.lo > b.ci.hi || b.ci.lo > a.ci.hi;
}

/** Whether `a` is better than `b` beyond the noise (higher is better unless `lowerIsBetter`). */
export function betterBeyondNoise(a: Estimate, b: Estimate, lowerIsBetter = false): boolean {
  if (!differsBeyondNoise(a, b)) return false;
  return lowerIsBetter ? a.mean < b.mean : a.mean > b.mean;
}

export interface NoiseRank {
  /** 1 + the number of entries better than this one beyond the noise */
  readonly rank: number;
  /** another entry has the same rank */
  readonly tied: boolean;
  /** this entry has no interval (n < 2): its rank is not backed by a test */
  readonly untested: boolean;
}

/**
 * Ranks that respect the noise: an entry's rank is 1 + the number of entries whose interval lies
 * entirely on the better side of its own. Entries whose intervals overlap are not separated, so
 * they can share a rank (marked tied). An entry without an interval (n = 1) can neither be
 * separated from others nor separate them: nothing is beyond it (rank 1, tied) and it is marked
 * untested.
 */
export function noiseRanks(items: readonly Estimate[], lowerIsBetter = false): NoiseRank[] {
  const ranks = items.map((a) => 1 + items.filter((b) => b !== a && betterBeyondNoise(b, a, lowerIsBetter)).length);
  return items.map((a, i) => ({ rank: ranks[i]!, tied: ranks.some((r, j) => j !== i && r === ranks[i]), untested: a.ci === null }));
}

/** The entries whose interval overlaps the best entry's (the best included): the ones the data cannot tell apart from it. */
export function tiedWithBest(items: readonly Estimate[], lowerIsBetter = false): number[] {
  if (items.length === 0) return [];
  let best = 0;
  items.forEach((x, i) => {
    if (lowerIsBetter ? x.mean < items[best]!.mean : x.mean > items[best]!.mean) best = i;
  });
  return items.map((x, i) => (i === best || !differsBeyondNoise(x, items[best]!) ? i : -1)).filter((i) => i >= 0);
}
