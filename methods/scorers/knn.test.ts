import { beforeAll, describe, expect, test } from 'bun:test';
import { createWasmBackend, initCompute, jsBackend, wasmSimdSupported, type ComputeBackend } from '../compute/index.ts';
import { dot } from '../compute/js.ts';
import { fromRows, matrix, type Matrix } from '../linalg/matrix.ts';
import type { FitContext, SplitOutputs } from '../outputs.ts';
import { buildKnnIndex, int16ScaleCap, knn, quantizeRows, QUERY_BLOCK, type KnnStats } from './knn.ts';
import ref from './fixtures/knn_cases.json';

// References (fixtures/make_knn.py): faiss 1.7.3 IndexFlatL2 in float32, as OpenOOD calls it, and the
// same K-th distances in float64 from numpy's float32 unit vectors. The scorer computes the latter
// exactly, so it must agree with faiss to faiss's own float32 rounding: FAISS_TOL = 1e-6 absolute
// on squared distances in [0, 4] (observed max 4.9e-7 on this fixture).
const FAISS_TOL = 1e-6;
const EXACT_TOL = 1e-12;

beforeAll(async () => {
  await initCompute();
});

function split(features: Matrix): SplitOutputs {
  return { logits: matrix(features.rows, 1), features };
}

function context(fit: Matrix): FitContext {
  const s = split(fit);
  return {
    fit: s,
    val: s,
    head: { weight: matrix(1, fit.cols), bias: new Float64Array(1) },
    modalities: [{ name: 'all', start: 0, end: fit.cols }],
    numClasses: 1,
    cache: new Map(),
  };
}

const fit = fromRows(ref.fit);
const queries = fromRows(ref.queries);
const faissRef = ref.faiss as Record<string, number[]>;
const exactRef = ref.exact64 as Record<string, number[]>;

function backends(): ComputeBackend[] {
  const list: ComputeBackend[] = [jsBackend];
  if (wasmSimdSupported()) {
    list.push(createWasmBackend());
    list.push(createWasmBackend({ threads: 2, minParallelFlops: 0 }));
    list.push(createWasmBackend({ maxPartBytes: 1 << 17 })); // splits B into several wasm memories
  }
  return list;
}

describe('KNN against faiss.IndexFlatL2 (fit 300 x 24, queries 120 x 24)', () => {
  const index = buildKnnIndex(fit);
  for (const k of ref.ks) {
    test(`K = ${k}: within ${FAISS_TOL} of faiss, within ${EXACT_TOL} of float64`, () => {
      const dist = index.kthDistances(queries, k);
      const f = faissRef[String(k)]!;
      const e = exactRef[String(k)]!;
      expect(dist.length).toBe(120);
      for (let i = 0; i < dist.length; i++) {
        expect(Math.abs(dist[i]! - f[i]!)).toBeLessThanOrEqual(FAISS_TOL);
        expect(Math.abs(dist[i]! - e[i]!)).toBeLessThanOrEqual(EXACT_TOL);
      }
    });
  }

  test('the awkward rows: duplicates, equal directions, the zero vector', () => {
    const d1 = index.kthDistances(queries, 1);
    const d6 = index.kthDistances(queries, 6);
    const d7 = index.kthDistances(queries, 7);
    // query 112 is fit row 3, which appears 6 times in the fit set
    expect(d6[112]).toBe(0);
    expect(d7[112]!).toBeGreaterThan(0.01);
    // 113 copies row 42 (and row 41 = 2 x row 42); 117 and 118 are 3 x rows 100 and 200
    for (const i of [113, 114, 115, 116, 117, 118]) expect(d1[i]!).toBeLessThan(1e-12);
    // the zero query: its nearest fit row is the zero row 40, every other is at ||f||^2 ~ 1
    expect(d1[119]).toBe(0);
    expect(Math.abs(d7[119]! - 1)).toBeLessThan(1e-6);
  });

  test('the scorer: conf = -(K-th distance), K = 10 by default', () => {
    const fitted = knn.fit(context(fit), knn.settings.parse({}));
    const { conf, pred } = fitted.score(split(queries));
    expect(pred).toBeUndefined();
    const f = faissRef['10']!;
    for (let i = 0; i < conf.length; i++) expect(Math.abs(conf[i]! + f[i]!)).toBeLessThanOrEqual(FAISS_TOL);
    const k1 = knn.fit(context(fit), knn.settings.parse({ k: 1 })).score(split(queries)).conf;
    faissRef['1']!.forEach((v, i) => expect(Math.abs(k1[i]! + v)).toBeLessThanOrEqual(FAISS_TOL));
  });
});

