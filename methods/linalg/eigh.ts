import { symvWorkspace, type SymvWorkspace } from '../compute/symv-kernel.ts';
import { householderReflector } from './householder.ts';
import { gemmInto, transpose } from './gemm.ts';
import { matrix, type Matrix } from './matrix.ts';

/**
 * Symmetric eigendecomposition.
 *
 * 1. Householder tridiagonalisation, blocked like LAPACK's dsytrd/dlatrd: each panel of NB
 *    reflectors is built with matrix-vector products against the not-yet-updated trailing
 *    matrix, then the trailing matrix takes one rank-2NB update through the packed kernel.
 *    (4/3) D^3 flops, half of them in the kernel.
 * 2. The tridiagonal T:
 *    - eigh: implicit QL with Wilkinson-type shifts (EISPACK tql2); each sweep's rotations are
 *      recorded and applied to the eigenvector matrix in one streaming pass (~5 D^3 flops,
 *      scalar: the slow part of a full eigh);
 *    - eighTop: the wanted eigenvalues by Sturm-sequence bisection, their eigenvectors by
 *      inverse iteration with modified Gram-Schmidt inside clusters of close eigenvalues
 *      (LAPACK dstein's scheme), O(D k) plus the cluster reorthogonalisation.
 * 3. Back-transformation V = Q Z with the reflectors grouped into compact-WY blocks
 *    (I - Y T Y^T), two kernel products per block: 2 D^2 k flops.
 *
 * Storage convention inside this file: a symmetric matrix is kept in the *upper* triangle of a
 * row-major buffer, so "column c of the lower triangle" (LAPACK's view) is the contiguous run
 * a[c * n + c .. c * n + n - 1].
 */

const EPS = 2 ** -52;
/** Order from which the tridiagonalisation's matrix-vector products run in symv-kernel.ts. */
const SYMV_WASM_MIN = 64;
let symvKernel = true;

/** Turns the WebAssembly matrix-vector products off (tests compare both paths); no argument restores them. */
export function setSymvKernel(enabled = true): void {
  symvKernel = enabled;
}
/** Reflectors per tridiagonalisation panel. */
const NB = 32;
/** Reflectors per compact-WY block in the back-transformation (its inner product length). */
const WY_BLOCK = 128;

export interface Eigen {
  /** Eigenvalues in ascending order (numpy's convention). */
  readonly values: Float64Array;
  /** D x k; column j is the unit eigenvector of values[j] (numpy's convention). */
  readonly vectors: Matrix;
}

export interface Tridiagonal {
  readonly n: number;
  /** Diagonal of T, length n. */
  readonly d: Float64Array;
  /** Off-diagonal T(i, i + 1), length max(n - 1, 0). */
  readonly e: Float64Array;
  /** Row i holds reflector i's vector v (v[i + 1] = 1, v[r] for r > i + 1; zero for r <= i). */
  readonly reflectors: Float64Array;
  readonly tau: Float64Array;
}

export interface EighOptions {
  /**
   * Work in s's own buffer instead of a copy (a caller that no longer needs s saves a D x D
   * matrix, 180 MiB at D = 4864): s's contents are destroyed, and eigh's vectors reuse its buffer.
   * Where the tridiagonalisation streams its matrix-vector products from WebAssembly
   * (symv-kernel.ts, D >= 64) it works in a copy in that memory and writes the reflectors back
   * into s, so the saving holds from the tridiagonal on, not during it.
   */
  readonly overwrite?: boolean;
}

function checkSquare(name: string, s: Matrix): number {
  if (s.rows !== s.cols) throw new Error(`${name}: matrix is ${s.rows} x ${s.cols}, not square`);
  for (let i = 0; i < s.data.length; i++) {
    if (!Number.isFinite(s.data[i]!)) throw new Error(`${name}: matrix has a non-finite entry`);
  }
  return s.rows;
}

/**
 * Q^T S Q = T with Q = H_0 H_1 ... H_{n-2}, H_i = I - tau_i v_i v_i^T.
 * Reads only the upper triangle of S (equivalently its lower triangle, by symmetry).
 */
