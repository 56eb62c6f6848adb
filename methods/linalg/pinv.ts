import { householderReflector } from './householder.ts';
import { transpose } from './gemm.ts';
import { matrix, type Matrix } from './matrix.ts';

/**
 * General pseudo-inverse with numpy.linalg.pinv's semantics (singular values <= rcond * sigma_max
 * dropped, rcond = 1e-15 by default), computed without squaring the condition number:
 * LQ factorisation by Householder reflectors (A = L Q, A m x n with m <= n), then a one-sided
 * Jacobi SVD of the small m x m factor L. For ViM's fused head (C x D, C << D) this costs
 * 2 C^2 D for the LQ plus O(C^3) per Jacobi sweep.
 */

const EPS = 2 ** -52;
/**
 * Rows of the (power-of-two scaled, max |entry| in [0.5, 1)) factor whose squared norm falls
 * below this are set to exactly zero: they are rounding residue hundreds of orders of magnitude
 * below the matrix, and their squared norms and dot products underflow into subnormals, where the
 * rotation angle is no longer computable (zeta overflows, the rotation degenerates to the identity
 * and the sweep never stops rotating: the "did not converge" seen on constant, rank-1 heads).
 */
const NEGLIGIBLE_SQ = 2 ** -600;
const NEGLIGIBLE = 2 ** -300;
/** Off-orthogonality accepted as converged: |x_i . x_j| <= TOL ||x_i|| ||x_j||. */
const TOL = 4 * EPS;
/** Sweeps allowed; one-sided Jacobi converges quadratically, typically in 6-12. */
const MAX_SWEEPS = 100;

interface WideSvd {
  readonly m: number;
  readonly n: number;
  /** The reflectors of the LQ factorisation: row i holds v_i at columns i.. (v_i[i] = 1). */
  readonly reflectors: Float64Array;
  readonly tau: Float64Array;
  /** Rows x_i = sigma_i r_i^T of P L (mutually orthogonal), m x m. */
  readonly x: Float64Array;
  /** The accumulated orthogonal P (m x m): L = P^T X. */
  readonly p: Float64Array;
  readonly sigma: Float64Array;
  /** The factorisation is of 2^e A, e = scaleExp[0] + scaleExp[1] (two factors: each stays finite). */
  readonly scaleExp: readonly [number, number];
}

/**
 * Powers of two bringing max |a| into [0.5, 1): exact scaling, so that squared norms in the
 * Jacobi sweeps neither overflow (entries near 1e200) nor underflow (near 1e-200).
 */
function scaleExponents(a: Float64Array): [number, number] {
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]!));
  if (maxAbs === 0) return [0, 0];
  const e = -Math.floor(Math.log2(maxAbs)) - 1;
  const half = Math.trunc(e / 2);
  return [half, e - half];
}

/** SVD ingredients of a wide matrix (m <= n). */
function wideSvd(a: Matrix): WideSvd {
  const { rows: m, cols: n } = a;
  const q = a.data.slice();
  const scaleExp = scaleExponents(q);
  const s0 = 2 ** scaleExp[0];
  const s1 = 2 ** scaleExp[1];
  if (s0 !== 1 || s1 !== 1) for (let i = 0; i < q.length; i++) q[i] = q[i]! * s0 * s1;
  const tau = new Float64Array(m);
  // LQ: reflector i zeroes row i right of the diagonal, then is applied to the rows below.
  for (let i = 0; i < m; i++) {
    const ri = i * n;
    // A tail that is only rounding residue (entries below 2^-300 of a matrix scaled to max ~1,
    // e.g. the rows below the first of a rank-1 matrix) is set to zero rather than reflected:
    // its reflector would divide by a subnormal (1 / (alpha - beta) overflows, then 0 * Inf = NaN).
    let tailMax = 0;
    for (let c = ri + i + 1; c < ri + n; c++) tailMax = Math.max(tailMax, Math.abs(q[c]!));
    if (tailMax < NEGLIGIBLE) q.fill(0, ri + i + 1, ri + n);
    const { beta, tau: t } = householderReflector(q, ri + i, ri + i + 1, ri + n);
    tau[i] = t;
    q[ri + i] = beta;
    if (t === 0) continue;
    for (let r = i + 1; r < m; r++) {
      const rr = r * n;
      let s = q[rr + i]!;
      for (let c = i + 1; c < n; c++) s += q[rr + c]! * q[ri + c]!;
      s *= t;
      q[rr + i]! -= s;
      for (let c = i + 1; c < n; c++) q[rr + c]! -= s * q[ri + c]!;
    }
  }
  // L (m x m, lower) and the reflector vectors.
  const x = new Float64Array(m * m);
  const reflectors = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c <= i; c++) x[i * m + c] = q[i * n + c]!;
    reflectors[i * n + i] = 1;
    for (let c = i + 1; c < n; c++) reflectors[i * n + c] = q[i * n + c]!;
  }
  // One-sided Jacobi on the rows of L: P L = X with orthogonal rows.
  const p = new Float64Array(m * m);
  for (let i = 0; i < m; i++) p[i * m + i] = 1;
  const zeroRow = (r: number) => x.fill(0, r * m, (r + 1) * m);
  for (let sweep = 0; ; sweep++) {
    let rotated = false;
    for (let i = 0; i < m - 1; i++) {
      for (let j = i + 1; j < m; j++) {
        const ri = i * m;
        const rj = j * m;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let c = 0; c < m; c++) {
          const xi = x[ri + c]!;
          const xj = x[rj + c]!;
          alpha += xi * xi;
          beta += xj * xj;
          gamma += xi * xj;
        }
        if (alpha < NEGLIGIBLE_SQ || beta < NEGLIGIBLE_SQ) {
          if (alpha < NEGLIGIBLE_SQ && alpha > 0) zeroRow(i);
          if (beta < NEGLIGIBLE_SQ && beta > 0) zeroRow(j);
          continue;
        }
        if (Math.abs(gamma) <= TOL * Math.sqrt(alpha) * Math.sqrt(beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let c = 0; c < m; c++) {
          const xi = x[ri + c]!;
          const xj = x[rj + c]!;
          x[ri + c] = cs * xi - sn * xj;
          x[rj + c] = sn * xi + cs * xj;
          const pi = p[ri + c]!;
          const pj = p[rj + c]!;
          p[ri + c] = cs * pi - sn * pj;
          p[rj + c] = sn * pi + cs * pj;
        }
      }
    }
    if (!rotated) break;
    if (sweep === MAX_SWEEPS - 1) throw new Error(`pinv: Jacobi SVD did not converge in ${MAX_SWEEPS} sweeps`);
  }
  const sigma = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let c = 0; c < m; c++) s += x[i * m + c]! ** 2;
    sigma[i] = Math.sqrt(s);
  }
  return { m, n, reflectors, tau, x, p, sigma, scaleExp };
}