describe('KNN by hand (2-D)', () => {
  // Unit-scaled fit rows: (1,0), (0,1), (-1,0), (0,-1) exactly, and (u,u) with u the float32 value of
  // 3 / (float32(sqrt(18)) + 1e-10) = 0.70710683 (one float32 ulp above 1/sqrt(2), so |(u,u)|^2 = 2u^2 > 1).
  const fit2 = fromRows([[2, 0], [0, 0.5], [-3, 0], [0, -1], [3, 3]]);
  const q2 = fromRows([[5, 0], [0, 0], [0, 2]]);
  const index = buildKnnIndex(fit2);
  const u = Math.fround(3 / Math.fround(Math.fround(Math.sqrt(18)) + 1e-10));
  const s = 1 + 2 * u * u - 2 * u; // |(1,0) - (u,u)|^2, about 2 - sqrt(2)
  test('the diagonal row', () => {
    expect(u).toBe(0.7071068286895752);
    expect(index.sqNorms[4]).toBe(2 * u * u);
  });
  test.each([
    [1, [0, 1, 0]],
    [2, [s, 1, s]],
    [3, [2, 1, 2]],
    [4, [2, 1, 2]],
    [5, [4, 2 * u * u, 4]],
  ])('K = %i', (k, expected) => {
    const d = index.kthDistances(q2, k);
    expected.forEach((v, i) => expect(Math.abs(d[i]! - v)).toBeLessThan(1e-15));
  });

  test('bad input is refused', () => {
    expect(() => index.kthDistances(q2, 6)).toThrow(/K = 6/);
    expect(() => index.kthDistances(fromRows([[1, 2, 3]]), 1)).toThrow(/3 features/);
    expect(() => knn.fit(context(fit2), { k: 6 })).toThrow(/exceeds the 5 fit rows/);
    expect(() => buildKnnIndex(fromRows([[1, Number.NaN]]))).toThrow(/non-finite/);
    expect(knn.settings.safeParse({ k: 0 }).success).toBe(false);
    expect(index.kthDistances(matrix(0, 2), 1).length).toBe(0);
  });
});

/** Deterministic clustered features with many exact and near ties (duplicated rows, tiny jitter). */
function synthetic(rows: number, cols: number, seed: number, centres: Float64Array[]): Matrix {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const m = matrix(rows, cols);
  for (let i = 0; i < rows; i++) {
    const c = centres[Math.floor(rand() * centres.length)]!;
    const dup = i > 0 && rand() < 0.1;
    for (let t = 0; t < cols; t++) {
      m.data[i * cols + t] = dup ? m.data[(i - 1) * cols + t]! : Math.max(0, c[t]! + (rand() - 0.5) * (rand() < 0.5 ? 0.02 : 1));
    }
  }
  return m;
}

/** Brute force: all n exact distances per query, sorted. */
function bruteForce(fitM: Matrix, q: Matrix, k: number): Float64Array {
  const a = buildKnnIndex(fitM);
  const b = buildKnnIndex(q); // the same unit scaling for the queries
  const out = new Float64Array(q.rows);
  const d = new Float64Array(fitM.rows);
  for (let i = 0; i < q.rows; i++) {
    for (let j = 0; j < fitM.rows; j++) {
      d[j] = b.sqNorms[i]! + a.sqNorms[j]! - 2 * dot(b.unit, i * q.cols, a.unit, j * q.cols, q.cols);
    }
    out[i] = Math.max(0, Float64Array.from(d).sort()[k - 1]!);
  }
  return out;
}

describe('backends agree exactly (the float32 GEMM only pre-selects; the K-th is re-scored in float64)', () => {
  const cols = 301;
  let seed = 99;
  const centres = Array.from({ length: 4 }, () => {
    const c = new Float64Array(cols);
    for (let t = 0; t < cols; t++) c[t] = ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2;
    return c;
  });
  const fitM = synthetic(700, cols, 1, centres);
  const q = synthetic(QUERY_BLOCK + 37, cols, 2, centres); // two query blocks
  const index = buildKnnIndex(fitM);
  for (const k of [1, 10]) {
    test(`K = ${k}: js, wasm, wasm x2 and wasm split in parts give identical values, equal to brute force`, () => {
      const expected = bruteForce(fitM, q, k);
      for (const backend of backends()) {
        const stats: KnnStats = { queries: 0, refined: 0 };
        const got = index.kthDistances(q, k, { backend, stats });
        expect({ backend: backend.name, equal: got.every((v, i) => v === expected[i]) }).toEqual({ backend: backend.name, equal: true });
        expect(stats.queries).toBe(q.rows);
        expect(stats.refined).toBeGreaterThanOrEqual(q.rows);
      }
    });
  }
});

