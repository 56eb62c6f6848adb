/**
 * ROC and precision-recall curves with scikit-learn's exact semantics (sklearn.metrics
 * `_binary_clf_curve`, `roc_curve(drop_intermediate=True)`, `precision_recall_curve`, `auc`).
 * The benchmark's numbers were computed with these functions, so every detail that can move a
 * number is kept: distinct thresholds only (ties collapse into one point), points in order of
 * decreasing threshold, collinear ROC points dropped, a (0, 0) point prepended.
 */

/** Counts of positives/negatives scored at or above each distinct threshold, highest first. */
export interface ThresholdCounts {
  /** false positives at each distinct threshold */
  readonly fps: Float64Array;
  /** true positives at each distinct threshold */
  readonly tps: Float64Array;
  readonly thresholds: Float64Array;
}

export function binaryCounts(isPositive: Uint8Array, score: Float64Array): ThresholdCounts {
  const n = score.length;
  if (isPositive.length !== n) {
    throw new Error(`binaryCounts: ${isPositive.length} labels for ${n} scores`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(score[i]!)) throw new Error(`binaryCounts: score ${i} is ${score[i]}, expected a finite number`);
  }
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += isPositive[i]! ? 1 : 0;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(n - nPos);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (isPositive[i]!) pos[p++] = score[i]!;
    else neg[q++] = score[i]!;
  }
  return classCounts(pos, neg);
}

/**
 * binaryCounts for scores already split by class (`pos`, `neg`: finite; both are sorted in place).
 * Each class is sorted on its own with the engine's native numeric sort (no comparator call per
 * comparison: ~10x faster than sorting an index array), then the two are merged from the highest
 * score down. Every distinct score (=== groups -0 with +0, as ties) closes one point with the
 * positives and negatives counted at or above it, which is all sklearn's curve keeps of a sort.
 */
export function classCounts(pos: Float64Array, neg: Float64Array): ThresholdCounts {
  const n = pos.length + neg.length;
  pos.sort();
  neg.sort();

  // At most n distinct thresholds: fill preallocated arrays and return views of the used part.
  const fps = new Float64Array(n);
  const tps = new Float64Array(n);
  const thresholds = new Float64Array(n);
  let m = 0;
  let p = pos.length - 1;
  let q = neg.length - 1;
  let tp = 0;
  let fp = 0;
  while (p >= 0 || q >= 0) {
    const t = q < 0 || (p >= 0 && pos[p]! > neg[q]!) ? pos[p]! : neg[q]!;
    while (p >= 0 && pos[p]! === t) { tp++; p--; }
    while (q >= 0 && neg[q]! === t) { fp++; q--; }
    tps[m] = tp;
    fps[m] = fp;
    thresholds[m] = t;
    m++;
  }
  return { fps: fps.subarray(0, m), tps: tps.subarray(0, m), thresholds: thresholds.subarray(0, m) };
}

export interface RocCurve {
  readonly fpr: Float64Array;
  readonly tpr: Float64Array;
  readonly thresholds: Float64Array;
}

/**
 * The counts of the swapped problem: negatives as the positive class, scored by -score. Its
 * distinct thresholds are the same values negated, in the opposite order, and at each one the
 * counts are what stays strictly below the original threshold: exact integer arithmetic, so a
 * curve built from these equals one built from binaryCounts(1 - isPositive, -score) (a tie
 * group of ±0 may be represented by the other zero: the groups are the same under ===).
 */
export function swappedCounts(counts: ThresholdCounts): ThresholdCounts {
  const { fps, tps, thresholds } = counts;
  const m = fps.length;
  const totalNeg = m > 0 ? fps[m - 1]! : 0;
  const totalPos = m > 0 ? tps[m - 1]! : 0;
  const sFps = new Float64Array(m);
  const sTps = new Float64Array(m);
  const sThresholds = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const i = m - 1 - j; // -thresholds[i] is the j-th highest swapped threshold
    const aboveNeg = i > 0 ? fps[i - 1]! : 0;
    const abovePos = i > 0 ? tps[i - 1]! : 0;
    sTps[j] = totalNeg - aboveNeg;
    sFps[j] = totalPos - abovePos;
    sThresholds[j] = -thresholds[i]!;
  }
  return { fps: sFps, tps: sTps, thresholds: sThresholds };
}

