import { z } from 'zod';
import { dotErrorBound, getCompute, type ComputeBackend, type PreparedRight, type PreparedRightInt16Pairs } from '../compute/index.ts';
import { dot } from '../compute/js.ts';
import type { FloatArray, FloatMatrix } from '../linalg/matrix.ts';
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
 *
 * Where the backend has an exact int16 product (the wasm one: i32x4.dot_i16x8_s, twice the
 * multiply-adds per instruction of float32), stage 1 uses it instead: every unit row u is scaled
 * by its own s (max |u_t| s <= 32767, s <= S_CAP) and rounded to int16, q ≈ s u (quantizeRows). The integer
 * dot products are exact (S_CAP keeps every |sum| below 2^31, checked per call), and
 * |u·v − (q_u·q_v)/(s_u s_v)| <= ‖δu‖‖v‖ + ‖û‖‖δv‖ with û = q_u / s_u, δu = u − û computed per
 * row, which is the error bound e of stage 2's window. Same exact result, whichever stage 1 ran.
 * Queries go in blocks of QUERY_BLOCK rows, so memory is O(block x fit rows), never queries x fit.
 * The fit rows packed for the backend (196 MB at Kinetics scale) are made once per fitted scorer,
 * kept between its score() calls and freed by its release().
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
      release: () => index.dispose(),
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
   * The fit rows packed for the backend are kept for the next call (see `dispose`).
   */
  kthDistances(queries: FloatMatrix, k: number, options?: { backend?: ComputeBackend; stats?: KnnStats; quantized?: boolean }): Float64Array;
  /** Frees the fit rows packed for the backend (held in its wasm memories, shared with its workers). */
  dispose(): void;
}

/** Stage 1 for a block of query rows: approximate t_j = ‖f_j‖² − 2 q·f_j, from products and weights. */
interface StageOne {
  /** Products of the block's query rows with every fit row, row-major (block x fit rows). */
  readonly dots: Int32Array | Float32Array;
  /** Per fit row: t_j = sqNorms_j − scale_r · (dots_rj · weight_j). */
  readonly weight: Float64Array;
  /** Per query row of the block: its scale and the error bound e of its t_j. */
  readonly scale: Float64Array;
  readonly err: Float64Array;
  /** Fills dots, scale and err for the block's first `count` rows. */
  run(count: number): void;
}

/** The fit rows as a backend's stage 1 wants them, prepared once and kept across calls. */
type Prepared = { readonly backend: ComputeBackend } & (
  | { readonly quantized: true; readonly right: PreparedRightInt16Pairs }
  | { readonly quantized: false; readonly right: PreparedRight }
);

