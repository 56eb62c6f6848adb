import { z } from 'zod';
import { dotErrorBound, getCompute, type ComputeBackend } from '../compute/index.ts';
import { dot } from '../compute/js.ts';
import type { Matrix } from '../linalg/matrix.ts';
import { defineScorer } from '../scorer.ts';

/**
 * Deep nearest neighbours (Sun et al. 2022) as OpenOOD, and so MultiOOD, runs it: every fit and
 * query feature is scaled to unit length (x / (‖x‖ + 1e-10), in float32), and
 * conf = −(squared L2 distance to the K-th nearest fit feature), K = 10.
 *
 * Upstream searches a faiss IndexFlatL2 in float32, i.e. ‖q‖² + ‖f‖² − 2 q·f with float32 dot
 * products. Here the same float32 unit vectors are searched in two stages:
 * 1. a float32 GEMM (methods/compute, WebAssembly SIMD or JS) gives every q·f with a known worst-case
 *    error bound e (see dotErrorBound); the K-th smallest approximate distance is found per row;
 * 2. every fit row whose approximate distance lies within 2e of that K-th value is re-scored in
 *    float64 (same formula, exact up to ~1e-16), and the K-th smallest exact distance is taken,
 *    counting the rows certainly below the window.
 * The result is the exact K-th distance of the float32 unit vectors, whatever the backend, thread
 * count or block size; it differs from faiss only by faiss's own float32 rounding (~1e-7).
 * Queries go in blocks of QUERY_BLOCK rows, so memory is O(block x fit rows), never queries x fit.
 */
export const knn = defineScorer({
  id: 'knn',
  title: 'KNN',
  summary: 'Distance from the L2-normalised embedding to its K-th nearest L2-normalised fit embedding; closer means more in-distribution.',
  paper: { title: 'Out-of-Distribution Detection with Deep Nearest Neighbors (Sun et al., ICML 2022)', url: 'https://arxiv.org/abs/2204.06507' },
  usesFitFeatures: true,
  settings: z.object({ k: z.number().int().positive().default(10) }),
  fit(ctx, settings) {
    const index = buildKnnIndex(ctx.fit.features);
    if (settings.k > index.rows) {
      throw new Error(`knn: K = ${settings.k} exceeds the ${index.rows} fit rows`);
    }
    return {
      score(split) {
        const dist = index.kthDistances(split.features, settings.k);
        const conf = new Float64Array(dist.length);
        for (let i = 0; i < dist.length; i++) conf[i] = -dist[i]!;
        return { conf };
      },
    };
  },
});

/** Rows of query block per GEMM call: 512 x 40,048 fit rows of float32 is 82 MB. */
export const QUERY_BLOCK = 512;

export interface KnnStats {
  /** Query rows searched. */
  queries: number;
  /** Fit rows re-scored in float64 over all queries (about K + a few per query on real data). */
  refined: number;
}

export interface KnnIndex {
  readonly rows: number;
  readonly cols: number;
  /** Unit-length fit rows in float32, row-major. */
  readonly unit: Float32Array;
  /** Squared norms of `unit`'s rows, float64 (1 up to rounding, 0 for a zero row). */
  readonly sqNorms: Float64Array;
  /**
   * Squared L2 distance from each (unit-scaled) query row to its k-th nearest fit row.
   * `backend` defaults to the active compute backend; `stats`, when given, is filled in.
   */
  kthDistances(queries: Matrix, k: number, options?: { backend?: ComputeBackend; stats?: KnnStats }): Float64Array;
}