export function tridiagonalize(s: Matrix, options: EighOptions = {}): Tridiagonal {
  const n = checkSquare('tridiagonalize', s);
  // The matrix-vector products stream the trailing matrix from a WebAssembly memory when it is
  // large enough to pay for the copy in and out (the same sums either way).
  const ws = symvKernel && n >= SYMV_WASM_MIN ? symvWorkspace(n) : undefined;
  // The upper triangle of S, zeros below (what the reflector rows below expect).
  const a = ws?.a ?? (options.overwrite ? s.data : new Float64Array(n * n));
  if (a === s.data) for (let i = 0; i < n; i++) a.fill(0, i * n, i * n + i);
  else for (let i = 0; i < n; i++) a.set(s.data.subarray(i * n + i, (i + 1) * n), i * n + i);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const tau = new Float64Array(Math.max(n - 1, 0));
  const wbuf = new Float64Array(NB * n);
  const v = ws?.v ?? new Float64Array(n);
  const y = ws?.y ?? new Float64Array(n);
  const tmp = new Float64Array(NB);
  const tmp2 = new Float64Array(NB);
  const xbuf = new Float64Array(2 * NB * n);
  const ybuf = new Float64Array(2 * NB * n);

  for (let k0 = 0; k0 < n - 1; k0 += NB) {
    const nb = Math.min(NB, n - 1 - k0);
    for (let j = 0; j < nb; j++) {
      const i = k0 + j;
      const col = i * n;
      // Bring column i up to date with this panel's earlier reflectors.
      for (let jj = 0; jj < j; jj++) {
        const vp = (k0 + jj) * n;
        const wp = jj * n;
        const wi = wbuf[wp + i]!;
        const vi = a[vp + i]!;
        for (let r = i; r < n; r++) a[col + r]! -= a[vp + r]! * wi + wbuf[wp + r]! * vi;
      }
      d[i] = a[col + i]!;
      // Reflector annihilating column i below the subdiagonal.
      const { beta, tau: t } = householderReflector(a, col + i + 1, col + i + 2, col + n);
      e[i] = beta;
      tau[i] = t;
      a[col + i + 1] = 1;
      // w = tau (A v - V W^T v - W V^T v), then w += alpha2 v (dlatrd).
      const wp = j * n;
      wbuf.fill(0, wp, wp + n);
      if (t === 0) continue;
      for (let r = i + 1; r < n; r++) v[r] = a[col + r]!;
      symvUpper(a, n, i + 1, v, y, ws);
      wbuf.set(y.subarray(i + 1, n), wp + i + 1);
      if (j > 0) {
        for (let jj = 0; jj < j; jj++) {
          const vp = (k0 + jj) * n;
          const wq = jj * n;
          let s1 = 0;
          let s2 = 0;
          for (let r = i + 1; r < n; r++) {
            s1 += wbuf[wq + r]! * v[r]!;
            s2 += a[vp + r]! * v[r]!;
          }
          tmp[jj] = s1;
          tmp2[jj] = s2;
        }
        for (let jj = 0; jj < j; jj++) {
          const vp = (k0 + jj) * n;
          const wq = jj * n;
          const c1 = tmp[jj]!;
          const c2 = tmp2[jj]!;
          for (let r = i + 1; r < n; r++) wbuf[wp + r]! -= a[vp + r]! * c1 + wbuf[wq + r]! * c2;
        }
      }
      let dot = 0;
      for (let r = i + 1; r < n; r++) {
        wbuf[wp + r]! *= t;
        dot += wbuf[wp + r]! * v[r]!;
      }
      const alpha2 = -0.5 * t * dot;
      for (let r = i + 1; r < n; r++) wbuf[wp + r]! += alpha2 * v[r]!;
    }
    // Trailing update A22 -= V W^T + W V^T over rows/cols t0..n-1 as one rank-2nb product.
    const t0 = k0 + nb;
    const m = n - t0;
    if (m <= 0) continue;
    for (let jj = 0; jj < nb; jj++) {
      const vp = (k0 + jj) * n + t0;
      const wq = jj * n + t0;
      xbuf.set(a.subarray(vp, vp + m), jj * m);
      xbuf.set(wbuf.subarray(wq, wq + m), (nb + jj) * m);
      ybuf.set(wbuf.subarray(wq, wq + m), jj * m);
      ybuf.set(a.subarray(vp, vp + m), (nb + jj) * m);
    }
    gemmInto(
      m,
      m,
      2 * nb,
      -1,
      { data: xbuf, offset: 0, rowStride: 1, colStride: m },
      { data: ybuf, offset: 0, rowStride: 1, colStride: m },
      a,
      t0 * n + t0,
      n,
      { triangle: 'upper' },
    );
  }
  if (n > 0) d[n - 1] = a[(n - 1) * n + n - 1]!;
  // Keep only the reflector vectors: zero everything at or left of the diagonal.
  for (let i = 0; i < n; i++) a.fill(0, i * n, i * n + i + 1);
  if (n > 0) a.fill(0, (n - 1) * n, n * n);
  // Out of the workspace's memory (dropped here) into s's buffer or a plain one.
  const reflectors = a === ws?.a ? (options.overwrite ? s.data : new Float64Array(n * n)) : a;
  if (reflectors !== a) reflectors.set(a);
  return { n, d, e, reflectors, tau };
}

