/**
 * Order statistics by selection (expected O(n)) instead of a full sort: ReAct's percentile over
 * millions of ID val activations and ASH's per-row cut-off only need one or two ranks.
 * Values equal those of sorting (selection returns the same order statistics), so the results
 * stay bit for bit those of numpy.percentile / the sort-based code they replace.
 */

/**
 * Rearranges a[lo..hi] so that a[k] holds the value a full ascending sort would put there, with
 * everything left of k <= a[k] <= everything right, and returns it. Floyd and Rivest's SELECT
 * (Communications of the ACM 18(3), 1975): on ranges over 600 entries it first selects within a
 * small sample around where k should fall, so the partition around that pivot leaves only a few
 * entries on k's side: about n + min(k, n - k) comparisons, where median-of-three quickselect
 * needs 2-3 n (measured: ASH's per-row cut-off, the hot loop of that scorer). The values must not
 * be NaN.
 */
export function selectInPlace(a: Float64Array, k: number, lo = 0, hi = a.length - 1): number {
  let left = lo;
  let right = hi;
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const i = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (i - n / 2 < 0 ? -1 : 1);
      const newLeft = Math.max(left, Math.floor(k - (i * s) / n + sd));
      const newRight = Math.min(right, Math.floor(k + ((n - i) * s) / n + sd));
      selectInPlace(a, k, newLeft, newRight);
    }
    const t = a[k]!;
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right]! > t) swap(a, right, left);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i]! < t) i++;
      while (a[j]! > t) j--;
    }
    if (a[left] === t) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** The smallest value of a[from..] (after selectInPlace(a, from - 1) it is the next order statistic). */
function minFrom(a: Float64Array, from: number): number {
  let m = Infinity;
  for (let i = from; i < a.length; i++) if (a[i]! < m) m = a[i]!;
  return m;
}

/**
 * A sort puts -0 before +0, comparisons do not tell them apart: a zero order statistic gets the
 * sign the sorted position k would hold (counted over the values, whatever their order).
 */
export function zeroSign(values: Float64Array, k: number, v: number): number {
  if (v !== 0) return v;
  let below = 0;
  let negZeros = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x < 0) below++;
    else if (x === 0 && Object.is(x, -0)) negZeros++;
  }
  return k >= below && k < below + negZeros ? -0 : 0;
}

/**
 * numpy.percentile(values, q) ('linear'), bit for bit as methods/percentile.ts computes it from a
 * sorted copy, but by selecting the two neighbouring order statistics. `scratch` (overwritten) must
 * hold the values; NaN anywhere throws, as numpy would return NaN.
 */
export function percentileBySelection(scratch: Float64Array, q: number): number {
  const n = scratch.length;
  if (n === 0) throw new Error('percentile: no values');
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile: q = ${q}, expected a number in [0, 100]`);
  for (let i = 0; i < n; i++) if (Number.isNaN(scratch[i]!)) throw new Error('percentile: values contain NaN');
  const virtualIndex = (n - 1) * (q / 100);
  const lo = Math.floor(virtualIndex);
  const hi = Math.min(lo + 1, n - 1);
  const t = virtualIndex - lo;
  const a = zeroSign(scratch, lo, selectInPlace(scratch, lo));
  const b = zeroSign(scratch, hi, hi === lo ? a : minFrom(scratch, hi));
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}
