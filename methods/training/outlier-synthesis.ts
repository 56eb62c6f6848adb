/**
 * The outlier-synthesis ablations of the paper's Table 6, all drawing from the same per-class
 * embedding queues and all returning one outlier per (non-empty) class per step:
 *
 *  - 'npmix': Nearest-Prototype Mixup (npmix.ts), the paper's method.
 *  - 'mixup': plain Mixup between random classes: for each non-empty class c, a partner class
 *    s != c drawn uniformly from the other non-empty classes (instead of among c's nearest
 *    prototypes), one queued row of each, lambda ~ Beta(alpha, alpha) with the same alpha = 10,
 *    outlier = lambda z_c + (1 - lambda) z_s.
 *  - 'vos': Virtual Outlier Synthesis (Du et al. 2022, "VOS: Learning What You Don't Know by
 *    Virtual Outlier Synthesis"): class-conditional Gaussians N(mu_c, Sigma) with a tied
 *    covariance Sigma = (1/N) sum_c sum_{z in queue c} (z - mu_c)(z - mu_c)^T + ridge * I
 *    (VOS's estimate: divide by the total row count N, then add 1e-4 I), and per class the
 *    least likely of `vosCandidates` draws from N(mu_c, Sigma) (VOS: select = 1). Settings below.
 *
 * Every random draw goes through the caller's seeded Random.
 */
import type { Random } from '../random.ts';
import { ClassQueues, NPMIX_ALPHA, npmixOutliers, type NpmixOptions } from './npmix.ts';

export type OutlierSynthesis = 'npmix' | 'mixup' | 'vos';

export const OUTLIER_SYNTHESES: readonly OutlierSynthesis[] = ['npmix', 'mixup', 'vos'];

/** VOS defaults. VOS itself samples 10 000 candidates; 1000 is the project's default (the brief's). */
export const VOS_CANDIDATES = 1000;
export const VOS_RIDGE = 1e-4;

export interface SynthesisOptions extends NpmixOptions {
  /** VOS: candidates drawn per class, of which the least likely is kept; default 1000. */
  vosCandidates?: number;
  /** VOS: ridge added to the tied covariance's diagonal; default 1e-4. */
  vosRidge?: number;
  /**
   * VOS: how the least likely candidate is found.
   *  - 'radial' (default): candidate = mu_c + L z with Sigma = L L^T and z ~ N(0, I), and
   *    log N(mu_c + L z; mu_c, Sigma) = const - ||z||^2 / 2, so the least likely candidate is the
   *    one with the largest ||z||. For z ~ N(0, I_d), ||z||^2 ~ chi^2_d = 2 Gamma(d/2) and
   *    z / ||z|| is uniform on the sphere, independent of ||z||; so draw the candidates' squared
   *    norms (rng.gamma), keep the largest, and give it one uniform direction (d rng.normal
   *    draws): the same distribution as 'explicit' at O(candidates + d^2) per class.
   *  - 'explicit': draw all candidates' z (candidates x d normals) and keep the largest ||z||^2
   *    (ties: the first). Same distribution, different random stream, O(candidates * d) draws.
   */
  vosSampler?: 'radial' | 'explicit';
}

export interface SynthesisResult {
  /** count x dim, row-major, classes ascending. */
  outliers: Float32Array;
  count: number;
  /** The anchor class of each outlier (npmix / mixup: c of the pair; vos: the Gaussian's class). */
  classes: number[];
}

/** Synthesises one step's outliers by the named method; see the module comment. */
export function synthesizeOutliers(kind: OutlierSynthesis, queues: ClassQueues, rng: Random, o: SynthesisOptions = {}): SynthesisResult {
  switch (kind) {
    case 'npmix': {
      const r = npmixOutliers(queues, rng, o);
      return { outliers: r.outliers, count: r.count, classes: r.pairs.map((p) => p[0]) };
    }
    case 'mixup': {
      const r = mixupOutliers(queues, rng, o);
      return { outliers: r.outliers, count: r.count, classes: r.pairs.map((p) => p[0]) };
    }
    case 'vos':
      return vosOutliers(queues, rng, o);
    default: {
      const never: never = kind;
      throw new Error(`synthesizeOutliers: unknown method ${String(never)}`);
    }
  }
}

/**
 * Mixup between random class pairs: for each non-empty class c (ascending) draw, in this order,
 * z_c (a queued row of c), s uniformly among the other non-empty classes, z_s, and
 * lambda ~ Beta(alpha, alpha) (default alpha 10, as NP-Mix); emit lambda z_c + (1 - lambda) z_s.
 * Fewer than two non-empty classes: nothing.
 */
export function mixupOutliers(
  queues: ClassQueues,
  rng: Random,
  o: { alpha?: number } = {},
): { outliers: Float32Array; count: number; pairs: [number, number][]; lambdas: number[] } {
  const alpha = o.alpha ?? NPMIX_ALPHA;
  if (!(alpha > 0)) throw new Error(`mixupOutliers: alpha ${alpha}, expected > 0`);
  const dim = queues.dim;
  const classes = nonEmptyClasses(queues);
  const pairs: [number, number][] = [];
  const lambdas: number[] = [];
  if (classes.length < 2) return { outliers: new Float32Array(0), count: 0, pairs, lambdas };
  const outliers = new Float32Array(classes.length * dim);
  classes.forEach((c, ci) => {
    const zc = queues.sample(c, rng);
    let j = rng.int(classes.length - 1);
    if (j >= ci) j++; // uniform over the others
    const s = classes[j]!;
    const zs = queues.sample(s, rng);
    const lambda = rng.beta(alpha, alpha);
    for (let d = 0; d < dim; d++) outliers[ci * dim + d] = lambda * zc[d]! + (1 - lambda) * zs[d]!;
    pairs.push([c, s]);
    lambdas.push(lambda);
  });
  return { outliers, count: classes.length, pairs, lambdas };
}

