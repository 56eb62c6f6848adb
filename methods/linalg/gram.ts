import { gemmInto, symmetrizeFromUpper } from './gemm.ts';
import { matrix, type FloatMatrix, type Matrix } from './matrix.ts';
import { colMeans } from './stats.ts';

/**
 * Symmetric Gram matrix (A - 1 c^T)^T (A - 1 c^T) of an N x D matrix, D x D.
 *
 * `center`: true subtracts the column means, a vector subtracts that vector, false/absent
 * subtracts nothing. The centring happens while the kernel packs its panels, so no centred
 * copy of A is ever made; the rows are consumed in blocks of the kernel's inner block size and
 * only the upper triangle is computed (then mirrored), i.e. N D (D + 1) multiply-adds.
 */
export function gram(a: FloatMatrix, center?: Float64Array | boolean): Matrix {
  const { rows, cols } = a;
  const shift = center === true ? colMeans(a) : center === false ? undefined : center;
  if (shift !== undefined && shift.length !== cols) {
    throw new Error(`gram: centre of length ${shift.length} for ${cols} columns`);
  }
  const out = matrix(cols, cols);
  // Operand (i, p) = A[p][i]: the transposed view, so the inner dimension runs over the rows.
  const view = { data: a.data, offset: 0, rowStride: 1, colStride: cols };
  gemmInto(cols, cols, rows, 1, view, view, out.data, 0, cols, { triangle: 'upper', centerA: shift, centerB: shift });
  symmetrizeFromUpper(out.data, cols);
  return out;
}

/** The scatter of a feature matrix about its column mean: what Mahalanobis and ViM both derive from. */
export interface CentredGram {
  /** The matrix this was computed from (identity-checked before reuse). */
  readonly source: FloatMatrix;
  readonly n: number;
  /** Column means m of the source, length D. */
  readonly mean: Float64Array;
  /** sum_i (z_i - m)(z_i - m)^T, D x D, not divided by N. */
  readonly scatter: Matrix;
}

/** Cache key in FitContext.cache for the centred Gram matrix of ctx.fit.features. */
export const FIT_CENTRED_GRAM_KEY = 'gram:fit-centred';

export function centredGram(features: FloatMatrix): CentredGram {
  const mean = colMeans(features);
  return { source: features, n: features.rows, mean, scatter: gram(features, mean) };
}

/**
 * The centred Gram of the fit features, computed once per cache (FitContext.cache) and shared by
 * every scorer that needs second moments of the fit split: the N D^2 product dominates fitting.
 */
export function cachedCentredGram(cache: Map<string, unknown>, features: FloatMatrix, key = FIT_CENTRED_GRAM_KEY): CentredGram {
  const hit = cache.get(key) as CentredGram | undefined;
  if (hit !== undefined && hit.source === features) return hit;
  const fresh = centredGram(features);
  cache.set(key, fresh);
  return fresh;
}