export function buildKnnIndex(fit: FloatMatrix): KnnIndex {
  const { rows, cols } = fit;
  const unit = new Float32Array(rows * cols);
  const sqNorms = new Float64Array(rows);
  unitRows(fit.data, cols, 0, rows, unit, sqNorms, 'fit');
  let maxSq = 0;
  for (let j = 0; j < rows; j++) maxSq = Math.max(maxSq, sqNorms[j]!);
  const maxNorm = Math.sqrt(maxSq);
  const pairs = Math.ceil(cols / 2);
  const cap = int16ScaleCap(cols);
  /** The fit rows quantised for the int16 stage 1, made on first use and kept (half the size of `unit`). */
  let fitQuant: { q: Int32Array; weight: Float64Array; maxErr: number; intNorm: number } | undefined;
  const quantizeFit = () => {
    const q = new Int32Array(rows * pairs);
    const inv = new Float64Array(rows);
    const err = new Float64Array(rows);
    const intNorm = quantizeRows(unit, cols, 0, rows, cap, q, inv, err, undefined);
    let maxErr = 0;
    for (let j = 0; j < rows; j++) maxErr = Math.max(maxErr, err[j]!);
    // t_j = ‖f_j‖² − 2 (q_u·q_f) inv_u inv_f: the per-row part of the weight is 2 inv_f.
    const weight = inv.map((v) => 2 * v);
    return { q, weight, maxErr, intNorm };
  };
  /** t_j = ‖f_j‖² − 2 q·f_j from float32 products: weight 2 for every row. */
  const floatWeight = new Float64Array(rows).fill(2);
  let prepared: Prepared | undefined;
  const prepare = (backend: ComputeBackend, quantized: boolean): Prepared => {
    if (prepared?.backend === backend && prepared.quantized === quantized) return prepared;
    prepared?.right.dispose();
    prepared = undefined; // a prepare that throws leaves no disposed operand behind
    prepared = quantized
      ? { backend, quantized, right: backend.prepareRightInt16Pairs!((fitQuant ??= quantizeFit()).q, rows, pairs) }
      : { backend, quantized, right: backend.prepareRight(unit, rows, cols) };
    return prepared;
  };
  /**
   * Stage 1 on a block of unit-scaled query rows (`q`, their squared norms `qSq`): run(count)
   * fills the products of the first `count` rows with every fit row, and per row the scale and the
   * error bound e of its approximate t_j = sqNorms_j − scale · (dots_j · weight_j).
   */
  const stageOne = (p: Prepared, block: number, q: Float32Array, qSq: Float64Array): StageOne => {
    const scale = new Float64Array(block);
    const err = new Float64Array(block);
    if (!p.quantized) {
      // Error bound on each float32 q·f (relative to ‖q‖‖f‖), doubled for ‖q‖² + ‖f‖² − 2 q·f.
      const gamma2 = 2 * dotErrorBound(cols);
      const dots = new Float32Array(block * rows);
      scale.fill(1);
      return {
        dots, weight: floatWeight, scale, err,
        run(count) {
          p.right.multiply(q.subarray(0, count * cols), count, dots);
          for (let r = 0; r < count; r++) err[r] = gamma2 * Math.sqrt(qSq[r]!) * maxNorm;
        },
      };
    }
    const { weight, maxErr: maxFitErr, intNorm: fitIntNorm } = fitQuant!;
    const qQ = new Int32Array(block * pairs);
    const qErr = new Float64Array(block);
    const qHat = new Float64Array(block);
    const dots = new Int32Array(block * rows);
    return {
      dots, weight, scale, err,
      run(count) {
        const qIntNorm = quantizeRows(q, cols, 0, count, cap, qQ, scale, qErr, qHat);
        // |q_int . f_int| <= ‖q_int‖ ‖f_int‖ for every (partial) sum: exact int32 products.
        if (qIntNorm * fitIntNorm >= 2 ** 31 - 1) throw new Error('knn: internal error, int16 products could overflow');
        p.right.multiply(qQ.subarray(0, count * pairs), count, dots);
        // Error of t_j = ‖f_j‖² − 2 û·v̂ against the exact ‖f_j‖² − 2 u·v: 2 (‖δu‖‖v‖ + ‖û‖‖δv‖),
        // with slack for the rounding of the norms themselves.
        for (let r = 0; r < count; r++) err[r] = 2 * (qErr[r]! * maxNorm + qHat[r]! * maxFitErr) * (1 + 1e-6);
      },
    };
  };
  return {
    rows,
    cols,
    unit,
    sqNorms,
    dispose() {
      prepared?.right.dispose();
      prepared = undefined;
    },
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
      const quantized = options.quantized !== false && backend.prepareRightInt16Pairs !== undefined;
      const block = Math.min(QUERY_BLOCK, nq);
      const q = new Float32Array(block * cols);
      const qSq = new Float64Array(block);
      const search = new RowSearch(rows, k);
      /** Stage 2 for query row r of the block: exact distances of the candidates, the K-th of them. */
      const refine = (r: number): number => {
        const { cand } = search;
        const nc = search.window;
        const dist = search.candT;
        const qn = qSq[r]!;
        const qo = r * cols;
        for (let c = 0; c < nc; c++) {
          const j = cand[c]!;
          dist[c] = qn + sqNorms[j]! - 2 * dot(q, qo, unit, j * cols, cols);
        }
        if (stats) stats.refined += nc;
        const kth = selectKth(dist, nc, k - search.below);
        return kth > 0 ? kth : 0; // faiss clamps negative rounding to 0
      };
      const stage = stageOne(prepare(backend, quantized), block, q, qSq);
      for (let i0 = 0; i0 < nq; i0 += block) {
        const count = Math.min(block, nq - i0);
        unitRows(queries.data, cols, i0, count, q, qSq, 'query');
        stage.run(count);
        for (let r = 0; r < count; r++) {
          search.scan(stage.dots, stage.weight, r * rows, stage.scale[r]!, sqNorms, stage.err[r]!);
          out[i0 + r] = refine(r);
        }
      }
      if (stats) stats.queries += nq;
      return out;
    },
  };
}

/**
 * Stage 1's selection for one query row at a time: from approximate t_j (error at most e each), the
 * fit rows certainly nearer than the K-th exact distance (`below`) and those that could be the K-th
 * (`cand[0, window)`), in one pass over the row's products.
 */
class RowSearch {
  /** The k smallest t seen so far, ascending. */
  private readonly best: Float64Array;
  /** Candidate fit rows; after scan, the first `window` are those to re-score. */
  readonly cand: Int32Array;
  /** t of the recorded candidates during scan; stage 2's exact distances afterwards. */
  readonly candT: Float64Array;
  below = 0;
  window = 0;

  constructor(private readonly rows: number, private readonly k: number) {
    this.best = new Float64Array(k);
    this.cand = new Int32Array(rows);
    this.candT = new Float64Array(rows);
  }