describe('the packed fit rows', () => {
  test('are prepared once per backend, kept across calls, and freed by dispose (the next call prepares again)', () => {
    const index = buildKnnIndex(fit);
    const log: string[] = [];
    const counting = (inner: ComputeBackend): ComputeBackend => ({
      ...inner,
      prepareRight(b, rows, cols) {
        log.push(`prepare ${inner.name}`);
        const r = inner.prepareRight(b, rows, cols);
        return { ...r, dispose: () => (log.push(`dispose ${inner.name}`), r.dispose()) };
      },
      ...(inner.prepareRightInt16Pairs
        ? {
          prepareRightInt16Pairs(b: Int32Array, rows: number, pairs: number) {
            log.push(`prepare int16 ${inner.name}`);
            const r = inner.prepareRightInt16Pairs!(b, rows, pairs);
            return { ...r, dispose: () => (log.push(`dispose int16 ${inner.name}`), r.dispose()) };
          },
        }
        : {}),
    });
    const a = counting(jsBackend);
    const expected = index.kthDistances(queries, 10, { backend: a });
    expect(Array.from(index.kthDistances(queries, 5, { backend: a }))).toEqual(Array.from(index.kthDistances(queries, 5, { backend: jsBackend })));
    expect(log).toEqual(['prepare js', 'dispose js']); // one operand for two calls of a, freed when plain jsBackend came
    log.length = 0;
    expect(Array.from(index.kthDistances(queries, 10, { backend: a }))).toEqual(Array.from(expected));
    expect(index.kthDistances(queries, 10, { backend: a }).length).toBe(120);
    index.dispose();
    index.dispose();
    expect(Array.from(index.kthDistances(queries, 10, { backend: a }))).toEqual(Array.from(expected));
    expect(log).toEqual(['prepare js', 'dispose js', 'prepare js']);
  });
});

describe('int16 pre-selection (wasm backends)', () => {
  test('quantised and float32 stage 1 give identical K-th distances', () => {
    const index = buildKnnIndex(fit);
    for (const k of [1, 5, 10]) {
      const a = index.kthDistances(queries, k, { quantized: false });
      const b = index.kthDistances(queries, k, { quantized: true });
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  test('the quantisation error bound holds: |u.v - q_u.q_v / (s_u s_v)| <= ‖δu‖‖v‖ + ‖û‖‖δv‖', () => {
    const cols = 257;
    const n = 60;
    const u = new Float32Array(n * cols);
    let s = 5;
    for (let i = 0; i < n; i++) {
      let ss = 0;
      for (let t = 0; t < cols; t++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const v = (s / 2 ** 32 - 0.5) * (t % 17 === 0 ? 20 : 1); // a few large entries
        u[i * cols + t] = v;
        ss += v * v;
      }
      for (let t = 0; t < cols; t++) u[i * cols + t] = Math.fround(u[i * cols + t]! / Math.sqrt(ss));
    }
    const cap = int16ScaleCap(cols);
    const pairs = Math.ceil(cols / 2);
    const q = new Int32Array(n * pairs);
    const inv = new Float64Array(n);
    const err = new Float64Array(n);
    const hat = new Float64Array(n);
    const intNorm = quantizeRows(u, cols, 0, n, cap, q, inv, err, hat);
    expect(intNorm * intNorm).toBeLessThan(2 ** 31 - 1);
    const val = (i: number, t: number) => {
      const w = q[i * pairs + (t >> 1)]!;
      return (t & 1) === 0 ? (w << 16) >> 16 : w >> 16;
    };
    // every entry is the nearest integer to s u (s = 1 / inv), up to rounding at an exact tie
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < cols; t++) expect(Math.abs(val(i, t) - u[i * cols + t]! / inv[i]!)).toBeLessThanOrEqual(0.5 + 1e-9);
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let exact = 0;
        let ints = 0;
        let vNorm = 0;
        for (let t = 0; t < cols; t++) {
          exact += u[i * cols + t]! * u[j * cols + t]!;
          ints += val(i, t) * val(j, t);
          vNorm += u[j * cols + t]! ** 2;
        }
        const approx = ints * inv[i]! * inv[j]!;
        const bound = err[i]! * Math.sqrt(vNorm) + hat[i]! * err[j]!;
        expect(Math.abs(exact - approx)).toBeLessThanOrEqual(bound * (1 + 1e-6) + 1e-15);
      }
    }
  });
});