/** The diagonal blocks' four row sums, passed to and from symv-kernel.ts. */
const accs = new Float64Array(4);

/**
 * y[start:] = A[start:, start:] v[start:] for the symmetric A held in the upper triangle of the
 * row-major a. Two rows per pass so each load of v[r] and y[r] serves two matrix entries: the
 * loop streams the trailing triangle once and is bound by memory traffic, not arithmetic.
 */
function symvUpper(a: Float64Array, n: number, start: number, v: Float64Array, y: Float64Array, ws?: SymvWorkspace): void {
  y.fill(0, start, n);
  let c = start;
  for (; c + 3 < n; c += 4) {
    const r0 = c * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = v[c]!;
    const v1 = v[c + 1]!;
    const v2 = v[c + 2]!;
    const v3 = v[c + 3]!;
    // The 4 x 4 diagonal block, read from the upper triangle.
    const a00 = a[r0 + c]!, a01 = a[r0 + c + 1]!, a02 = a[r0 + c + 2]!, a03 = a[r0 + c + 3]!;
    const a11 = a[r1 + c + 1]!, a12 = a[r1 + c + 2]!, a13 = a[r1 + c + 3]!;
    const a22 = a[r2 + c + 2]!, a23 = a[r2 + c + 3]!;
    const a33 = a[r3 + c + 3]!;
    let acc0 = a00 * v0 + a01 * v1 + a02 * v2 + a03 * v3;
    let acc1 = a01 * v0 + a11 * v1 + a12 * v2 + a13 * v3;
    let acc2 = a02 * v0 + a12 * v1 + a22 * v2 + a23 * v3;
    let acc3 = a03 * v0 + a13 * v1 + a23 * v2 + a33 * v3;
    let r = c + 4;
    if (ws !== undefined) {
      // the same sums, two columns at a time (symv-kernel.ts); an odd last column stays below
      accs[0] = acc0; accs[1] = acc1; accs[2] = acc2; accs[3] = acc3;
      r = ws.rows4(c, accs);
      acc0 = accs[0]!; acc1 = accs[1]!; acc2 = accs[2]!; acc3 = accs[3]!;
    }
    for (; r < n; r++) {
      const x0 = a[r0 + r]!;
      const x1 = a[r1 + r]!;
      const x2 = a[r2 + r]!;
      const x3 = a[r3 + r]!;
      const vr = v[r]!;
      y[r]! += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
      acc0 += x0 * vr;
      acc1 += x1 * vr;
      acc2 += x2 * vr;
      acc3 += x3 * vr;
    }
    y[c]! += acc0;
    y[c + 1]! += acc1;
    y[c + 2]! += acc2;
    y[c + 3]! += acc3;
  }
  for (; c < n; c++) {
    const rc = c * n;
    const vc = v[c]!;
    let acc = a[rc + c]! * vc;
    for (let r = c + 1; r < n; r++) {
      const x = a[rc + r]!;
      y[r]! += x * vc;
      acc += x * v[r]!;
    }
    y[c]! += acc;
  }
}

