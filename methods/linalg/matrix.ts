/**
 * A dense row-major float64 matrix. Float64 everywhere on purpose: the benchmark's reference
 * numbers come from numpy/scikit-learn in float64, and scores that agree to ~1e-12 keep every
 * threshold of the ROC curve in the same place, which float32 arithmetic cannot promise.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** rows * cols values, row-major: entry (i, j) is data[i * cols + j]. */
  readonly data: Float64Array;
}

/** float32 or float64 values: what a feature file or TF.js holds, read exactly into float64 arithmetic. */
export type FloatArray = Float32Array | Float64Array;

/**
 * A dense row-major matrix stored as float32 or float64, read-only to its consumers. Features and
 * logits stay in the width they were produced in (float32 from backbones and TF.js, half the
 * memory); a float32 entry converts to float64 exactly, so a computation that reads it into
 * float64 arithmetic gives the same result as on a float64 copy, without the copy.
 */
export interface FloatMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: FloatArray;
}

export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`matrix: invalid shape ${rows} x ${cols}`);
  }
  const values = data ?? new Float64Array(rows * cols);
  if (values.length !== rows * cols) {
    throw new Error(`matrix: ${values.length} values do not fill a ${rows} x ${cols} matrix`);
  }
  return { rows, cols, data: values };
}

/** A float32 matrix (what TF.js computes) over `data`, shape-checked. */
export function matrix32(rows: number, cols: number, data: Float32Array): FloatMatrix {
  if (data.length !== rows * cols) throw new Error(`matrix32: ${data.length} values do not fill a ${rows} x ${cols} matrix`);
  return { rows, cols, data };
}

/** Builds a matrix from nested arrays (tests and small fixtures). */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0]!.length;
  const m = matrix(r, c);
  rows.forEach((row, i) => {
    if (row.length !== c) throw new Error(`fromRows: row ${i} has ${row.length} values, expected ${c}`);
    m.data.set(row, i * c);
  });
  return m;
}

/** A view-free copy of rows [start, end). */
export function sliceRows(m: Matrix, start: number, end: number): Matrix {
  return matrix(end - start, m.cols, m.data.slice(start * m.cols, end * m.cols));
}

/** Copy of columns [start, end) (used for per-modality feature slices). */
export function sliceCols(m: FloatMatrix, start: number, end: number): Matrix {
  const width = end - start;
  const out = matrix(m.rows, width);
  for (let i = 0; i < m.rows; i++) {
    out.data.set(m.data.subarray(i * m.cols + start, i * m.cols + end), i * width);
  }
  return out;
}

export function row(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}
