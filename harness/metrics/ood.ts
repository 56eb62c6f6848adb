import { auc, binaryCounts, prFromCounts, rocFromCounts, swappedCounts } from './curves.ts';

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
  const n = idConf.length + oodConf.length;
  const isOod = new Uint8Array(n);
  isOod.fill(1, idConf.length);
  const negConf = new Float64Array(n);
  for (let i = 0; i < idConf.length; i++) negConf[i] = -idConf[i]!;
  for (let i = 0; i < oodConf.length; i++) negConf[idConf.length + i] = -oodConf[i]!;

  // One sort serves the three curves: ROC and PR-out score OOD by -conf, PR-in (ID positive,
  // score conf) is the same problem swapped, counted from the same thresholds (curves.ts).
  const counts = binaryCounts(isOod, negConf);
  const roc = rocFromCounts(counts);
  let firstAtRecall = roc.tpr.findIndex((t) => t >= recallLevel);
  if (firstAtRecall < 0) firstAtRecall = 0; // numpy argmax of an all-false mask; unreachable since the last TPR is 1
  const prIn = prFromCounts(swappedCounts(counts));
  const prOut = prFromCounts(counts);
  return {
    fpr95: roc.fpr[firstAtRecall]!,
    auroc: auc(roc.fpr, roc.tpr),
    auprIn: auc(prIn.recall, prIn.precision),
    auprOut: auc(prOut.recall, prOut.precision),
  };
}

/** Top-1 accuracy of predictions against labels. */
export function accuracy(pred: Int32Array, labels: Int32Array): number {
  if (pred.length !== labels.length) throw new Error(`accuracy: ${pred.length} predictions for ${labels.length} labels`);
  if (pred.length === 0) throw new Error('accuracy: no samples');
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) correct++;
  return correct / pred.length;
}
