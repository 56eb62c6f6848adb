import {
  checkOperand,
  outputBuffer,
  type ComputeBackend,
  type PreparedRight,
} from './backend.ts';

/**
 * The portable fallback: plain JavaScript, float64 accumulation (so it is *more* accurate than the
 * float32 contract requires), no packing. A 4 x 4 register block of dot products, blocked over
 * rows of B so a panel of B stays in cache while the rows of A stream past it.
 */
export const jsBackend: ComputeBackend = {
  name: 'js',
  threads: 1,
  prepareRight(b: Float32Array, rows: number, cols: number): PreparedRight {
    checkOperand('prepareRight', b, rows, cols);
    let disposed = false;
    return {
      rows,
      cols,
      multiply(a: Float32Array, rowsA: number, out?: Float32Array): Float32Array {
        if (disposed) throw new Error('multiply: operand was disposed');
        checkOperand('multiply', a, rowsA, cols);
        const c = outputBuffer(out, rowsA * rows);
        jsMatmulABt(a, rowsA, b, rows, cols, c);
        return c;
      },
      dispose() {
        disposed = true;
      },
    };
  },
};

/** Rows of B per cache panel: 64 rows of 4352 floats is ~1.1 MB, two of them fit in L2 + L3 comfortably. */
const PANEL = 64;

/** c (rowsA x rowsB, row-major) = a · bᵀ, float64 accumulation rounded once to float32. */
export function jsMatmulABt(
  a: Float32Array,
  rowsA: number,
  b: Float32Array,
  rowsB: number,
  cols: number,
  c: Float32Array,
): void {
  for (let j0 = 0; j0 < rowsB; j0 += PANEL) {
    const j1 = Math.min(rowsB, j0 + PANEL);
    let i = 0;
    for (; i + 4 <= rowsA; i += 4) {
      const a0 = i * cols;
      const a1 = a0 + cols;
      const a2 = a1 + cols;
      const a3 = a2 + cols;
      let j = j0;
      for (; j + 4 <= j1; j += 4) {
        const b0 = j * cols;
        const b1 = b0 + cols;
        const b2 = b1 + cols;
        const b3 = b2 + cols;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
        let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
        let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (let t = 0; t < cols; t++) {
          const x0 = a[a0 + t]!, x1 = a[a1 + t]!, x2 = a[a2 + t]!, x3 = a[a3 + t]!;
          const y0 = b[b0 + t]!, y1 = b[b1 + t]!, y2 = b[b2 + t]!, y3 = b[b3 + t]!;
          s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
          s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
          s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
          s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
        }
        let o = i * rowsB + j;
        c[o] = s00; c[o + 1] = s01; c[o + 2] = s02; c[o + 3] = s03;
        o += rowsB;
        c[o] = s10; c[o + 1] = s11; c[o + 2] = s12; c[o + 3] = s13;
        o += rowsB;
        c[o] = s20; c[o + 1] = s21; c[o + 2] = s22; c[o + 3] = s23;
        o += rowsB;
        c[o] = s30; c[o + 1] = s31; c[o + 2] = s32; c[o + 3] = s33;
      }
      for (; j < j1; j++) {
        for (let r = 0; r < 4; r++) c[(i + r) * rowsB + j] = dot(a, (i + r) * cols, b, j * cols, cols);
      }
    }
    for (; i < rowsA; i++) {
      for (let j = j0; j < j1; j++) c[i * rowsB + j] = dot(a, i * cols, b, j * cols, cols);
    }
  }
}

/** Σ x[xo + t]·y[yo + t] for t < n, in float64. */
export function dot(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    s0 += x[xo + t]! * y[yo + t]!;
    s1 += x[xo + t + 1]! * y[yo + t + 1]!;
    s2 += x[xo + t + 2]! * y[yo + t + 2]!;
    s3 += x[xo + t + 3]! * y[yo + t + 3]!;
  }
  for (; t < n; t++) s0 += x[xo + t]! * y[yo + t]!;
  return s0 + s1 + s2 + s3;
}
