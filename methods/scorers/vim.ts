import { z } from 'zod';
import { eighTop } from '../linalg/eigh.ts';
import { matmul } from '../linalg/gemm.ts';
import { cachedCentredGram } from '../linalg/gram.ts';
import { matrix, type FloatMatrix, type Matrix } from '../linalg/matrix.ts';
import { pinvSolve } from '../linalg/pinv.ts';
import { rowLogSumExp, rowMax } from '../logits.ts';
import { defineScorer } from '../scorer.ts';

/**
 * ViM (Wang et al. 2022) as the benchmark ran it (docs/multiood-facts.md §3; OpenOOD's postprocessor):
 *   u = -pinv(W) b, the origin of the feature space in the classifier's view;
 *   the principal subspace V = top-`dim` eigenvectors of the uncentred second moment of
 *   (fit features - u), divided by N;
 *   residual r(z) = ||(z - u) N_S|| = sqrt(||z - u||^2 - ||(z - u) V||^2) (clamped at 0);
 *   alpha = mean over fit of max logit / mean over fit of r;
 *   conf = logsumexp(logits) - alpha r.
 * The second moment is derived from the centred Gram G of the fit features (shared with
 * Mahalanobis through ctx.cache): sum (z - u)(z - u)^T = G + N (m - u)(m - u)^T.
 * Only the principal subspace is computed (exact top-k eigenpairs), never N_S itself.
 */

/** Rows projected per pass (bounds the temporary copies). */
const CHUNK = 2048;

export const vimSettings = z.object({
  /** Size of the principal subspace (the benchmark's 256). */
  dim: z.number().int().positive().default(256),
});
export type VimSettings = z.infer<typeof vimSettings>;

export interface VimModel {
  /** u = -pinv(W) b, length D. */
  readonly origin: Float64Array;
  /** D x dim principal subspace (columns orthonormal). */
  readonly principal: Matrix;
  /** Its eigenvalues, ascending. */
  readonly eigenvalues: Float64Array;
  readonly alpha: number;
}

/** ||(z - u) N_S|| for every row of `features`. */
export function vimResiduals(origin: Float64Array, principal: Matrix, features: FloatMatrix): Float64Array {
  const d = origin.length;
  if (features.cols !== d) throw new Error(`vim: features have ${features.cols} columns, the fit had ${d}`);
  const out = new Float64Array(features.rows);
  const buffer = new Float64Array(Math.min(CHUNK, features.rows) * d); // one block buffer, reused
  for (let start = 0; start < features.rows; start += CHUNK) {
    const end = Math.min(features.rows, start + CHUNK);
    const shifted = matrix(end - start, d, buffer.subarray(0, (end - start) * d));
    for (let i = start; i < end; i++) {
      const src = i * d;
      const dst = (i - start) * d;
      for (let j = 0; j < d; j++) shifted.data[dst + j] = features.data[src + j]! - origin[j]!;
    }
    const proj = matmul(shifted, principal);
    const k = proj.cols;
    for (let i = 0; i < end - start; i++) {
      let total = 0;
      for (let j = 0; j < d; j++) {
        const v = shifted.data[i * d + j]!;
        total += v * v;
      }
      let inside = 0;
      for (let q = 0; q < k; q++) {
        const v = proj.data[i * k + q]!;
        inside += v * v;
      }
      out[start + i] = Math.sqrt(Math.max(0, total - inside));
    }
  }
  return out;
}

export function fitVim(
  fit: { readonly features: FloatMatrix; readonly logits: FloatMatrix },
  head: { readonly weight: Matrix; readonly bias: Float64Array },
  cache: Map<string, unknown>,
  settings: VimSettings,
): VimModel {
  const { features, logits } = fit;
  const d = features.cols;
  const n = features.rows;
  const { dim } = settings;
  if (dim >= d) {
    throw new Error(`vim: dim = ${dim} must be smaller than the feature dimension D = ${d} (the residual space would be empty)`);
  }
  if (head.weight.cols !== d) throw new Error(`vim: head weight is ${head.weight.rows} x ${head.weight.cols}, features have D = ${d}`);
  if (n === 0) throw new Error('vim: the fit split has no rows');
  const origin = pinvSolve(head.weight, head.bias).map((v) => -v);
  const g = cachedCentredGram(cache, features);
  const moment = new Float64Array(d * d);
  const shift = new Float64Array(d);
  for (let j = 0; j < d; j++) shift[j] = g.mean[j]! - origin[j]!;
  const sc = g.scatter.data;
  for (let i = 0; i < d; i++) {
    const si = shift[i]! * n;
    const row = i * d;
    for (let j = 0; j < d; j++) moment[row + j] = (sc[row + j]! + si * shift[j]!) / n;
  }
  // `moment` is ours alone: the tridiagonalisation works in its buffer.
  const eig = eighTop(matrix(d, d, moment), dim, { overwrite: true });
  const residuals = vimResiduals(origin, eig.vectors, features);
  let maxLogitSum = 0;
  for (const v of rowMax(logits)) maxLogitSum += v;
  let residualSum = 0;
  for (const v of residuals) residualSum += v;
  if (!(residualSum > 0)) throw new Error('vim: the fit features have no component outside the principal subspace (alpha undefined)');
  const alpha = maxLogitSum / n / (residualSum / n);
  return { origin, principal: eig.vectors, eigenvalues: eig.values, alpha };
}

export const vim = defineScorer({
  id: 'vim',
  title: 'ViM',
  summary:
    'Energy of the fused logits minus a virtual logit: the scaled norm of the feature’s residual outside the principal subspace of the ID fit features (origin u = -pinv(W)b, dim 256).',
  paper: {
    title: 'ViM: Out-Of-Distribution with Virtual-logit Matching (Wang et al., CVPR 2022)',
    url: 'https://arxiv.org/abs/2203.10807',
  },
  usesFitFeatures: true,
  settings: vimSettings,
  fit(ctx, settings) {
    const model = fitVim(ctx.fit, ctx.head, ctx.cache, settings);
    return {
      score(split) {
        const energy = rowLogSumExp(split.logits);
        const residual = vimResiduals(model.origin, model.principal, split.features);
        const conf = new Float64Array(split.features.rows);
        for (let i = 0; i < conf.length; i++) conf[i] = energy[i]! - model.alpha * residual[i]!;
        return { conf };
      },
    };
  },
});
