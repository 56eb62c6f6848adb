import { rowMaxFloat32 } from './compute/row-max.ts';
import { matmulABt } from './linalg/gemm.ts';
import type { FloatMatrix, Matrix } from './linalg/matrix.ts';
import type { FusedHead } from './outputs.ts';

/** Row-wise log-sum-exp, shifted by the row maximum so that large logits cannot overflow. */
export function rowLogSumExp(logits: FloatMatrix, temperature = 1): Float64Array {
  if (temperature === 1) return rowMaxAndLogSumExp(logits).logSumExp;
  const { rows, cols, data } = logits;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, data[base + j]! / temperature);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(data[base + j]! / temperature - max);
    out[i] = max + Math.log(sum);
  }
  return out;
}

/**
 * rowMax and rowLogSumExp (temperature 1) in one pass over the logits: the same values as the two
 * functions give (x / 1 is x, so the shift is the row maximum itself).
 */
export function rowMaxAndLogSumExp(logits: FloatMatrix): { max: Float64Array; logSumExp: Float64Array } {
  const { rows, cols, data } = logits;
  const maxOut = new Float64Array(rows);
  const lse = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, data[base + j]!);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(data[base + j]! - max);
    maxOut[i] = max;
    lse[i] = max + Math.log(sum);
  }
  return { max: maxOut, logSumExp: lse };
}

export function rowMax(m: FloatMatrix): Float64Array {
  const { rows, cols, data } = m;
  if (data instanceof Float32Array) {
    const simd = rowMaxFloat32(data, rows, cols); // the same values (compute/row-max.ts)
    if (simd) return simd;
  }
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, data[base + j]!);
    out[i] = max;
  }
  return out;
}

/** Index of the first maximum in each row (numpy/torch argmax tie rule). */
export function rowArgmax(m: FloatMatrix): Int32Array {
  const out = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const base = i * m.cols;
    let best = 0;
    for (let j = 1; j < m.cols; j++) if (m.data[base + j]! > m.data[base + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/** Row-wise softmax, computed from the shifted exponentials (never overflows). */
export function rowSoftmax(logits: FloatMatrix): Matrix {
  const { rows, cols, data } = logits;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, data[base + j]!);
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(data[base + j]! - max);
      out[base + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) out[base + j]! /= sum;
  }
  return { rows, cols, data: out };
}

/** Re-applies the fused head to (modified) features: logits = Z W^T + b. */
export function applyHead(features: FloatMatrix, head: FusedHead): Matrix {
  if (features.cols !== head.weight.cols) {
    throw new Error(`applyHead: features have ${features.cols} columns, the head expects ${head.weight.cols}`);
  }
  const logits = matmulABt(features, head.weight);
  const c = head.bias.length;
  for (let i = 0; i < logits.rows; i++) {
    for (let j = 0; j < c; j++) logits.data[i * c + j]! += head.bias[j]!;
  }
  return logits;
}