/**
 * Rows of zt (k x n) are vectors z_j; replaces each by Q z_j (i.e. zt <- zt Q^T), applying the
 * reflectors in compact-WY blocks from the last block to the first.
 */
export function applyQ(tri: Tridiagonal, zt: Float64Array, k: number): void {
  const { n, reflectors: y, tau } = tri;
  if (n < 2 || k === 0) return;
  const nref = n - 1;
  const QB = WY_BLOCK;
  const tMat = new Float64Array(QB * QB);
  const gram = new Float64Array(QB * QB);
  const p = new Float64Array(k * QB);
  const p2 = new Float64Array(k * QB);
  const lastStart = Math.floor((nref - 1) / QB) * QB;
  for (let j0 = lastStart; j0 >= 0; j0 -= QB) {
    const nb = Math.min(QB, nref - j0);
    // dlarft (forward, columnwise): T upper triangular with Q_blk = I - Y T Y^T, from the
    // block's Gram matrix G = Y^T Y (one kernel product).
    const s0 = j0 + 1;
    const len = n - s0;
    const reflRows = { data: y, offset: j0 * n + s0, rowStride: n, colStride: 1 };
    gram.fill(0, 0, nb * nb);
    gemmInto(nb, nb, len, 1, reflRows, reflRows, gram, 0, nb, { triangle: 'upper' });
    tMat.fill(0);
    for (let i = 0; i < nb; i++) {
      const ti = tau[j0 + i]!;
      tMat[i * QB + i] = ti;
      if (ti === 0) continue;
      // T[0:i, i] = T[0:i, 0:i] (-ti G[0:i, i])
      for (let q = 0; q < i; q++) {
        let acc = 0;
        for (let c = q; c < i; c++) acc += tMat[q * QB + c]! * gram[c * nb + i]!;
        tMat[q * QB + i] = -ti * acc;
      }
    }
    // P = Zt[:, s0:] Y[s0:, blk]  (k x nb)
    p.fill(0, 0, k * nb);
    gemmInto(k, nb, len, 1, { data: zt, offset: s0, rowStride: n, colStride: 1 }, reflRows, p, 0, nb);
    // P2 = P T^T
    p2.fill(0, 0, k * nb);
    gemmInto(k, nb, nb, 1, { data: p, offset: 0, rowStride: nb, colStride: 1 }, { data: tMat, offset: 0, rowStride: QB, colStride: 1 }, p2, 0, nb);
    // Zt[:, s0:] -= P2 Y[s0:, blk]^T
    gemmInto(k, len, nb, -1, { data: p2, offset: 0, rowStride: nb, colStride: 1 }, { data: y, offset: j0 * n + s0, rowStride: 1, colStride: n }, zt, s0, n);
  }
}

/**
 * Applies one QL sweep's rotations (i = m-1 down to l, rotation i mixing columns i and i + 1)
 * to every row of z (rows x n). Within a row consecutive rotations share one entry, which is
 * carried in a register, so a sweep is one streaming pass; four rows run interleaved to hide
 * the dependency chain.
 */
