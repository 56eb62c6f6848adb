import { z } from 'zod';
import { matrix, type FloatArray, type FloatMatrix, type Matrix } from '../linalg/matrix.ts';
import type { FusedHead, ModalitySlice } from '../outputs.ts';
import { transpose } from '../linalg/gemm.ts';
import { rowArgmax, rowLogSumExp } from '../logits.ts';
import { roundHalfEven } from '../percentile.ts';
import { defineScorer } from '../scorer.ts';
import { selectInPlace, zeroSign } from './select.ts';
import { maskedRowSummer } from '../compute/masked-row-sum.ts';

/** Entries kept of an n-wide slice: k = n - round(p/100 * n); none kept is an error. */
function keptCount(s: ModalitySlice, pct: number): number {
  const n = s.end - s.start;
  const k = n - roundHalfEven((n * pct) / 100);
  if (k <= 0) throw new Error(`ash: percentile ${pct} keeps no entry of the ${n}-wide "${s.name}" slice`);
  return k;
}

/**
 * ASH-B's choice on one slice: the k largest of `values` are kept (among equal values at the
 * cut-off, the lower index), each set to fill = (sum of all entries) / k. Calls keep(j) for every
 * kept index in ascending order and returns fill. `scratch` holds at least values.length entries.
 * The cut-off is the (n - k)-th order statistic; selection finds it without sorting the row (a
 * NaN row keeps the sort, whose NaN-last order the selection does not reproduce).
 */
function shapeSlice(values: FloatArray, k: number, scratch: Float64Array, keep: (j: number) => void): number {
  const n = values.length;
  const sorted = scratch.subarray(0, n);
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const v = values[j]!;
    sorted[j] = v;
    sum += v;
  }
  const cutoff = Number.isNaN(sum) ? sorted.sort()[n - k]! : zeroSign(sorted, n - k, selectInPlace(sorted, n - k));
  // After either, sorted[n-k+1..] holds the values at or above the cut-off, the rest are at or below it.
  let aboveCutoff = 0;
  for (let j = n - k + 1; j < n; j++) if (sorted[j]! > cutoff) aboveCutoff++;
  let tiesToKeep = k - aboveCutoff;
  for (let j = 0; j < n; j++) {
    const v = values[j]!;
    if (v > cutoff || (v === cutoff && tiesToKeep-- > 0)) keep(j);
  }
  return sum / k;
}

/**
 * ASH-B on each modality slice of n entries: keep the k = n - round(p/100 * n) largest, set each
 * to (sum of all n entries) / k, zero the rest. Among equal values at the cut-off the lower
 * index is kept (torch.topk leaves that order unspecified; it only matters for exact ties).
 */
export function ashBinarize(features: FloatMatrix, slices: readonly ModalitySlice[], pct: number): Matrix {
  const out = matrix(features.rows, features.cols);
  const scratch = new Float64Array(features.cols);
  const kept: number[] = [];
  for (const s of slices) {
    const k = keptCount(s, pct);
    for (let i = 0; i < features.rows; i++) {
      const base = i * features.cols + s.start;
      kept.length = 0;
      const fill = shapeSlice(features.data.subarray(base, base + s.end - s.start), k, scratch, (j) => kept.push(j));
      for (const j of kept) out.data[base + j] = fill;
    }
  }
  return out;
}

/**
 * The fused head applied to ASH-B features without forming them: a row's shaped slice s is
 * fill_s on its kept entries and 0 elsewhere, so logits = b + Σ_s fill_s Σ_{j kept in s} W[:, j].
 * One pass over the kept columns of W^T (10% of D per row) instead of a dense C x D product over a
 * mostly-zero matrix; the same kept set and fill as ashBinarize (mathematically the same logits;
 * only the rounding order differs, ~1e-16 relative).
 */
export function ashLogits(features: FloatMatrix, slices: readonly ModalitySlice[], pct: number, head: FusedHead): Matrix {
  const { rows, cols } = features;
  const c = head.bias.length;
  if (head.weight.cols !== cols) throw new Error(`applyHead: features have ${cols} columns, the head expects ${head.weight.cols}`);
  const out = matrix(rows, c);
  if (rows === 0) return out; // (an empty split never checked the slices)
  const ks = slices.map((s) => keptCount(s, pct));
  // W transposed (D x C): column j of W is row j here. The kept columns are summed for blocks of
  // ROWS samples at once (maskedRowSummer), each sample's in increasing j as before.
  const ROWS = 16;
  const summer = maskedRowSummer(transpose(head.weight).data, cols, c, Math.max(...slices.map((s) => s.end - s.start)), ROWS);
  const scratch = new Float64Array(cols);
  const fills = new Float64Array(ROWS);
  for (let i0 = 0; i0 < rows; i0 += ROWS) {
    const R = Math.min(ROWS, rows - i0);
    for (let r = 0; r < R; r++) for (let q = 0; q < c; q++) out.data[(i0 + r) * c + q] = head.bias[q]!;
    slices.forEach((s, si) => {
      const n = s.end - s.start;
      summer.mask.fill(0, 0, R * n);
      for (let r = 0; r < R; r++) {
        const base = (i0 + r) * cols + s.start;
        fills[r] = shapeSlice(features.data.subarray(base, base + n), ks[si]!, scratch, (j) => {
          summer.mask[r * n + j] = 1;
        });
      }
      const acc = summer.sum(s.start, n, R);
      for (let r = 0; r < R; r++) {
        const o = (i0 + r) * c;
        for (let q = 0; q < c; q++) out.data[o + q]! += fills[r]! * acc[r * c + q]!;
      }
    });
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
      const logits = ashLogits(split.features, ctx.modalities, settings.percentile, ctx.head);
      const T = settings.temperature;
      return { conf: rowLogSumExp(logits, T).map((v) => v * T), pred: rowArgmax(logits) };
    },
  }),
});
