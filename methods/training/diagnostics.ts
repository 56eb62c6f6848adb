import type { FloatMatrix } from '../linalg/matrix.ts';

/** Row-wise softmax in float64, shifted by the row maximum. */
function softmaxRows(m: FloatMatrix): Float64Array {
  const { rows, cols, data } = m;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, data[base + j]!);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += out[base + j] = Math.exp(data[base + j]! - max);
    for (let j = 0; j < cols; j++) out[base + j]! /= sum;
  }
  return out;
}

/**
 * Modality prediction discrepancy (the paper's Fig. 4): for each sample, the L1 distance between
 * the softmax predictions of two unimodal heads, averaged over all modality pairs, then averaged
 * over samples. The paper's observation: it is larger on OOD data than on ID data, which is what
 * A2D amplifies. NaN with fewer than two modalities.
 */
export function predictionDiscrepancy(modalityLogits: readonly FloatMatrix[]): number {
  const M = modalityLogits.length;
  if (M < 2) return NaN;
  const { rows, cols } = modalityLogits[0]!;
  for (const m of modalityLogits) {
    if (m.rows !== rows || m.cols !== cols) throw new Error(`predictionDiscrepancy: shapes ${rows} x ${cols} and ${m.rows} x ${m.cols} differ`);
  }
  if (rows === 0) return NaN;
  const probs = modalityLogits.map(softmaxRows);
  const pairs = (M * (M - 1)) / 2;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    let sample = 0;
    for (let a = 0; a < M; a++) {
      for (let b = a + 1; b < M; b++) {
        const pa = probs[a]!;
        const pb = probs[b]!;
        for (let j = i * cols; j < (i + 1) * cols; j++) sample += Math.abs(pa[j]! - pb[j]!);
      }
    }
    total += sample / pairs;
  }
  return total / rows;
}