export function buildKnnIndex(fit: Matrix): KnnIndex {
  const { rows, cols } = fit;
  const unit = new Float32Array(rows * cols);
  const sqNorms = new Float64Array(rows);
  unitRows(fit.data, cols, 0, rows, unit, sqNorms, 'fit');
  let maxSq = 0;
  for (let j = 0; j < rows; j++) maxSq = Math.max(maxSq, sqNorms[j]!);
  const maxNorm = Math.sqrt(maxSq);
  return {
    rows,
    cols,
    unit,
    sqNorms,
    kthDistances(queries, k, options = {}) {
      if (queries.cols !== cols) {
        throw new Error(`knn: queries have ${queries.cols} features, the fit set ${cols}`);
      }
      if (!Number.isInteger(k) || k < 1 || k > rows) {
        throw new Error(`knn: K = ${k} must be an integer in [1, ${rows}] (the fit rows)`);
      }
      const nq = queries.rows;
      const out = new Float64Array(nq);
      if (nq === 0) return out;
      const backend = options.backend ?? getCompute();
      const stats = options.stats;
      // Error bound on each float32 q·f (relative to ‖q‖‖f‖), doubled for ‖q‖² + ‖f‖² − 2 q·f.
      const gamma2 = 2 * dotErrorBound(cols);
      const right = backend.prepareRight(unit, rows, cols);
      try {
        const block = Math.min(QUERY_BLOCK, nq);
        const q = new Float32Array(block * cols);
        const qSq = new Float64Array(block);
        const dots = new Float32Array(block * rows);
        const best = new Float64Array(k);
        const cand = new Int32Array(rows);
        const candDist = new Float64Array(rows);
        for (let i0 = 0; i0 < nq; i0 += block) {
          const count = Math.min(block, nq - i0);
          unitRows(queries.data, cols, i0, count, q, qSq, 'query');
          right.multiply(q.subarray(0, count * cols), count, dots);
          for (let r = 0; r < count; r++) {
            const qn = qSq[r]!;
            const e = gamma2 * Math.sqrt(qn) * maxNorm;
            const o = r * rows;
            // Stage 1: the k smallest approximate t_j = ‖f_j‖² − 2 q·f_j (distance minus ‖q‖²).
            best.fill(Infinity);
            let worst = Infinity;
            for (let j = 0; j < rows; j++) {
              const t = sqNorms[j]! - 2 * dots[o + j]!;
              if (t < worst) {
                let p = k - 1;
                while (p > 0 && best[p - 1]! > t) {
                  best[p] = best[p - 1]!;
                  p--;
                }
                best[p] = t;
                worst = best[k - 1]!;
              }
            }
            // Stage 2: rows within the error window of the k-th are re-scored exactly; rows below
            // it are certainly nearer than the k-th exact distance, rows above certainly farther.
            const margin = 2 * e + 1e-12;
            const lo = worst - margin;
            const hi = worst + margin;
            let below = 0;
            let nc = 0;
            for (let j = 0; j < rows; j++) {
              const t = sqNorms[j]! - 2 * dots[o + j]!;
              if (t < lo) below++;
              else if (t <= hi) cand[nc++] = j;
            }
            const qo = r * cols;
            for (let c = 0; c < nc; c++) {
              const j = cand[c]!;
              candDist[c] = qn + sqNorms[j]! - 2 * dot(q, qo, unit, j * cols, cols);
            }
            const kth = selectKth(candDist, nc, k - below);
            out[i0 + r] = kth > 0 ? kth : 0; // faiss clamps negative rounding to 0
            if (stats) stats.refined += nc;
          }
        }
        if (stats) stats.queries += nq;
      } finally {
        right.dispose();
      }
      return out;
    },
  };
}

/** The m-th smallest (1-based) of values[0, n). */
function selectKth(values: Float64Array, n: number, m: number): number {
  if (m < 1 || m > n) throw new Error(`knn: internal error, rank ${m} of ${n} candidates`);
  return values.subarray(0, n).sort()[m - 1]!;
}

/**
 * Rows [row0, row0 + count) of a row-major float64 matrix scaled as OpenOOD's normalizer does in
 * float32 numpy, x / (‖x‖ + 1e-10): the norm and the denominator are rounded to float32 and each
 * quotient is rounded to float32. Writes the rows to `out` from index 0 and their squared norms
 * (float64, of the float32 values) to `sq`.
 */
export function unitRows(
  data: Float64Array, cols: number, row0: number, count: number,
  out: Float32Array, sq: Float64Array, what: string,
): void {
  for (let r = 0; r < count; r++) {
    const src = (row0 + r) * cols;
    let ss = 0;
    for (let t = 0; t < cols; t++) {
      const x = data[src + t]!;
      ss += x * x;
    }
    if (!Number.isFinite(ss)) throw new Error(`knn: ${what} row ${row0 + r} has a non-finite value`);
    const denom = Math.fround(Math.fround(Math.sqrt(ss)) + 1e-10);
    const dst = r * cols;
    let s2 = 0;
    for (let t = 0; t < cols; t++) {
      const v = Math.fround(data[src + t]! / denom);
      out[dst + t] = v;
      s2 += v * v;
    }
    sq[r] = s2;
  }
}
