import { eigh, type Eigen } from './eigh.ts';
import { gemmInto, symmetrizeFromUpper } from './gemm.ts';
import { matrix, type Matrix } from './matrix.ts';

export interface PinvhOptions {
  /** Absolute threshold term (scipy's atol), default 0. */
  readonly atol?: number;
  /** Relative threshold term (scipy's rtol), default max(M, N) * eps. */
  readonly rtol?: number;
}

/**
 * The eigenvalues scipy.linalg.pinvh keeps: |lambda| > atol + rtol * max|lambda|, with
 * rtol = max(M, N) * eps by default (scipy >= 1.7; the same cutoff as 1.3-1.6's default).
 */
export function pinvhCutoff(values: Float64Array, size: number, options: PinvhOptions = {}): number {
  const atol = options.atol ?? 0;
  const rtol = options.rtol ?? size * 2 ** -52;
  if (atol < 0 || rtol < 0) throw new Error('pinvh: atol and rtol must be non-negative');
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i]!));
  return atol + maxAbs * rtol;
}

/** Indices of the eigenvalues above pinvh's cutoff, in the decomposition's order. */
export function pinvhKept(values: Float64Array, size: number, options: PinvhOptions = {}): number[] {
  const cut = pinvhCutoff(values, size, options);
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]!) > cut) kept.push(i);
  return kept;
}

/** pinvh from a finished eigendecomposition: U_k diag(1 / lambda_k) U_k^T over the kept pairs. */
export function pinvhFromEigen(eig: Eigen, options: PinvhOptions = {}): Matrix {
  const n = eig.vectors.rows;
  const kept = pinvhKept(eig.values, n, options);
  const r = kept.length;
  // Rows q of u hold the kept eigenvectors; w = u scaled by 1 / lambda.
  const u = new Float64Array(r * n);
  const w = new Float64Array(r * n);
  const cols = eig.vectors.cols;
  const vd = eig.vectors.data;
  kept.forEach((src, q) => {
    const inv = 1 / eig.values[src]!;
    for (let i = 0; i < n; i++) {
      const x = vd[i * cols + src]!;
      u[q * n + i] = x;
      w[q * n + i] = x * inv;
    }
  });
  const out = matrix(n, n);
  const view = (data: Float64Array) => ({ data, offset: 0, rowStride: 1, colStride: n });
  gemmInto(n, n, r, 1, view(u), view(w), out.data, 0, n, { triangle: 'upper' });
  symmetrizeFromUpper(out.data, n);
  return out;
}

/**
 * Moore-Penrose pseudo-inverse of a symmetric matrix with scipy.linalg.pinvh's semantics
 * (scipy 1.10): eigenvalues with |lambda| <= atol + rtol * max|lambda| are dropped, the others
 * inverted (negative ones included). Reads the upper triangle.
 */
export function pinvh(s: Matrix, options: PinvhOptions = {}): Matrix {
  return pinvhFromEigen(eigh(s), options);
}