export function rocCurve(isPositive: Uint8Array, score: Float64Array, dropIntermediate = true): RocCurve {
  return rocFromCounts(binaryCounts(isPositive, score), dropIntermediate);
}

/** rocCurve from counts already made (one sort serves several curves of the same scores). */
export function rocFromCounts(counts: ThresholdCounts, dropIntermediate = true): RocCurve {
  let { fps, tps, thresholds } = counts;
  if (dropIntermediate && fps.length > 2) {
    // Keep end points and every point where the curve bends (non-zero second difference).
    const last = fps.length - 1;
    const keptFps = new Float64Array(fps.length);
    const keptTps = new Float64Array(fps.length);
    const keptThresholds = new Float64Array(fps.length);
    let kept = 0;
    for (let i = 0; i <= last; i++) {
      const bends = i === 0 || i === last ||
        fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0 || tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0;
      if (!bends) continue;
      keptFps[kept] = fps[i]!;
      keptTps[kept] = tps[i]!;
      keptThresholds[kept] = thresholds[i]!;
      kept++;
    }
    fps = keptFps.subarray(0, kept);
    tps = keptTps.subarray(0, kept);
    thresholds = keptThresholds.subarray(0, kept);
  }
  const m = fps.length + 1;
  const totalNeg = fps[fps.length - 1]!;
  const totalPos = tps[tps.length - 1]!;
  if (totalNeg === 0) throw new Error('rocCurve: no negative samples, the false positive rate is undefined');
  if (totalPos === 0) throw new Error('rocCurve: no positive samples, the true positive rate is undefined');
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const thr = new Float64Array(m);
  thr[0] = thresholds[0]! + 1;
  for (let i = 1; i < m; i++) {
    fpr[i] = fps[i - 1]! / totalNeg;
    tpr[i] = tps[i - 1]! / totalPos;
    thr[i] = thresholds[i - 1]!;
  }
  return { fpr, tpr, thresholds: thr };
}

export interface PrCurve {
  /** decreasing-threshold order reversed, as sklearn returns it: recall decreasing, ends at (recall 0, precision 1) */
  readonly precision: Float64Array;
  readonly recall: Float64Array;
}

export function precisionRecallCurve(isPositive: Uint8Array, score: Float64Array): PrCurve {
  return prFromCounts(binaryCounts(isPositive, score));
}

/** precisionRecallCurve from counts already made. */
export function prFromCounts(counts: ThresholdCounts): PrCurve {
  const { fps, tps } = counts;
  const n = tps.length;
  const totalPos = tps[n - 1]!;
  const precision = new Float64Array(n + 1);
  const recall = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const src = n - 1 - i;
    const predictedPos = tps[src]! + fps[src]!;
    precision[i] = predictedPos === 0 ? 0 : tps[src]! / predictedPos;
    // sklearn sets recall to 1 everywhere when there is no positive sample.
    recall[i] = totalPos === 0 ? 1 : tps[src]! / totalPos;
  }
  precision[n] = 1;
  recall[n] = 0;
  return { precision, recall };
}

/** Trapezoid area under y(x) for monotonic x (either direction), as sklearn.metrics.auc. */
export function auc(x: Float64Array, y: Float64Array): number {
  if (x.length !== y.length) throw new Error(`auc: ${x.length} x values for ${y.length} y values`);
  if (x.length < 2) throw new Error(`auc: at least 2 points are needed, got ${x.length}`);
  let increasing = true;
  let decreasing = true;
  for (let i = 1; i < x.length; i++) {
    const dx = x[i]! - x[i - 1]!;
    if (dx < 0) increasing = false;
    if (dx > 0) decreasing = false;
  }
  if (!increasing && !decreasing) throw new Error('auc: x is neither increasing nor decreasing');
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return increasing ? area : -area;
}