/**
 * The class means and the tied covariance (VOS): Sigma = (1/N) sum_c sum_{z in c} (z - mu_c)(z - mu_c)^T
 * + ridge I over the non-empty classes (N rows in all); float64, Sigma row-major d x d.
 */
export function tiedGaussian(queues: ClassQueues, ridge: number = VOS_RIDGE): { classes: number[]; means: Float64Array; covariance: Float64Array } {
  const dim = queues.dim;
  const classes = nonEmptyClasses(queues);
  const means = new Float64Array(classes.length * dim);
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  let total = 0;
  classes.forEach((c, ci) => {
    const rows = queues.rows(c);
    const n = rows.length / dim;
    for (let r = 0; r < n; r++) for (let d = 0; d < dim; d++) means[ci * dim + d]! += rows[r * dim + d]!;
    for (let d = 0; d < dim; d++) means[ci * dim + d]! /= n;
    for (let r = 0; r < n; r++) {
      for (let d = 0; d < dim; d++) centred[d] = rows[r * dim + d]! - means[ci * dim + d]!;
      for (let a = 0; a < dim; a++) {
        const va = centred[a]!;
        if (va === 0) continue;
        for (let b = 0; b <= a; b++) cov[a * dim + b]! += va * centred[b]!;
      }
    }
    total += n;
  });
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b <= a; b++) {
      const v = total > 0 ? cov[a * dim + b]! / total : 0;
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
    cov[a * dim + a]! += ridge;
  }
  return { classes, means, covariance: cov };
}

/**
 * Lower-triangular Cholesky factor L (row-major, float64) of a symmetric positive-definite
 * matrix; throws if a pivot is not positive.
 */
export function choleskyLower(s: Float64Array, n: number): Float64Array {
  if (s.length !== n * n) throw new Error(`choleskyLower: ${s.length} values for ${n} x ${n}`);
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = s[j * n + j]!;
    for (let p = 0; p < j; p++) d -= l[j * n + p]! * l[j * n + p]!;
    if (!(d > 0) || !Number.isFinite(d)) throw new Error(`choleskyLower: matrix not positive definite (pivot ${d} at ${j})`);
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let v = s[i * n + j]!;
      for (let p = 0; p < j; p++) v -= l[i * n + p]! * l[j * n + p]!;
      l[i * n + j] = v / ljj;
    }
  }
  return l;
}

/**
 * VOS: for each non-empty class c (ascending), the least likely of `vosCandidates` draws from
 * N(mu_c, Sigma) with the tied covariance of tiedGaussian (see SynthesisOptions.vosSampler for
 * how it is drawn). Works with a single class too. `mahalanobis2` holds each outlier's squared
 * Mahalanobis distance ||z||^2 from its class mean (outlier = mu_c + L z).
 */
export function vosOutliers(
  queues: ClassQueues,
  rng: Random,
  o: SynthesisOptions = {},
): SynthesisResult & { mahalanobis2: number[] } {
  const candidates = o.vosCandidates ?? VOS_CANDIDATES;
  const ridge = o.vosRidge ?? VOS_RIDGE;
  const sampler = o.vosSampler ?? 'radial';
  if (!Number.isInteger(candidates) || candidates < 1) throw new Error(`vosOutliers: vosCandidates ${candidates}, expected a positive integer`);
  if (!(ridge >= 0)) throw new Error(`vosOutliers: vosRidge ${ridge}, expected >= 0`);
  const dim = queues.dim;
  const { classes, means, covariance } = tiedGaussian(queues, ridge);
  if (classes.length === 0) return { outliers: new Float32Array(0), count: 0, classes, mahalanobis2: [] };
  const l = choleskyLower(covariance, dim);
  const outliers = new Float32Array(classes.length * dim);
  const mahalanobis2: number[] = [];
  const z = new Float64Array(dim);
  classes.forEach((_c, ci) => {
    if (sampler === 'radial') {
      let best = -Infinity;
      for (let t = 0; t < candidates; t++) {
        const r2 = 2 * rng.gamma(dim / 2);
        if (r2 > best) best = r2;
      }
      let norm2 = 0;
      do {
        norm2 = 0;
        for (let d = 0; d < dim; d++) {
          z[d] = rng.normal();
          norm2 += z[d]! * z[d]!;
        }
      } while (norm2 === 0);
      const scale = Math.sqrt(best / norm2);
      for (let d = 0; d < dim; d++) z[d]! *= scale;
      mahalanobis2.push(best);
    } else {
      const cand = new Float64Array(dim);
      let best = -Infinity;
      for (let t = 0; t < candidates; t++) {
        let norm2 = 0;
        for (let d = 0; d < dim; d++) {
          cand[d] = rng.normal();
          norm2 += cand[d]! * cand[d]!;
        }
        if (norm2 > best) {
          best = norm2;
          z.set(cand);
        }
      }
      mahalanobis2.push(best);
    }
    for (let a = 0; a < dim; a++) {
      let v = means[ci * dim + a]!;
      for (let b = 0; b <= a; b++) v += l[a * dim + b]! * z[b]!;
      outliers[ci * dim + a] = v;
    }
  });
  return { outliers, count: classes.length, classes, mahalanobis2 };
}

function nonEmptyClasses(queues: ClassQueues): number[] {
  const out: number[] = [];
  for (let c = 0; c < queues.numClasses; c++) if (queues.size(c) > 0) out.push(c);
  return out;
}
