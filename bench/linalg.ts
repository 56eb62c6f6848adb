/**
 * Timings of the float64 linear algebra at benchmark scale, as JSON on stdout.
 *
 *   bun bench/linalg.ts                 # full scale (several minutes, ~2 GB of memory)
 *   bun bench/linalg.ts --scale 0.25    # every dimension scaled (quick look)
 *   bun bench/linalg.ts --full-eigh     # also the full eigh (Mahalanobis' pinvh fallback)
 *   bun bench/linalg.ts --threads 1     # float64 products on one thread (default: every core)
 *   bun bench/linalg.ts --path js       # the TypeScript kernel instead of the wasm one
 *
 * Shapes: Kinetics-600 near-OOD fit split (22,549 rows) with video+flow features (D = 4352);
 * ViM's principal subspace (k = 256); 15,000 query rows against the 229-class fused head.
 * The synthetic features have a decaying spectrum (64 latent directions plus column-scaled
 * noise), like real embeddings, so eighTop meets clustered small eigenvalues too.
 */
import { initCompute } from '../methods/compute/index.ts';
import { cholesky, solveLowerRows } from '../methods/linalg/cholesky.ts';
import { setGemmPath, type GemmPath } from '../methods/linalg/gemm-wasm.ts';
import { eigh, eighTop } from '../methods/linalg/eigh.ts';
import { gemmInto, matmul, matmulABt, matmulAtB } from '../methods/linalg/gemm.ts';
import { gram } from '../methods/linalg/gram.ts';
import { matrix, type Matrix } from '../methods/linalg/matrix.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const scale = Number(arg('--scale') ?? 1);
const fullEigh = process.argv.includes('--full-eigh');
const threadsArg = arg('--threads');
await initCompute(threadsArg === undefined ? {} : { threads: Number(threadsArg) });
setGemmPath((arg('--path') ?? 'auto') as GemmPath);
const dim = (x: number) => Math.max(8, Math.round(x * scale));

const N = dim(22549);
const D = dim(4352);
const K = Math.min(dim(256), D - 1);
const Q = dim(15000);
const C = Math.min(dim(229), D);
const TRSM_ROWS = Math.min(Q, 4096);

let state = 0x2545f491;
function fill(m: Matrix, amplitude = 1): Matrix {
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    d[i] = ((state >>> 0) / 4294967296 - 0.5) * amplitude;
  }
  return m;
}

/** Structured features: latent (N x 64) x mixing (64 x D) with decaying weights, plus scaled noise. */
function features(rows: number): Matrix {
  const r = 64;
  const latent = fill(matrix(rows, r));
  const mixing = fill(matrix(r, D));
  for (let q = 0; q < r; q++) for (let j = 0; j < D; j++) mixing.data[q * D + j]! *= 4 / (1 + q);
  const x = fill(matrix(rows, D));
  for (let i = 0; i < rows; i++) for (let j = 0; j < D; j++) x.data[i * D + j]! *= 0.05 + (j % 97) / 97;
  gemmInto(rows, D, r, 1, { data: latent.data, offset: 0, rowStride: r, colStride: 1 }, { data: mixing.data, offset: 0, rowStride: 1, colStride: D }, x.data, 0, D);
  return x;
}

function timed<T>(fn: () => T): { value: T; seconds: number; cpuSeconds: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const seconds = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  return { value, seconds, cpuSeconds: (c1.user + c1.system) / 1e6 };
}

/** Accuracy at scale: max |S v - lambda v| / lambda_max and max |V^T V - I| (not timed). */
function eigenChecks(s: Matrix, values: Float64Array, v: Matrix): { relResidual: number; orthogonality: number } {
  const sv = matmul(s, v);
  const k = v.cols;
  let resid = 0;
  for (let i = 0; i < v.rows; i++) {
    for (let j = 0; j < k; j++) resid = Math.max(resid, Math.abs(sv.data[i * k + j]! - v.data[i * k + j]! * values[j]!));
  }
  const g = matmulAtB(v, v);
  let orth = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) orth = Math.max(orth, Math.abs(g.data[i * k + j]! - (i === j ? 1 : 0)));
  const lmax = Math.max(...Array.from(values, Math.abs));
  return { relResidual: Number((resid / lmax).toExponential(2)), orthogonality: Number(orth.toExponential(2)) };
}

const results: Record<string, unknown>[] = [];
function record(name: string, shape: string, flops: number, t: { seconds: number; cpuSeconds: number }, extra: Record<string, unknown> = {}) {
  const row = {
    name,
    shape,
    seconds: Number(t.seconds.toFixed(3)),
    cpuSeconds: Number(t.cpuSeconds.toFixed(3)),
    gflops: Number((flops / t.seconds / 1e9).toFixed(2)),
    ...extra,
  };
  results.push(row);
  console.error(JSON.stringify(row));
}

// Warm the kernel up so that JIT tiering is not billed to the first measurement.
matmulABt(fill(matrix(256, 256)), fill(matrix(256, 256)));

const x = features(N);
const g = timed(() => gram(x, true));
record('gram', `${N} x ${D}, centred, symmetric`, N * D * (D + 1), g);

const cov = g.value;
for (let i = 0; i < cov.data.length; i++) cov.data[i]! /= N;

const top = timed(() => eighTop(cov, K));
record('eighTop', `${D} x ${D}, k = ${K}`, (4 / 3) * D ** 3 + 4 * D * D * K, top, {
  flopsModel: '(4/3) D^3 tridiagonalisation + 4 D^2 k back-transformation',
  largest: top.value.values[K - 1],
  kth: top.value.values[0],
  ...eigenChecks(cov, top.value.values, top.value.vectors),
});

const chol = timed(() => cholesky(cov));
record('cholesky', `${D} x ${D}`, D ** 3 / 3, chol, { ok: chol.value.ok });

const queries = fill(matrix(Q, D));
const head = fill(matrix(C, D));
const mm = timed(() => matmulABt(queries, head));
record('matmulABt', `${Q} x ${D} by (${C} x ${D})^T`, 2 * Q * C * D, mm);

if (chol.value.ok) {
  const l = chol.value.L;
  const rows = matrix(TRSM_ROWS, D, queries.data.subarray(0, TRSM_ROWS * D));
  const trsm = timed(() => solveLowerRows(l, rows));
  record('solveLowerRows', `${TRSM_ROWS} x ${D} (Mahalanobis whitening)`, TRSM_ROWS * D * D, trsm);
}

if (fullEigh) {
  const full = timed(() => eigh(cov));
  record('eigh', `${D} x ${D}, all pairs`, (4 / 3) * D ** 3 + 2 * D ** 3, full, {
    flopsModel: '(4/3) D^3 + 2 D^3 back-transformation (QL rotations not counted)',
    ...eigenChecks(cov, full.value.values, full.value.vectors),
  });
}

console.log(JSON.stringify({ scale, runtime: `bun ${Bun.version}`, threads: threadsArg ?? 'all', path: arg('--path') ?? 'auto', results }, null, 2));
process.exit(0); // the compute workers are unref'd, but exit promptly anyway
