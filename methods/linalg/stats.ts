import { matrix, type FloatMatrix, type Matrix } from './matrix.ts';

/** Rows summed per block before joining the running total: keeps rounding near sqrt(N) eps. */
const SUM_BLOCK = 128;

/** Column means of an N x D matrix (blockwise summation, float64). */
export function colMeans(a: FloatMatrix): Float64Array {
  const { rows, cols, data } = a;
  if (rows === 0) throw new Error('colMeans: the matrix has no rows');
  const total = new Float64Array(cols);
  const part = new Float64Array(cols);
  for (let r0 = 0; r0 < rows; r0 += SUM_BLOCK) {
    part.fill(0);
    const r1 = Math.min(rows, r0 + SUM_BLOCK);
    for (let i = r0; i < r1; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) part[j]! += data[base + j]!;
    }
    for (let j = 0; j < cols; j++) total[j]! += part[j]!;
  }
  for (let j = 0; j < cols; j++) total[j]! /= rows;
  return total;
}

export interface ClassMeans {
  /** numClasses x D; row c is the mean of the rows labelled c. */
  readonly means: Matrix;
  readonly counts: Int32Array;
}

/**
 * Per-class means of the rows of `a`. Every label must lie in [0, numClasses) and every class
 * must have at least one row: a class mean over no rows does not exist, and silently skipping a
 * class would change max-over-classes scores.
 */
export function classMeans(a: FloatMatrix, labels: Int32Array, numClasses: number): ClassMeans {
  const { rows, cols, data } = a;
  if (labels.length !== rows) throw new Error(`classMeans: ${labels.length} labels for ${rows} rows`);
  const sums = new Float64Array(numClasses * cols);
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < rows; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new Error(`classMeans: row ${i} has label ${c}, outside 0..${numClasses - 1}`);
    }
    counts[c]!++;
    const base = i * cols;
    const out = c * cols;
    for (let j = 0; j < cols; j++) sums[out + j]! += data[base + j]!;
  }
  const empty: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const n = counts[c]!;
    if (n === 0) {
      empty.push(c);
      continue;
    }
    for (let j = 0; j < cols; j++) sums[c * cols + j]! /= n;
  }
  if (empty.length > 0) {
    throw new Error(`classMeans: class(es) ${empty.slice(0, 10).join(', ')}${empty.length > 10 ? ', ...' : ''} have no rows`);
  }
  return { means: matrix(numClasses, cols, sums), counts };
}

/** ||row_i - shift||^2 for every row (shift optional). */
export function rowSqNorms(a: FloatMatrix, shift?: Float64Array): Float64Array {
  const { rows, cols, data } = a;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let s = 0;
    if (shift === undefined) {
      for (let j = 0; j < cols; j++) {
        const v = data[base + j]!;
        s += v * v;
      }
    } else {
      for (let j = 0; j < cols; j++) {
        const v = data[base + j]! - shift[j]!;
        s += v * v;
      }
    }
    out[i] = s;
  }
  return out;
}

/** A copy of `a` with `shift` subtracted from every row. */
export function subtractRow(a: Matrix, shift: Float64Array): Matrix {
  const { rows, cols, data } = a;
  if (shift.length !== cols) throw new Error(`subtractRow: a vector of ${shift.length} for ${cols} columns`);
  const out = matrix(rows, cols);
  const o = out.data;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) o[base + j] = data[base + j]! - shift[j]!;
  }
  return out;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error('mean: no values');
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}
