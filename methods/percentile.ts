/**
 * numpy.percentile(values, q) with the default 'linear' method, bit for bit: virtual index
 * (n - 1) * q / 100, then numpy's two-sided lerp (computed from the upper neighbour when the
 * fraction is >= 0.5), so thresholds match the benchmark's exactly.
 */
export function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) throw new Error('percentile: no values');
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile: q = ${q}, expected a number in [0, 100]`);
  const sorted = Float64Array.from(values).sort();
  if (Number.isNaN(sorted[sorted.length - 1]!)) throw new Error('percentile: values contain NaN');
  const virtualIndex = (sorted.length - 1) * (q / 100);
  const lo = Math.floor(virtualIndex);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = virtualIndex - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** numpy.round / Python 3 round for halves: ties go to the even integer. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
