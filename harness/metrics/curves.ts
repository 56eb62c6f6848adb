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
  // Each class's scores sorted on their own with the engine's native numeric sort (no comparator
  // call per comparison: ~10x faster than sorting an index array), then merged from the highest
  // score down. Every distinct score (=== groups -0 with +0, as ties) closes one point with the
  // positives and negatives counted at or above it, which is all sklearn's curve keeps of a sort.
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += isPositive[i]! ? 1 : 0;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(n - nPos);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (isPositive[i]!) pos[p++] = score[i]!;
    else neg[q++] = score[i]!;
  }
  pos.sort();
  neg.sort();

  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let p = pos.length - 1;
  let q = neg.length - 1;
  let tp = 0;
  let fp = 0;
  while (p >= 0 || q >= 0) {
    const t = q < 0 || (p >= 0 && pos[p]! > neg[q]!) ? pos[p]! : neg[q]!;
    while (p >= 0 && pos[p]! === t) { tp++; p--; }
    while (q >= 0 && neg[q]! === t) { fp++; q--; }
    tps.push(tp);
    fps.push(fp);
    thresholds.push(t);
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(thresholds) };
}

export interface RocCurve {
  readonly fpr: Float64Array;
  readonly tpr: Float64Array;
  readonly thresholds: Float64Array;
}

export function rocCurve(isPositive: Uint8Array, score: Float64Array, dropIntermediate = true): RocCurve {
  let { fps, tps, thresholds } = binaryCounts(isPositive, score);
  if (dropIntermediate && fps.length > 2) {
    // Keep end points and every point where the curve bends (non-zero second difference).
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      const bendsFp = fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0;
      const bendsTp = tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0;
      if (bendsFp || bendsTp) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = Float64Array.from(keep, (i) => fps[i]!);
    tps = Float64Array.from(keep, (i) => tps[i]!);
    thresholds = Float64Array.from(keep, (i) => thresholds[i]!);
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
  const { fps, tps } = binaryCounts(isPositive, score);
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