/** Weights w_i = 1 / sigma_i^2 for the kept singular values (numpy's cutoff), else 0. */
function keptWeights(svd: WideSvd, rcond: number): Float64Array {
  let smax = 0;
  for (const s of svd.sigma) smax = Math.max(smax, s);
  const cutoff = rcond * smax;
  return svd.sigma.map((s) => (s > cutoff ? 1 / (s * s) : 0));
}

/** pinv(A) y for the wide A = P^T Sigma R Q_c: Q_c^T R^T Sigma^+ P y = Q_c^T sum_i (P y)_i / sigma_i^2 x_i. */
function applyWidePinv(svd: WideSvd, weights: Float64Array, y: Float64Array): Float64Array {
  const { m, n, reflectors, tau, x, p } = svd;
  const z = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const wi = weights[i]!;
    if (wi === 0) continue;
    let py = 0;
    for (let c = 0; c < m; c++) py += p[i * m + c]! * y[c]!;
    const coef = py * wi;
    for (let c = 0; c < m; c++) z[c]! += coef * x[i * m + c]!;
  }
  // Q_c^T z = H_0 ... H_{m-1} z (H_{m-1} applied first).
  for (let i = m - 1; i >= 0; i--) {
    const t = tau[i]!;
    if (t === 0) continue;
    const ri = i * n;
    let s = 0;
    for (let c = i; c < n; c++) s += reflectors[ri + c]! * z[c]!;
    s *= t;
    for (let c = i; c < n; c++) z[c]! -= s * reflectors[ri + c]!;
  }
  // pinv(2^e A) = 2^-e pinv(A), so pinv(A) y = 2^e (pinv(2^e A) y).
  const s0 = 2 ** svd.scaleExp[0];
  const s1 = 2 ** svd.scaleExp[1];
  if (s0 !== 1 || s1 !== 1) for (let c = 0; c < n; c++) z[c] = z[c]! * s0 * s1;
  return z;
}

function checkFinite(name: string, a: Matrix): void {
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i]!)) throw new Error(`${name}: matrix has a non-finite entry`);
  }
}

/** pinv(A) b without forming pinv(A) (numpy.linalg.pinv(A) @ b). */
export function pinvSolve(a: Matrix, b: Float64Array, rcond = 1e-15): Float64Array {
  if (b.length !== a.rows) throw new Error(`pinvSolve: vector of ${b.length} for a ${a.rows} x ${a.cols} matrix`);
  checkFinite('pinvSolve', a);
  if (a.rows <= a.cols) {
    const svd = wideSvd(a);
    return applyWidePinv(svd, keptWeights(svd, rcond), b);
  }
  const p = pinv(a, rcond);
  const out = new Float64Array(p.rows);
  for (let i = 0; i < p.rows; i++) {
    let s = 0;
    for (let j = 0; j < p.cols; j++) s += p.data[i * p.cols + j]! * b[j]!;
    out[i] = s;
  }
  return out;
}

/** numpy.linalg.pinv(A, rcond) for any m x n matrix: an n x m matrix. */
export function pinv(a: Matrix, rcond = 1e-15): Matrix {
  checkFinite('pinv', a);
  if (a.rows > a.cols) return transpose(pinv(transpose(a), rcond));
  const svd = wideSvd(a);
  const weights = keptWeights(svd, rcond);
  const { m, n } = svd;
  const out = matrix(n, m);
  const e = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    e.fill(0);
    e[c] = 1;
    const col = applyWidePinv(svd, weights, e);
    for (let i = 0; i < n; i++) out.data[i * m + c] = col[i]!;
  }
  return out;
}
