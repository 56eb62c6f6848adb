import { matrix, type FloatArray, type FloatMatrix, type Matrix } from './matrix.ts';
import { GEMM_KC, packPanels } from './pack.ts';
import { wasmGemmInto, useWasmGemm } from './gemm-wasm.ts';

/**
 * Dense float64 matrix products in plain TypeScript.
 *
 * One packed, cache-blocked kernel serves every product: the operands are read through
 * strides (so transposes cost nothing), packed into 4-wide interleaved panels, and a 4 x 4
 * register-blocked micro-kernel accumulates C += alpha * A B^T with the inner dimension
 * contiguous. Blocking (KC along the inner dimension, MC x NC output blocks) keeps one B
 * micro-panel in L1 and the packed A block in L2; measured 5-6 GFLOPS under Bun/JSC on the
 * benchmark shapes (CPU time, quiet machine), against ~3-4 for an unpacked 2 x 2 dot-product loop.
 */

/** Element (i, p) of the operand is data[offset + i * rowStride + p * colStride]. */
export interface Strided {
  /** float32 operands are read exactly into the float64 panels (no float64 copy is made). */
  readonly data: FloatArray;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/** Which output entries a product must produce; the kernel skips whole 4 x 4 tiles outside. */
export type Triangle = 'full' | 'upper' | 'lower';

export interface GemmOptions {
  /**
   * Only tiles that touch this triangle (row <= col for 'upper', row >= col for 'lower') are
   * computed; tiles straddling the diagonal are written whole, so entries just across the
   * diagonal are overwritten with valid-but-unwanted values.
   */
  readonly triangle?: Triangle;
  /** Subtracted from operand A's entries: A(i, p) - centerA[i] (a centred Gram without a copy). */
  readonly centerA?: Float64Array;
  readonly centerB?: Float64Array;
}

const MR = 4;
const NR = 4;
/** Inner-dimension block (shared with the wasm path, which must use the same blocks to give identical sums). */
const KC = GEMM_KC;
/** Rows of A per packed block (96 x 256 doubles = 192 KiB, in L2). */
const MC = 96;
/** Rows of B per packed block. */
const NC = 384;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(NC * KC);
const edgeTile = new Float64Array(MR * NR);

/** View of a row-major matrix as a strided operand, optionally transposed. */
export function strided(m: FloatMatrix, transpose = false, offset = 0): Strided {
  return transpose
    ? { data: m.data, offset, rowStride: 1, colStride: m.cols }
    : { data: m.data, offset, rowStride: m.cols, colStride: 1 };
}

/**
 * C[cOff + i * ldc + j] += alpha * sum_p A(i, p) * B(j, p) for i < m, j < n, p < k.
 * The workhorse behind every product in this folder.
 */
export function gemmInto(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Strided,
  b: Strided,
  c: Float64Array,
  cOff: number,
  ldc: number,
  options: GemmOptions = {},
): void {
  if (m <= 0 || n <= 0 || k <= 0 || alpha === 0) return;
  if (useWasmGemm(m, n, k)) {
    wasmGemmInto(m, n, k, alpha, a, b, c, cOff, ldc, options);
    return;
  }
  const triangle = options.triangle ?? 'full';
  const centerA = options.centerA;
  const centerB = options.centerB;
  if (packA.length < MC * KC) packA = new Float64Array(MC * KC);
  if (packB.length < NC * KC) packB = new Float64Array(NC * KC);
  const pa = packA;
  const pb = packB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    // Skip column blocks that lie wholly on the unwanted side of the diagonal.
    if (triangle === 'lower' && jc > m - 1) break;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      let packedB = false;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (triangle === 'upper' && jc + nc - 1 < ic) continue;
        if (triangle === 'lower' && ic + mc - 1 < jc) continue;
        if (!packedB) {
          packPanels(b, jc, nc, pc, kc, centerB, pb, 0);
          packedB = true;
        }
        packPanels(a, ic, mc, pc, kc, centerA, pa, 0);
        macroKernel(mc, nc, kc, alpha, pa, pb, c, cOff + ic * ldc + jc, ldc, ic, jc, triangle);
      }
    }
  }
}

