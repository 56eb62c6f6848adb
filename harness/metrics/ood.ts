import { classCounts, type ThresholdCounts } from './curves.ts';

/**
 * The benchmark's OOD metrics (OpenOOD convention, docs/multiood-facts.md §1): OOD is the positive class,
 * a scorer's confidence is higher for ID, so curves are built on (is_ood, -conf).
 * All values are fractions; tables multiply by 100.
 */
export interface OodMetrics {
  /** FPR at the first ROC point whose TPR >= 95%: fraction of ID flagged OOD when 95% of OOD is caught. */
  readonly fpr95: number;
  readonly auroc: number;
  /** AUPR with ID as the positive class and score conf. */
  readonly auprIn: number;
  /** AUPR with OOD as the positive class and score -conf. */
  readonly auprOut: number;
}

export function oodMetrics(idConf: Float64Array, oodConf: Float64Array, recallLevel = 0.95): OodMetrics {
  if (idConf.length === 0) throw new Error('oodMetrics: no ID scores');
  if (oodConf.length === 0) throw new Error('oodMetrics: no OOD scores');
  // OOD is the positive class, scored by -conf; ID the negative one.
  const counts = classCounts(negatedFinite(oodConf, 'OOD'), negatedFinite(idConf, 'ID'));
  return metricsFromCounts(counts, recallLevel);
}

function negatedFinite(conf: Float64Array, which: string): Float64Array {
  const out = new Float64Array(conf.length);
  for (let i = 0; i < conf.length; i++) {
    const v = conf[i]!;
    if (!Number.isFinite(v)) throw new Error(`oodMetrics: ${which} score ${i} is ${v}, expected a finite number`);
    out[i] = -v;
  }
  return out;
}

/**
 * The four metrics from one set of threshold counts, in two passes and without building the
 * curves: every value is computed with the same operations in the same order as
 *   roc = rocFromCounts(counts), prIn = prFromCounts(swappedCounts(counts)), prOut = prFromCounts(counts),
 *   auroc = auc(roc.fpr, roc.tpr), auprIn = auc(prIn.recall, prIn.precision), auprOut = auc(prOut.recall, prOut.precision),
 *   fpr95 = roc.fpr at the first roc.tpr >= recallLevel
 * (curves.ts, where the rules are stated), so the results are bitwise those (metrics.test.ts). Why
 * fused: a scorer's metrics run once per OOD set, often in a fresh process; nine loops over the
 * curves cost more in compiling and allocating than in arithmetic (MaxLogit at Kinetics scale spent
 * most of its time here).
 */
function metricsFromCounts(counts: ThresholdCounts, recallLevel: number): OodMetrics {
  const { fps, tps } = counts;
  const m = fps.length;
  const totalNeg = fps[m - 1]!;
  const totalPos = tps[m - 1]!;
  const dropIntermediate = m > 2;

  // Forward: the ROC's kept points after the prepended (0, 0), with the first reaching the recall
  // level; and PR-in, whose k-th point is the swapped problem's counts below threshold k.
  let fpr95 = 0; // numpy's argmax of an all-false mask is index 0, where FPR is 0
  let reached = recallLevel <= 0; // the prepended (0, 0) point already reaches it
  let auroc = 0;
  let prevFpr = 0;
  let prevTpr = 0;
  let auprIn = 0;
  let prevRecallIn = 0;
  let prevPrecisionIn = 0;
  for (let i = 0; i < m; i++) {
    const kept = !dropIntermediate || i === 0 || i === m - 1 ||
      fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0 || tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0;
    if (kept) {
      const fpr = fps[i]! / totalNeg;
      const tpr = tps[i]! / totalPos;
      auroc += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
      if (!reached && tpr >= recallLevel) {
        fpr95 = fpr;
        reached = true;
      }
      prevFpr = fpr;
      prevTpr = tpr;
    }
    const tpIn = totalNeg - (i > 0 ? fps[i - 1]! : 0);
    const fpIn = totalPos - (i > 0 ? tps[i - 1]! : 0);
    const predictedIn = tpIn + fpIn;
    const precisionIn = predictedIn === 0 ? 0 : tpIn / predictedIn;
    const recallIn = tpIn / totalNeg;
    if (i > 0) auprIn += ((recallIn - prevRecallIn) * (precisionIn + prevPrecisionIn)) / 2;
    prevRecallIn = recallIn;
    prevPrecisionIn = precisionIn;
  }
  auprIn += ((0 - prevRecallIn) * (1 + prevPrecisionIn)) / 2;

  // Backward: PR-out's points run from the lowest threshold up, then (recall 0, precision 1).
  let auprOut = 0;
  let prevRecallOut = 0;
  let prevPrecisionOut = 0;
  for (let src = m - 1; src >= 0; src--) {
    const predicted = tps[src]! + fps[src]!;
    const precision = predicted === 0 ? 0 : tps[src]! / predicted;
    const recall = tps[src]! / totalPos;
    if (src < m - 1) auprOut += ((recall - prevRecallOut) * (precision + prevPrecisionOut)) / 2;
    prevRecallOut = recall;
    prevPrecisionOut = precision;
  }
  auprOut += ((0 - prevRecallOut) * (1 + prevPrecisionOut)) / 2;

  // Recall falls along both PR curves, so auc() returns the negated sum.
  return { fpr95, auroc, auprIn: -auprIn, auprOut: -auprOut };
}

/** Top-1 accuracy of predictions against labels. */
export function accuracy(pred: Int32Array, labels: Int32Array): number {
  if (pred.length !== labels.length) throw new Error(`accuracy: ${pred.length} predictions for ${labels.length} labels`);
  if (pred.length === 0) throw new Error('accuracy: no samples');
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) correct++;
  return correct / pred.length;
}
