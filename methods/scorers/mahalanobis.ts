import { z } from 'zod';
import { cholesky, solveLowerRows, solveLowerRowsInPlace, solveLowerTransposeRows } from '../linalg/cholesky.ts';
import { eigh } from '../linalg/eigh.ts';
import { gemmInto, matmulABt, strided, symmetrizeFromUpper } from '../linalg/gemm.ts';
import { cachedCentredGram } from '../linalg/gram.ts';
import { matrix, type FloatMatrix, type Matrix } from '../linalg/matrix.ts';
import { pinvhKept } from '../linalg/pinvh.ts';
import { classMeans } from '../linalg/stats.ts';
import { collectGarbage } from '../memory.ts';
import { defineScorer } from '../scorer.ts';

/**
 * Mahalanobis (Lee et al. 2018) as the benchmark ran it (docs/multiood-facts.md §3):
 *   conf(z) = max_c -(z - mu_c)^T P (z - mu_c),
 * mu_c the class means of the fit features, P = pinvh of the tied maximum-likelihood covariance
 * of the class-centred fit features (sklearn EmpiricalCovariance().fit(centred).precision_),
 * no 1/2 factor, no input perturbation.
 *
 * P is never formed. The covariance is derived from the fit features' centred Gram matrix
 * (shared with ViM through ctx.cache) as (G - sum_c n_c (mu_c - m)(mu_c - m)^T) / N, and a
 * whitening map y = A (z - m) with P = A^T diag(sign) A is built once:
 *  - Cholesky (A = L^{-1}) when the covariance is safely positive definite, i.e. its smallest
 *    eigenvalue (inverse-iteration estimate) clears pinvh's cutoff by a wide margin, so pinvh
 *    would keep every eigenvalue and equals the inverse;
 *  - otherwise the eigendecomposition with exactly pinvh's cutoff (A = diag(|lambda|^-1/2) V^T
 *    over the kept eigenpairs; a negative kept eigenvalue enters with sign -1, as in pinvh).
 * Feature columns whose covariance row is exactly zero (e.g. dead units) are dropped first:
 * that block's eigenvalues are exactly 0, which pinvh drops anyway.
 * Scores then need one whitening of the query and one product against the C whitened means.
 */

const EPS = 2 ** -52;
/** Cholesky is used only when lambda_min > SAFETY * pinvh cutoff (cond well inside pinvh's range). */
const SAFETY = 1e4;
/** Query rows whitened per pass (bounds the temporary copies). */
const CHUNK = 2048;

export const mahalanobisSettings = z.object({
  /** 'auto' picks Cholesky or pinvh as described above; the others force one (diagnostics). */
  solver: z.enum(['auto', 'cholesky', 'pinvh']).default('auto'),
});
export type MahalanobisSettings = z.infer<typeof mahalanobisSettings>;

/** How the fitted model whitens: exposed for tests and diagnostics. */
export interface MahalanobisModel {
  readonly solver: 'cholesky' | 'pinvh';
  /** Columns of the features that enter the distance (those with non-zero covariance rows). */
  readonly active: Int32Array;
  /** The fit features' column mean m (full length D); whitening acts on z - m. */
  readonly center: Float64Array;
  /** Whitened class means nu_c = A (mu_c - m), C x r. */
  readonly whitenedMeans: Matrix;
  /** Rank kept by the whitening (r). */
  readonly rank: number;
  readonly whiten: (centred: Matrix) => Matrix;
  /** whiten into a caller's buffer (may overwrite `centred`): query blocks reuse their buffers. */
  readonly whitenInto: (centred: Matrix, out: Float64Array) => Matrix;
  /** +1 / -1 per whitened coordinate (all +1 on the Cholesky path). */
  readonly signs: Float64Array;
}

/** The class-centred tied covariance (divide by N), from the shared centred Gram. */
export function tiedCovariance(features: FloatMatrix, labels: Int32Array, numClasses: number, cache: Map<string, unknown>) {
  const g = cachedCentredGram(cache, features);
  const { means, counts } = classMeans(features, labels, numClasses);
  const d = features.cols;
  const n = features.rows;
  // Rows sqrt(n_c) (mu_c - m): between-class scatter = B^T B.
  const b = new Float64Array(numClasses * d);
  for (let c = 0; c < numClasses; c++) {
    const w = Math.sqrt(counts[c]!);
    for (let j = 0; j < d; j++) b[c * d + j] = w * (means.data[c * d + j]! - g.mean[j]!);
  }
  const cov = g.scatter.data.slice();
  const view = { data: b, offset: 0, rowStride: 1, colStride: d };
  gemmInto(d, d, numClasses, -1, view, view, cov, 0, d, { triangle: 'upper' });
  symmetrizeFromUpper(cov, d);
  for (let i = 0; i < cov.length; i++) cov[i]! /= n;
  return { covariance: matrix(d, d, cov), means, counts, center: g.mean };
}