function applySweep(z: Float64Array, rows: number, n: number, l: number, m: number, cs: Float64Array, sn: Float64Array): void {
  let k = 0;
  for (; k + 3 < rows; k += 4) {
    const o0 = k * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    let h0 = z[o0 + m]!;
    let h1 = z[o1 + m]!;
    let h2 = z[o2 + m]!;
    let h3 = z[o3 + m]!;
    for (let i = m - 1; i >= l; i--) {
      const c = cs[i]!;
      const s = sn[i]!;
      const x0 = z[o0 + i]!;
      const x1 = z[o1 + i]!;
      const x2 = z[o2 + i]!;
      const x3 = z[o3 + i]!;
      z[o0 + i + 1] = s * x0 + c * h0;
      z[o1 + i + 1] = s * x1 + c * h1;
      z[o2 + i + 1] = s * x2 + c * h2;
      z[o3 + i + 1] = s * x3 + c * h3;
      h0 = c * x0 - s * h0;
      h1 = c * x1 - s * h1;
      h2 = c * x2 - s * h2;
      h3 = c * x3 - s * h3;
    }
    z[o0 + l] = h0;
    z[o1 + l] = h1;
    z[o2 + l] = h2;
    z[o3 + l] = h3;
  }
  for (; k < rows; k++) {
    const o = k * n;
    let h = z[o + m]!;
    for (let i = m - 1; i >= l; i--) {
      const x = z[o + i]!;
      z[o + i + 1] = sn[i]! * x + cs[i]! * h;
      h = cs[i]! * x - sn[i]! * h;
    }
    z[o + l] = h;
  }
}

/**
 * Eigen-decomposition of the symmetric tridiagonal (d, e) by implicit QL (EISPACK tql2).
 * Eigenvalues (unsorted) replace d; z (n x n, initially I) is multiplied by the rotations, so
 * that column i of z is the eigenvector of d[i].
 */
function tql2(d: Float64Array, eIn: Float64Array, z: Float64Array): void {
  const n = d.length;
  const e = new Float64Array(n);
  e.set(eIn);
  const cs = new Float64Array(n);
  const sn = new Float64Array(n);
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1) {
      if (Math.abs(e[m]!) <= EPS * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('eigh: QL iteration did not converge');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          cs[i] = c;
          sn[i] = s;
        }
        applySweep(z, n, n, l, m, cs, sn);
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > EPS * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/** Rows of a k x n buffer as the columns of an n x k matrix. */
function rowsAsColumns(rows: Float64Array, k: number, n: number): Matrix {
  return transpose(matrix(k, n, rows));
}

function transposeSquareInPlace(z: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const t = z[i * n + j]!;
      z[i * n + j] = z[j * n + i]!;
      z[j * n + i] = t;
    }
  }
}

/**
 * All eigenpairs of a symmetric matrix, ascending (numpy.linalg.eigh). Reads the upper triangle.
 * Two D x D buffers in all: the reflectors (s itself with `overwrite`) and the vectors, which are
 * transposed in place and finally written, sorted, over the reflectors once those are applied.
 */
export function eigh(s: Matrix, options: EighOptions = {}): Eigen {
  const tri = tridiagonalize(s, options);
  const n = tri.n;
  const d = tri.d.slice();
  const zt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) zt[i * n + i] = 1;
  tql2(d, tri.e, zt);
  transposeSquareInPlace(zt, n);
  applyQ(tri, zt, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[x]! - d[y]! || x - y);
  const values = new Float64Array(n);
  // Column dst of the result is row src of zt; the reflectors' buffer is free by now.
  const vectors = tri.reflectors;
  order.forEach((src, dst) => {
    values[dst] = d[src]!;
    for (let i = 0; i < n; i++) vectors[i * n + dst] = zt[src * n + i]!;
  });
  return { values, vectors: matrix(n, n, vectors) };
}

/** Number of eigenvalues of T strictly below x (Sturm sequence, LAPACK-style pivot guard). */
function sturmCount(d: Float64Array, e2: Float64Array, x: number, pivmin: number): number {
  const n = d.length;
  let count = 0;
  let q = d[0]! - x;
  if (Math.abs(q) < pivmin) q = -pivmin;
  if (q < 0) count++;
  for (let i = 1; i < n; i++) {
    q = d[i]! - x - e2[i - 1]! / q;
    if (Math.abs(q) < pivmin) q = -pivmin;
    if (q < 0) count++;
  }
  return count;
}