function macroKernel(
  mc: number,
  nc: number,
  kc: number,
  alpha: number,
  pa: Float64Array,
  pb: Float64Array,
  c: Float64Array,
  cBase: number,
  ldc: number,
  rowBase: number,
  colBase: number,
  triangle: Triangle,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const bo = jr * kc;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      const gi = rowBase + ir;
      const gj = colBase + jr;
      if (triangle === 'upper' && gj + nr - 1 < gi) continue;
      if (triangle === 'lower' && gi + mr - 1 < gj) continue;
      const ao = ir * kc;
      if (mr === MR && nr === NR) {
        kernel4x4(kc, pa, ao, pb, bo, c, cBase + ir * ldc + jr, ldc, alpha);
      } else {
        edgeTile.fill(0);
        kernel4x4(kc, pa, ao, pb, bo, edgeTile, 0, NR, alpha);
        for (let r = 0; r < mr; r++) {
          const co = cBase + (ir + r) * ldc + jr;
          for (let s = 0; s < nr; s++) c[co + s]! += edgeTile[r * NR + s]!;
        }
      }
    }
  }
}

/** C(4 x 4 at co, stride ldc) += alpha * Ap-panel * Bp-panel^T over kc inner steps. */
function kernel4x4(
  kc: number,
  ap: Float64Array,
  ao: number,
  bp: Float64Array,
  bo: number,
  c: Float64Array,
  co: number,
  ldc: number,
  alpha: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let a = ao;
  let b = bo;
  for (let p = 0; p < kc; p++) {
    const a0 = ap[a]!, a1 = ap[a + 1]!, a2 = ap[a + 2]!, a3 = ap[a + 3]!;
    const b0 = bp[b]!, b1 = bp[b + 1]!, b2 = bp[b + 2]!, b3 = bp[b + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    a += 4;
    b += 4;
  }
  let o = co;
  c[o]! += alpha * c00; c[o + 1]! += alpha * c01; c[o + 2]! += alpha * c02; c[o + 3]! += alpha * c03;
  o += ldc;
  c[o]! += alpha * c10; c[o + 1]! += alpha * c11; c[o + 2]! += alpha * c12; c[o + 3]! += alpha * c13;
  o += ldc;
  c[o]! += alpha * c20; c[o + 1]! += alpha * c21; c[o + 2]! += alpha * c22; c[o + 3]! += alpha * c23;
  o += ldc;
  c[o]! += alpha * c30; c[o + 1]! += alpha * c31; c[o + 2]! += alpha * c32; c[o + 3]! += alpha * c33;
}

/** A B^T for A (n x k) and B (m x k): the dot-product form, both operands row-contiguous. */
export function matmulABt(a: FloatMatrix, b: FloatMatrix): Matrix {
  if (a.cols !== b.cols) throw new Error(`matmulABt: inner sizes differ (${a.rows} x ${a.cols} times (${b.rows} x ${b.cols})^T)`);
  const out = matrix(a.rows, b.rows);
  gemmInto(a.rows, b.rows, a.cols, 1, strided(a), strided(b), out.data, 0, b.rows);
  return out;
}

/** A B for A (n x k) and B (k x m). */
export function matmul(a: FloatMatrix, b: FloatMatrix): Matrix {
  if (a.cols !== b.rows) throw new Error(`matmul: inner sizes differ (${a.rows} x ${a.cols} times ${b.rows} x ${b.cols})`);
  const out = matrix(a.rows, b.cols);
  gemmInto(a.rows, b.cols, a.cols, 1, strided(a), strided(b, true), out.data, 0, b.cols);
  return out;
}

/** A^T B for A (k x n) and B (k x m). */
export function matmulAtB(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) throw new Error(`matmulAtB: inner sizes differ ((${a.rows} x ${a.cols})^T times ${b.rows} x ${b.cols})`);
  const out = matrix(a.cols, b.cols);
  gemmInto(a.cols, b.cols, a.rows, 1, strided(a, true), strided(b, true), out.data, 0, b.cols);
  return out;
}

/** A x for A (n x k) and a vector x (k). */
export function matvec(a: Matrix, x: Float64Array): Float64Array {
  if (a.cols !== x.length) throw new Error(`matvec: ${a.rows} x ${a.cols} matrix times a vector of ${x.length}`);
  const out = new Float64Array(a.rows);
  const { cols, data } = a;
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    const base = i * cols;
    for (let j = 0; j < cols; j++) s += data[base + j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

export function transpose(a: Matrix): Matrix {
  const out = matrix(a.cols, a.rows);
  const { rows, cols, data } = a;
  const o = out.data;
  // Blocked so that both the reads and the writes stay within a few cache lines per tile.
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) o[j * rows + i] = data[i * cols + j]!;
      }
    }
  }
  return out;
}

/** Copies the upper triangle of a square row-major buffer onto its lower triangle. */
export function symmetrizeFromUpper(data: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) data[j * n + i] = data[i * n + j]!;
  }
}

/** Copies the lower triangle of a square row-major buffer onto its upper triangle. */
export function symmetrizeFromLower(data: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) data[i * n + j] = data[j * n + i]!;
  }
}
