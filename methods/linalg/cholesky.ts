import { substituteBlockSimd } from '../compute/trsm-kernel.ts';
import { gemmInto } from './gemm.ts';
import { GEMM_KC } from './pack.ts';
import { matrix, type Matrix } from './matrix.ts';

/**
 * Columns per block: the diagonal block (and each row's small solve) runs in scalar loops, the
 * rest in the kernel; 128 measured best for the many-row solves.
 */
const NB = 128;
/** Rows from which a block's substitution runs in the SIMD kernel (copying in and out pays from here). */
const SIMD_MIN_ROWS = 16;
let substitutionKernel = true;

/** Tests: substitute every block in the JavaScript loop (false) or the SIMD kernel where it applies (true). */
export function setSubstitutionKernel(enabled = true): void {
  substitutionKernel = enabled;
}

export type CholeskyResult =
  | { readonly ok: true; readonly L: Matrix }
  | {
      readonly ok: false;
      /** The column whose pivot was not positive (or not finite). */
      readonly index: number;
      readonly pivot: number;
    };

/**
 * Cholesky factor S = L L^T of a symmetric matrix (only its lower triangle is read).
 * Returns { ok: false } instead of throwing when S is not (numerically) positive definite.
 * Blocked left-looking: every update of a block column is one kernel product over the
 * already-factored columns, so all operands stay row-contiguous.
 */
export function cholesky(s: Matrix): CholeskyResult {
  const n = s.rows;
  if (s.cols !== n) throw new Error(`cholesky: matrix is ${s.rows} x ${s.cols}, not square`);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a.set(s.data.subarray(i * n, i * n + i + 1), i * n);
  for (let j0 = 0; j0 < n; j0 += NB) {
    const jb = Math.min(NB, n - j0);
    const j1 = j0 + jb;
    const rowsOf = (r: number) => ({ data: a, offset: r * n, rowStride: n, colStride: 1 });
    // A[J, J] -= L[J, :j0] L[J, :j0]^T (lower triangle only).
    gemmInto(jb, jb, j0, -1, rowsOf(j0), rowsOf(j0), a, j0 * n + j0, n, { triangle: 'lower' });
    // Factor the diagonal block.
    for (let j = j0; j < j1; j++) {
      const rj = j * n;
      let d = a[rj + j]!;
      for (let p = j0; p < j; p++) d -= a[rj + p]! * a[rj + p]!;
      if (!(d > 0) || !Number.isFinite(d)) return { ok: false, index: j, pivot: d };
      const ljj = Math.sqrt(d);
      a[rj + j] = ljj;
      for (let i = j + 1; i < j1; i++) {
        const ri = i * n;
        let v = a[ri + j]!;
        for (let p = j0; p < j; p++) v -= a[ri + p]! * a[rj + p]!;
        a[ri + j] = v / ljj;
      }
    }
    if (j1 === n) break;
    // A[I, J] -= L[I, :j0] L[J, :j0]^T for the rows below the block, then solve against L[J, J]^T.
    gemmInto(n - j1, jb, j0, -1, rowsOf(j1), rowsOf(j0), a, j1 * n + j0, n);
    forwardSubstituteBlock(a.subarray(j1 * n), a, n, n - j1, j0, j1);
  }
  // Clear what the tile kernel may have written above the diagonal.
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  return { ok: true, L: matrix(n, n, a) };
}

/*
 * One right-hand row (the condition estimate's inverse iteration solves one vector at a time): the
 * products above without packing a 4-row tile for a single row. Each entry gets what gemmInto
 * gives it: per depth block of GEMM_KC from the start of the inner range, a running sum from 0 in
 * increasing order, then y -= sum (gemmInto's y += -1 * sum, the same IEEE operation).
 */

/** y[j] -= sum_{p < j0} y[p] L[j][p] for j in [j0, j1): rows of L, read contiguously. */
function subtractRowProductOneRow(y: Float64Array, l: Float64Array, n: number, j0: number, j1: number): void {
  for (let j = j0; j < j1; j++) {
    const row = j * n;
    let v = y[j]!;
    for (let p0 = 0; p0 < j0; p0 += GEMM_KC) {
      const p1 = Math.min(j0, p0 + GEMM_KC);
      let acc = 0;
      for (let p = p0; p < p1; p++) acc += y[p]! * l[row + p]!;
      v -= acc;
    }
    y[j] = v;
  }
}

/**
 * y[j] -= sum_{p >= j1} y[p] L[p][j] for j in [j0, j1): eight columns at a time in registers, so
 * each row p of the (L2-resident) depth block gives one cache line per pass.
 */
function subtractColumnProductOneRow(y: Float64Array, l: Float64Array, n: number, j0: number, j1: number): void {
  for (let p0 = j1; p0 < n; p0 += GEMM_KC) {
    const p1 = Math.min(n, p0 + GEMM_KC);
    let j = j0;
    for (; j + 8 <= j1; j += 8) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      for (let p = p0, r = p0 * n + j; p < p1; p++, r += n) {
        const yp = y[p]!;
        a0 += yp * l[r]!;
        a1 += yp * l[r + 1]!;
        a2 += yp * l[r + 2]!;
        a3 += yp * l[r + 3]!;
        a4 += yp * l[r + 4]!;
        a5 += yp * l[r + 5]!;
        a6 += yp * l[r + 6]!;
        a7 += yp * l[r + 7]!;
      }
      y[j]! -= a0; y[j + 1]! -= a1; y[j + 2]! -= a2; y[j + 3]! -= a3;
      y[j + 4]! -= a4; y[j + 5]! -= a5; y[j + 6]! -= a6; y[j + 7]! -= a7;
    }
    for (; j < j1; j++) {
      let acc = 0;
      for (let p = p0, r = p0 * n + j; p < p1; p++, r += n) acc += y[p]! * l[r]!;
      y[j]! -= acc;
    }
  }
}