/** Eigenvalues with (ascending, 0-based) indices lo..hi of the tridiagonal, by bisection. */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array, lo: number, hi: number): Float64Array {
  const n = d.length;
  const e2 = new Float64Array(Math.max(n - 1, 0));
  let maxE2 = 0;
  for (let i = 0; i < n - 1; i++) {
    e2[i] = e[i]! * e[i]!;
    maxE2 = Math.max(maxE2, e2[i]!);
  }
  const pivmin = Number.MIN_VALUE * 2 ** 60 * Math.max(1, maxE2);
  let gl = Infinity;
  let gu = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < n - 1 ? Math.abs(e[i]!) : 0);
    gl = Math.min(gl, d[i]! - r);
    gu = Math.max(gu, d[i]! + r);
  }
  const tnorm = Math.max(Math.abs(gl), Math.abs(gu));
  gl -= 2 * EPS * tnorm * n + 2 * pivmin;
  gu += 2 * EPS * tnorm * n + 2 * pivmin;
  const out = new Float64Array(hi - lo + 1);
  // dstebz's tolerance: absolute ulp * ||T||, or 2 ulp relative for large eigenvalues.
  const abstol = EPS * tnorm;
  // lambda_j >= lambda_{j-1}: the previous eigenvalue's final left end is a valid lower bound.
  let prevLeft = gl;
  for (let j = lo; j <= hi; j++) {
    let left = prevLeft;
    let right = gu;
    for (let it = 0; it < 2000; it++) {
      const tol = Math.max(abstol, pivmin, 2 * EPS * Math.max(Math.abs(left), Math.abs(right)));
      const mid = 0.5 * (left + right);
      if (right - left <= tol || mid <= left || mid >= right) break;
      if (sturmCount(d, e2, mid, pivmin) > j) right = mid;
      else left = mid;
    }
    out[j - lo] = 0.5 * (left + right);
    prevLeft = left;
  }
  return out;
}

/** A small deterministic generator for inverse-iteration start vectors (no global state). */
function startVector(x: Float64Array, seed: number): void {
  let s = (seed * 2654435761 + 0x9e3779b9) >>> 0;
  for (let i = 0; i < x.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    x[i] = (s / 4294967296) * 2 - 1;
  }
}

/**
 * Eigenvectors of the tridiagonal for the given ascending eigenvalues, by inverse iteration
 * (LAPACK dstein's scheme): LU with partial pivoting of T - lambda I, tiny pivots perturbed,
 * close eigenvalues (gap <= 1e-3 ||T||_1) grouped and reorthogonalised by modified
 * Gram-Schmidt after every solve. Returns the vectors as rows (k x n).
 */
