import { z } from 'zod';
import { matrix, type Matrix } from '../linalg/matrix.ts';
import type { ModalitySlice } from '../outputs.ts';
import { applyHead, rowArgmax, rowLogSumExp } from '../logits.ts';
import { roundHalfEven } from '../percentile.ts';
import { defineScorer } from '../scorer.ts';
import { selectInPlace, zeroSign } from './select.ts';

/**
 * ASH-B on each modality slice of n entries: keep the k = n - round(p/100 * n) largest, set each
 * to (sum of all n entries) / k, zero the rest. Among equal values at the cut-off the lower
 * index is kept (torch.topk leaves that order unspecified; it only matters for exact ties).
 */
export function ashBinarize(features: Matrix, slices: readonly ModalitySlice[], pct: number): Matrix {
  const out = matrix(features.rows, features.cols);
  for (const s of slices) {
    const n = s.end - s.start;
    const k = n - roundHalfEven((n * pct) / 100);
    if (k <= 0) throw new Error(`ash: percentile ${pct} keeps no entry of the ${n}-wide "${s.name}" slice`);
    const sorted = new Float64Array(n);
    for (let i = 0; i < features.rows; i++) {
      const base = i * features.cols + s.start;
      const values = features.data.subarray(base, base + n);
      let sum = 0;
      for (let j = 0; j < n; j++) sum += values[j]!;
      sorted.set(values);
      // The cut-off is the (n - k)-th order statistic; selection finds it without sorting the row
      // (a NaN row keeps the sort, whose NaN-last order the selection does not reproduce).
      const cutoff = Number.isNaN(sum) ? sorted.sort()[n - k]! : zeroSign(sorted, n - k, selectInPlace(sorted, n - k));
      let aboveCutoff = 0;
      for (let j = 0; j < n; j++) if (values[j]! > cutoff) aboveCutoff++;
      let tiesToKeep = k - aboveCutoff;
      const fill = sum / k;
      for (let j = 0; j < n; j++) {
        const v = values[j]!;
        if (v > cutoff || (v === cutoff && tiesToKeep-- > 0)) out.data[base + j] = fill;
      }
    }
  }
  return out;
}

export const ash = defineScorer({
  id: 'ash',
  title: 'ASH-B',
  summary: 'Prunes each modality embedding to its top 10% activations, binarised to preserve the sum, re-applies the fused head and scores by energy.',
  paper: { title: 'Extremely Simple Activation Shaping for Out-of-Distribution Detection (Djurisic et al., ICLR 2023)', url: 'https://arxiv.org/abs/2209.09858' },
  usesFitFeatures: false,
  settings: z.object({
    percentile: z.number().min(0).max(100).default(90),
    temperature: z.number().positive().default(1),
  }),
  fit: (ctx, settings) => ({
    score(split) {
      const logits = applyHead(ashBinarize(split.features, ctx.modalities, settings.percentile), ctx.head);
      const T = settings.temperature;
      return { conf: rowLogSumExp(logits, T).map((v) => v * T), pred: rowArgmax(logits) };
    },
  }),
});
