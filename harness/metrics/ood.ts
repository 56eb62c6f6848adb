import { auc, precisionRecallCurve, rocCurve } from './curves.ts';

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
  const conf = new Float64Array(n);
  conf.set(idConf, 0);
  conf.set(oodConf, idConf.length);
  for (let i = 0; i < n; i++) negConf[i] = -conf[i]!;

  const roc = rocCurve(isOod, negConf);
  let firstAtRecall = roc.tpr.findIndex((t) => t >= recallLevel);
  if (firstAtRecall < 0) firstAtRecall = 0; // numpy argmax of an all-false mask; unreachable since the last TPR is 1
  const isId = new Uint8Array(n);
  for (let i = 0; i < n; i++) isId[i] = 1 - isOod[i]!;
  const prIn = precisionRecallCurve(isId, conf);
  const prOut = precisionRecallCurve(isOod, negConf);
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