function checkShapes(name: string, l: Matrix, b: Matrix): void {
  if (l.rows !== l.cols) throw new Error(`${name}: factor is ${l.rows} x ${l.cols}, not square`);
  if (b.cols !== l.rows) throw new Error(`${name}: rows of length ${b.cols} against a ${l.rows} x ${l.rows} factor`);
}

/**
 * Y with Y[i] = L^{-1} B[i] for every row (i.e. Y = B L^{-T}), L lower triangular.
 * Blocked: each block of columns first subtracts the already-solved columns with one kernel
 * product, then runs a small forward substitution; N D^2 multiply-adds, mostly in the kernel.
 */
export function solveLowerRows(l: Matrix, b: Matrix): Matrix {
  return solveLowerRowsInPlace(l, matrix(b.rows, b.cols, b.data.slice()));
}

/** solveLowerRows overwriting b with the solution (no copy; row blocks of a large query reuse one buffer). */
export function solveLowerRowsInPlace(l: Matrix, y: Matrix): Matrix {
  checkShapes('solveLowerRows', l, y);
  const n = l.rows;
  const m = y.rows;
  const yd = y.data;
  const ld = l.data;
  for (let j0 = 0; j0 < n; j0 += NB) {
    const j1 = Math.min(n, j0 + NB);
    // Y[:, J] -= Y[:, :j0] L[J, :j0]^T
    if (m === 1) subtractRowProductOneRow(yd, ld, n, j0, j1);
    else gemmInto(m, j1 - j0, j0, -1, { data: yd, offset: 0, rowStride: n, colStride: 1 }, { data: ld, offset: j0 * n, rowStride: n, colStride: 1 }, yd, j0, n);
    forwardSubstituteBlock(yd, ld, n, m, j0, j1);
  }
  return y;
}

/**
 * The diagonal block's forward substitution for every row: y[j] = (y[j] - sum_{j0 <= p < j}
 * y[p] L[j][p]) / L[j][j], p increasing (the many-row solves, and the factor's rows below each
 * block, for which y and L are views of the same matrix). Four rows at a time, so four independent chains of
 * subtractions overlap instead of one waiting on the previous; each row's operations and their
 * order are unchanged. From SIMD_MIN_ROWS rows on, the f64x2 kernel of compute/trsm-kernel.ts does
 * the same operations eight rows at a time.
 */
function forwardSubstituteBlock(yd: Float64Array, ld: Float64Array, n: number, m: number, j0: number, j1: number): void {
  if (substitutionKernel && m >= SIMD_MIN_ROWS && substituteBlockSimd(yd, ld, n, m, j0, j1)) return;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let j = j0; j < j1; j++) {
      const rj = j * n;
      let v0 = yd[r0 + j]!;
      let v1 = yd[r1 + j]!;
      let v2 = yd[r2 + j]!;
      let v3 = yd[r3 + j]!;
      for (let p = j0; p < j; p++) {
        const lp = ld[rj + p]!;
        v0 -= yd[r0 + p]! * lp;
        v1 -= yd[r1 + p]! * lp;
        v2 -= yd[r2 + p]! * lp;
        v3 -= yd[r3 + p]! * lp;
      }
      const d = ld[rj + j]!;
      yd[r0 + j] = v0 / d;
      yd[r1 + j] = v1 / d;
      yd[r2 + j] = v2 / d;
      yd[r3 + j] = v3 / d;
    }
  }
  for (; i < m; i++) {
    const ri = i * n;
    for (let j = j0; j < j1; j++) {
      const rj = j * n;
      let v = yd[ri + j]!;
      for (let p = j0; p < j; p++) v -= yd[ri + p]! * ld[rj + p]!;
      yd[ri + j] = v / ld[rj + j]!;
    }
  }
}

/** Y with Y[i] = L^{-T} B[i] for every row (i.e. Y = B L^{-1}), L lower triangular. */
export function solveLowerTransposeRows(l: Matrix, b: Matrix): Matrix {
  checkShapes('solveLowerTransposeRows', l, b);
  const n = l.rows;
  const m = b.rows;
  const y = matrix(m, n, b.data.slice());
  const yd = y.data;
  const ld = l.data;
  const lastStart = Math.floor((n - 1) / NB) * NB;
  for (let j0 = lastStart; j0 >= 0; j0 -= NB) {
    const j1 = Math.min(n, j0 + NB);
    // Y[:, J] -= Y[:, j1:] L[j1:, J]
    if (m === 1) subtractColumnProductOneRow(yd, ld, n, j0, j1);
    else gemmInto(
      m,
      j1 - j0,
      n - j1,
      -1,
      { data: yd, offset: j1, rowStride: n, colStride: 1 },
      { data: ld, offset: j1 * n + j0, rowStride: 1, colStride: n },
      yd,
      j0,
      n,
    );
    for (let i = 0; i < m; i++) {
      const ri = i * n;
      for (let j = j1 - 1; j >= j0; j--) {
        let v = yd[ri + j]!;
        for (let p = j + 1; p < j1; p++) v -= yd[ri + p]! * ld[p * n + j]!;
        yd[ri + j] = v / ld[j * n + j]!;
      }
    }
  }
  return y;
}

/** Solves S X^T = B^T row by row from S's Cholesky factor: X[i] = S^{-1} B[i]. */
export function choleskySolveRows(l: Matrix, b: Matrix): Matrix {
  return solveLowerTransposeRows(l, solveLowerRows(l, b));
}