export function tridiagonalEigenvectors(d: Float64Array, e: Float64Array, values: Float64Array): Float64Array {
  const n = d.length;
  const k = values.length;
  const zt = new Float64Array(k * n);
  if (n === 1) {
    zt.fill(1);
    return zt;
  }
  let onenrm = 0;
  for (let i = 0; i < n; i++) {
    const r = Math.abs(d[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < n - 1 ? Math.abs(e[i]!) : 0);
    onenrm = Math.max(onenrm, r);
  }
  const ortol = 1e-3 * onenrm;
  const dtpcrt = Math.sqrt(0.1 / n);
  const MAXITS = 5;
  const EXTRA = 2;
  const pivTol = Math.max(EPS * onenrm, Number.MIN_VALUE * 2 ** 60);
  const dd = new Float64Array(n);
  const du = new Float64Array(n);
  const du2 = new Float64Array(n);
  const dl = new Float64Array(n);
  const swap = new Uint8Array(n);
  const x = new Float64Array(n);
  let xjm = 0;
  let gpind = 0;
  for (let j = 0; j < k; j++) {
    let xj = values[j]!;
    if (j > 0) {
      const pertol = 10 * Math.abs(EPS * xj);
      if (xj - xjm < pertol) xj = xjm + pertol;
      if (Math.abs(xj - xjm) > ortol) gpind = j;
    } else {
      gpind = 0;
    }
    // LU of T - xj I with partial pivoting (dgttrf).
    for (let i = 0; i < n; i++) dd[i] = d[i]! - xj;
    for (let i = 0; i < n - 1; i++) {
      du[i] = e[i]!;
      dl[i] = e[i]!;
    }
    du2.fill(0);
    for (let i = 0; i < n - 1; i++) {
      if (Math.abs(dd[i]!) >= Math.abs(dl[i]!)) {
        swap[i] = 0;
        const fact = dd[i] !== 0 ? dl[i]! / dd[i]! : 0;
        dl[i] = fact;
        dd[i + 1]! -= fact * du[i]!;
      } else {
        swap[i] = 1;
        const fact = dd[i]! / dl[i]!;
        dd[i] = dl[i]!;
        dl[i] = fact;
        const temp = du[i]!;
        du[i] = dd[i + 1]!;
        dd[i + 1] = temp - fact * dd[i + 1]!;
        if (i < n - 2) {
          du2[i] = du[i + 1]!;
          du[i + 1] = -fact * du[i + 1]!;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      if (Math.abs(dd[i]!) < pivTol) dd[i] = dd[i]! < 0 ? -pivTol : pivTol;
    }
    startVector(x, j + 1);
    let nrmchk = 0;
    for (let its = 1; ; its++) {
      let norm1 = 0;
      for (let i = 0; i < n; i++) norm1 += Math.abs(x[i]!);
      const scl = (n * onenrm * Math.max(EPS, Math.abs(dd[n - 1]!))) / norm1;
      for (let i = 0; i < n; i++) x[i]! *= scl;
      // Solve L U y = x (dgttrs), in place.
      for (let i = 0; i < n - 1; i++) {
        if (swap[i] === 0) {
          x[i + 1]! -= dl[i]! * x[i]!;
        } else {
          const temp = x[i]!;
          x[i] = x[i + 1]!;
          x[i + 1] = temp - dl[i]! * x[i]!;
        }
      }
      x[n - 1] = x[n - 1]! / dd[n - 1]!;
      x[n - 2] = (x[n - 2]! - du[n - 2]! * x[n - 1]!) / dd[n - 2]!;
      for (let i = n - 3; i >= 0; i--) x[i] = (x[i]! - du[i]! * x[i + 1]! - du2[i]! * x[i + 2]!) / dd[i]!;
      // Reorthogonalise against the cluster's earlier vectors.
      for (let q = gpind; q < j; q++) {
        const zq = q * n;
        let s = 0;
        for (let i = 0; i < n; i++) s += x[i]! * zt[zq + i]!;
        for (let i = 0; i < n; i++) x[i]! -= s * zt[zq + i]!;
      }
      let nrm = 0;
      for (let i = 0; i < n; i++) nrm = Math.max(nrm, Math.abs(x[i]!));
      if (its >= MAXITS) break;
      if (nrm < dtpcrt) continue;
      nrmchk++;
      if (nrmchk >= EXTRA + 1) break;
    }
    let ss = 0;
    let jmax = 0;
    for (let i = 0; i < n; i++) {
      ss += x[i]! * x[i]!;
      if (Math.abs(x[i]!) > Math.abs(x[jmax]!)) jmax = i;
    }
    const inv = (x[jmax]! < 0 ? -1 : 1) / Math.sqrt(ss);
    for (let i = 0; i < n; i++) zt[j * n + i] = x[i]! * inv;
    xjm = xj;
  }
  return zt;
}

/**
 * The k largest eigenpairs of a symmetric matrix, exactly (not a randomised approximation),
 * ascending like eigh: values[k - 1] is the largest. Cost (4/3) D^3 + O(D^2 k).
 */
export function eighTop(s: Matrix, k: number, options: EighOptions = {}): Eigen {
  const n = s.rows;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`eighTop: k = ${k} for a ${n} x ${n} matrix`);
  const tri = tridiagonalize(s, options);
  if (k === 0) return { values: new Float64Array(0), vectors: matrix(n, 0) };
  const values = tridiagonalEigenvalues(tri.d, tri.e, n - k, n - 1);
  const zt = tridiagonalEigenvectors(tri.d, tri.e, values);
  applyQ(tri, zt, k);
  return { values, vectors: rowsAsColumns(zt, k, n) };
}