/**
 * The rows and columns `idx` (ascending) of s, compacted in place at the front of s's buffer (no
 * second D x D matrix). Safe in one forward pass: entry (a, b) moves from idx[a] * D + idx[b] to
 * a * r + b, never a later position, and no later entry reads from an earlier one.
 */
function compactInPlace(s: Matrix, idx: Int32Array): Matrix {
  const r = idx.length;
  const data = s.data;
  for (let a = 0; a < r; a++) {
    const row = idx[a]! * s.cols;
    for (let b = 0; b < r; b++) data[a * r + b] = data[row + idx[b]!]!;
  }
  return matrix(r, r, data.subarray(0, r * r));
}

/** Rows of `x` minus `center`, restricted to the active columns (into `into` when given). */
function centredActive(x: FloatMatrix, start: number, end: number, center: Float64Array, active: Int32Array, into?: Float64Array): Matrix {
  const r = active.length;
  const out = matrix(end - start, r, into?.subarray(0, (end - start) * r));
  for (let i = start; i < end; i++) {
    const src = i * x.cols;
    const dst = (i - start) * r;
    for (let a = 0; a < r; a++) {
      const j = active[a]!;
      out.data[dst + a] = x.data[src + j]! - center[j]!;
    }
  }
  return out;
}

/** Upper-bound estimate of 1 / lambda_min(S) by inverse iteration with the Cholesky factor. */
function inverseNormEstimate(l: Matrix, iterations = 30): number {
  const n = l.rows;
  let x = matrix(1, n);
  // A fixed pseudo-random start (xorshift32): deterministic, and not orthogonal to any
  // structured eigenvector such as (e_i - e_j) of duplicated columns.
  let state = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    x.data[i] = (state >>> 0) / 4294967296 - 0.5;
  }
  let mu = 0;
  for (let it = 0; it < iterations; it++) {
    let norm = 0;
    for (const v of x.data) norm += v * v;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) x.data[i]! /= norm;
    // y = S^{-1} x = L^{-T} L^{-1} x
    const w = solveLowerRows(l, x);
    const y = solveLowerTransposeRows(l, w).data;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += y[i]! * x.data[i]!;
    mu = dot;
    x = matrix(1, n, y);
  }
  return mu;
}

/** Lower-bound estimate of lambda_max(S) by power iteration (at least the largest diagonal entry). */
function largestEigenvalueEstimate(s: Matrix, iterations = 30): number {
  const n = s.rows;
  let best = 0;
  for (let i = 0; i < n; i++) best = Math.max(best, s.data[i * n + i]!);
  let x = new Float64Array(n).fill(1);
  for (let it = 0; it < iterations; it++) {
    let norm = 0;
    for (const v of x) norm += v * v;
    norm = Math.sqrt(norm);
    if (norm === 0) break;
    for (let i = 0; i < n; i++) x[i]! /= norm;
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let acc = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) acc += s.data[row + j]! * x[j]!;
      y[i] = acc;
    }
    let rq = 0;
    for (let i = 0; i < n; i++) rq += y[i]! * x[i]!;
    best = Math.max(best, rq);
    x = y;
  }
  return best;
}