  /** t_j = sqNorms_j − scale · (dots[offset + j] · weight_j) for every fit row j, within e of the exact value. */
  scan(dots: Int32Array | Float32Array, weight: Float64Array, offset: number, scale: number, sqNorms: Float64Array, e: number): void {
    const { best, cand, candT, rows, k } = this;
    // One pass: the k smallest t (insertion into `best`), and every row that could end up at or
    // below the final window's top, worst + margin. `worst` only decreases, so a row with
    // t <= (final worst) + margin had t <= (worst at its turn) + margin and is recorded.
    const margin = 2 * e + 1e-12;
    best.fill(Infinity);
    let worst = Infinity;
    let limit = Infinity;
    let recorded = 0;
    for (let j = 0; j < rows; j++) {
      const tj = sqNorms[j]! - scale * (dots[offset + j]! * weight[j]!);
      if (tj <= limit) {
        cand[recorded] = j;
        candT[recorded++] = tj;
        if (tj < worst) {
          let p = k - 1;
          while (p > 0 && best[p - 1]! > tj) {
            best[p] = best[p - 1]!;
            p--;
          }
          best[p] = tj;
          worst = best[k - 1]!;
          limit = worst + margin;
        }
      }
    }
    // Rows within the error window of the k-th are re-scored exactly; rows below it are
    // certainly nearer than the k-th exact distance, rows above certainly farther.
    const lo = worst - margin;
    let below = 0;
    let nc = 0;
    for (let c = 0; c < recorded; c++) {
      const tj = candT[c]!;
      if (tj < lo) below++;
      else if (tj <= limit) cand[nc++] = cand[c]!;
    }
    this.below = below;
    this.window = nc;
  }
}

/**
 * Largest per-row scale for int16 quantisation of (float32) unit rows of width `cols` such that
 * every integer dot product, and every partial sum of one, stays below 2^31: with
 * ‖q_int‖ <= s ‖u‖ + sqrt(cols) / 2 and ‖u‖ <= 1 + 1e-6, (s (1 + 1e-6) + sqrt(cols) / 2)^2 < 2^31 − 1.
 * (The bound is re-checked on the actual integer norms in every call.)
 */
export function int16ScaleCap(cols: number): number {
  return Math.floor((Math.sqrt(2 ** 31 - 1) * (1 - 1e-9) - Math.sqrt(cols) / 2) / (1 + 1e-6));
}

/**
 * Rows [row0, row0 + count) of float32 unit rows quantised to int16 pairs (slot p of a row holds
 * entries 2p and 2p + 1, lower half first; an odd width is padded with 0), q = floor(s u + 1/2):
 * rounding to nearest, without Math.round, which costs ~10 ns a call under JavaScriptCore (KNN's
 * quantisation took 2.5 s at Kinetics scale). Which integer an entry within an ulp of a tie gets
 * does not matter: the bounds below are computed from the q actually chosen. Per row: inv[r] =
 * 1 / s, err[r] = ‖u − q inv[r]‖, hat[r] = ‖q inv[r]‖ (when given; û = q inv[r] is the approximation
 * stage 1 uses, so the bound is about exactly it, up to the rounding the window's slack covers). Returns the largest ‖q‖ (integer
 * Euclidean norm, exact in float64).
 */
export function quantizeRows(
  u: Float32Array, cols: number, row0: number, count: number, cap: number,
  out: Int32Array, inv: Float64Array, err: Float64Array, hat: Float64Array | undefined,
): number {
  const pairs = Math.ceil(cols / 2);
  let maxIntNorm = 0;
  for (let r = 0; r < count; r++) {
    const src = (row0 + r) * cols;
    let maxAbs = 0;
    for (let t = 0; t < cols; t++) maxAbs = Math.max(maxAbs, Math.abs(u[src + t]!));
    const s = maxAbs > 0 ? Math.min(cap, 32767 / maxAbs) : cap;
    const is = 1 / s;
    const dst = (row0 + r) * pairs;
    const full = cols >> 1;
    // Rounding and the error sums are separate passes: JavaScriptCore runs each loop alone about
    // twice as fast as one loop doing both.
    for (let p = 0; p < full; p++) {
      const qa = Math.floor(u[src + 2 * p]! * s + 0.5);
      const qb = Math.floor(u[src + 2 * p + 1]! * s + 0.5);
      out[dst + p] = (qa & 0xffff) | (qb << 16);
    }
    if (full < pairs) out[dst + full] = Math.floor(u[src + cols - 1]! * s + 0.5) & 0xffff;
    let e2 = 0;
    let q2 = 0;
    for (let p = 0; p < pairs; p++) {
      const v = out[dst + p]!;
      const qa = (v << 16) >> 16;
      const qb = v >> 16; // 0 in an odd width's padding slot
      const da = u[src + 2 * p]! - qa * is;
      e2 += da * da;
      q2 += qa * qa + qb * qb;
      if (2 * p + 1 < cols) {
        const db = u[src + 2 * p + 1]! - qb * is;
        e2 += db * db;
      }
    }
    inv[r] = is;
    err[r] = Math.sqrt(e2);
    if (hat !== undefined) hat[r] = Math.sqrt(q2) * is;
    maxIntNorm = Math.max(maxIntNorm, Math.sqrt(q2));
  }
  return maxIntNorm;
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
  data: FloatArray, cols: number, row0: number, count: number,
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