export function fitMahalanobis(
  features: FloatMatrix,
  labels: Int32Array,
  numClasses: number,
  cache: Map<string, unknown>,
  settings: MahalanobisSettings = { solver: 'auto' },
): MahalanobisModel {
  const d = features.cols;
  const { covariance, means, center } = tiedCovariance(features, labels, numClasses, cache);
  const activeList: number[] = [];
  for (let j = 0; j < d; j++) {
    const row = covariance.data.subarray(j * d, (j + 1) * d);
    if (row.some((v) => v !== 0)) activeList.push(j);
  }
  const active = Int32Array.from(activeList);
  const reduced = active.length === d ? covariance : compactInPlace(covariance, active);
  const meanRows = centredActive(means, 0, numClasses, center, active);

  let solver = settings.solver;
  let factor: Matrix | undefined;
  if (solver !== 'pinvh' && active.length > 0) {
    const chol = cholesky(reduced);
    if (chol.ok) {
      if (solver === 'cholesky') {
        factor = chol.L;
      } else {
        const lambdaMax = largestEigenvalueEstimate(reduced);
        const lambdaMin = 1 / inverseNormEstimate(chol.L);
        const cutoff = d * EPS * lambdaMax;
        if (lambdaMin > SAFETY * cutoff) factor = chol.L;
      }
    } else if (solver === 'cholesky') {
      throw new Error(`mahalanobis: the tied covariance is not positive definite (pivot ${chol.pivot} at column ${chol.index}); use solver 'auto' or 'pinvh'`);
    }
  }
  if (factor !== undefined) {
    const l = factor;
    const whiten = (x: Matrix) => solveLowerRows(l, x);
    const whitenInto = (x: Matrix) => solveLowerRowsInPlace(l, x);
    const signs = new Float64Array(active.length).fill(1);
    return { solver: 'cholesky', active, center, whitenedMeans: whiten(meanRows), rank: active.length, whiten, whitenInto, signs };
  }
  solver = 'pinvh';
  collectGarbage(d * d * 8); // a Cholesky factor that was tried and not kept
  // The covariance is not needed again: the eigendecomposition works in its buffer.
  const eig = active.length > 0 ? eigh(reduced, { overwrite: true }) : { values: new Float64Array(0), vectors: matrix(0, 0) };
  collectGarbage(d * d * 8); // eigh's work space
  // pinvh's cutoff: rtol = max(M, N) * eps of the *full* D x D covariance; the dropped
  // zero rows only add exact zero eigenvalues, which change neither max|lambda| nor the kept set.
  const kept = active.length > 0 ? pinvhKept(eig.values, d) : [];
  const r = active.length;
  const rank = kept.length;
  const a = matrix(rank, r);
  const signs = new Float64Array(rank);
  kept.forEach((src, q) => {
    const lambda = eig.values[src]!;
    const scale = 1 / Math.sqrt(Math.abs(lambda));
    signs[q] = lambda < 0 ? -1 : 1;
    for (let i = 0; i < r; i++) a.data[q * r + i] = eig.vectors.data[i * eig.vectors.cols + src]! * scale;
  });
  const whiten = (x: Matrix) => matmulABt(x, a);
  const whitenInto = (x: Matrix, out: Float64Array) => {
    // what matmulABt does, into the caller's (zeroed) buffer
    const y = matrix(x.rows, rank, out.subarray(0, x.rows * rank).fill(0));
    gemmInto(x.rows, rank, r, 1, strided(x), strided(a), y.data, 0, rank);
    return y;
  };
  return { solver, active, center, whitenedMeans: whiten(meanRows), rank, whiten, whitenInto, signs };
}

/** -min_c sum_q sign_q (y_q - nu_cq)^2 for every row of `split` features. */
export function mahalanobisConfidence(model: MahalanobisModel, features: FloatMatrix): Float64Array {
  const { whitenedMeans: nu, signs, center, active } = model;
  const numClasses = nu.rows;
  const r = nu.cols;
  if (features.cols !== center.length) {
    throw new Error(`mahalanobis: features have ${features.cols} columns, the fit had ${center.length}`);
  }
  const nuSq = new Float64Array(numClasses);
  const nuSigned = matrix(numClasses, r);
  for (let c = 0; c < numClasses; c++) {
    let s = 0;
    for (let q = 0; q < r; q++) {
      const v = nu.data[c * r + q]!;
      s += signs[q]! * v * v;
      nuSigned.data[c * r + q] = signs[q]! * v;
    }
    nuSq[c] = s;
  }
  const conf = new Float64Array(features.rows);
  // One pair of block buffers for the whole split: no garbage per block.
  const block = Math.min(CHUNK, features.rows);
  const centredBuf = new Float64Array(block * active.length);
  const whitenedBuf = new Float64Array(block * r);
  for (let start = 0; start < features.rows; start += CHUNK) {
    const end = Math.min(features.rows, start + CHUNK);
    const y = model.whitenInto(centredActive(features, start, end, center, active, centredBuf), whitenedBuf);
    const cross = matmulABt(y, nuSigned);
    for (let i = 0; i < end - start; i++) {
      let ySq = 0;
      for (let q = 0; q < r; q++) {
        const v = y.data[i * r + q]!;
        ySq += signs[q]! * v * v;
      }
      let best = Infinity;
      for (let c = 0; c < numClasses; c++) {
        const dist = ySq - 2 * cross.data[i * numClasses + c]! + nuSq[c]!;
        if (dist < best) best = dist;
      }
      conf[start + i] = -best;
    }
  }
  return conf;
}

export const mahalanobis = defineScorer({
  id: 'mahalanobis',
  title: 'Mahalanobis',
  summary:
    'Negative squared Mahalanobis distance to the closest class mean, under the tied class-centred covariance of the ID fit features (pseudo-inverse, no input perturbation).',
  paper: {
    title: 'A Simple Unified Framework for Detecting Out-of-Distribution Samples and Adversarial Attacks (Lee et al., NeurIPS 2018)',
    url: 'https://arxiv.org/abs/1807.03888',
  },
  usesFitFeatures: true,
  settings: mahalanobisSettings,
  fit(ctx, settings) {
    const labels = ctx.fit.labels;
    if (labels === undefined) throw new Error('mahalanobis: the fit split has no labels (class means need them)');
    const model = fitMahalanobis(ctx.fit.features, labels, ctx.numClasses, ctx.cache, settings);
    return { score: (split) => ({ conf: mahalanobisConfidence(model, split.features) }) };
  },
});
