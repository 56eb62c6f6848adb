import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Random } from '../random.ts';
import fixture from './fixtures/losses.json';
import {
  type AnyDistance,
  a2dDiscrepancy,
  classificationLoss,
  crossEntropy,
  distanceBetween,
  dropTrueClass,
  logitNormCrossEntropy,
  normalizedEntropy,
  normalizedEntropyLoss,
  syntheticDiscrepancy,
} from './losses.ts';

/**
 * tfjs computes in float32, the torch references in float64 from the same float32 inputs:
 * |tfjs - torch| <= ATOL + RTOL |torch|, for values and for every gradient entry.
 */
const ATOL = 1e-5;
const RTOL = 1e-5;

type Grid = number[][];
interface Case {
  name: string;
  M: number;
  C: number;
  B: number;
  tau: number;
  fused: Grid;
  unimodal: Grid[];
  labels: number[];
  crossEntropy: { value: number; grad: Grid };
  logitNormCrossEntropy: { value: number; grad: Grid };
  classificationLoss: Record<string, { value: number; gradFused: Grid; gradUnimodal: Grid[] }>;
  a2dDiscrepancy: Record<string, { value: number; grad: Grid[] }>;
  syntheticDiscrepancy: Record<string, { value: number; grad: Grid[] }>;
  normalizedEntropyLoss: { value: number; grad: Grid[] };
}
const cases = (fixture as unknown as { cases: Case[] }).cases;
const ALL_DISTANCES = (fixture as unknown as { distances: AnyDistance[] }).distances;

let worst = 0; // largest |error| / (ATOL + RTOL |ref|) seen, reported at the end

function expectClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const tol = ATOL + RTOL * Math.abs(e);
    const ratio = Math.abs(a - e) / tol;
    if (ratio > worst) worst = ratio;
    if (!(ratio <= 1)) throw new Error(`${what}[${i}]: tfjs ${a}, torch ${e}, |diff| ${Math.abs(a - e)} > ${tol}`);
  }
}

function t2(g: Grid): tf.Tensor2D {
  return tf.tensor2d(g, undefined, 'float32');
}

/** Value and gradients of f at xs, everything disposed. */
function valueAndGrads(f: (...xs: tf.Tensor2D[]) => tf.Scalar, xs: Grid[]): { value: number; grads: Float32Array[] } {
  const ts = xs.map(t2);
  const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => f(...(args as tf.Tensor2D[])))(ts);
  const out = { value: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync() as Float32Array) };
  tf.dispose([value, ...grads, ...ts]);
  return out;
}

function withLabels<T>(labels: number[], f: (y: tf.Tensor1D) => T): T {
  const y = tf.tensor1d(labels, 'int32');
  try {
    return f(y);
  } finally {
    y.dispose();
  }
}

// cpu by default; MULTIOOD_TF_BACKEND=wasm runs the same checks on the wasm backend
const BACKEND = process.env.MULTIOOD_TF_BACKEND ?? 'cpu';

let previous: string | undefined;

beforeAll(async () => {
  previous = tf.getBackend();
  if (!(await tf.setBackend(BACKEND))) throw new Error(`tfjs backend ${BACKEND} failed to initialise`);
  await tf.ready();
});

afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

describe('losses against torch autograd (fixtures/make_losses.py)', () => {
  for (const c of cases) {
    describe(`${c.name} (M=${c.M}, C=${c.C}, B=${c.B})`, () => {
      test('crossEntropy and logitNormCrossEntropy', () => {
        withLabels(c.labels, (y) => {
          let r = valueAndGrads((x) => crossEntropy(x, y), [c.fused]);
          expectClose([r.value], [c.crossEntropy.value], 'CE value');
          expectClose(r.grads[0]!, c.crossEntropy.grad.flat(), 'CE grad');
          r = valueAndGrads((x) => logitNormCrossEntropy(x, y, c.tau), [c.fused]);
          expectClose([r.value], [c.logitNormCrossEntropy.value], 'LogitNorm value');
          expectClose(r.grads[0]!, c.logitNormCrossEntropy.grad.flat(), 'LogitNorm grad');
        });
      });

      test('classificationLoss, all four settings', () => {
        withLabels(c.labels, (y) => {
          for (const perModality of [false, true]) {
            for (const logitNorm of [false, true]) {
              const ref = c.classificationLoss[`perModality=${perModality},logitNorm=${logitNorm}`]!;
              const what = `cls(perModality=${perModality}, logitNorm=${logitNorm})`;
              if (perModality) {
                const r = valueAndGrads(
                  (f, ...u) => classificationLoss(f, u, y, { perModality, logitNorm, tau: c.tau }),
                  [c.fused, ...c.unimodal],
                );
                expectClose([r.value], [ref.value], `${what} value`);
                expectClose(r.grads[0]!, ref.gradFused.flat(), `${what} d/dfused`);
                ref.gradUnimodal.forEach((g, k) => expectClose(r.grads[k + 1]!, g.flat(), `${what} d/dh${k}`));
              } else {
                // the unimodal heads take no part (tf.grads refuses inputs that do not reach y)
                const us = c.unimodal.map(t2);
                const r = valueAndGrads((f) => classificationLoss(f, us, y, { perModality, logitNorm, tau: c.tau }), [c.fused]);
                tf.dispose(us);
                expectClose([r.value], [ref.value], `${what} value`);
                expectClose(r.grads[0]!, ref.gradFused.flat(), `${what} d/dfused`);
                for (const g of ref.gradUnimodal) expect(g.flat().every((v) => v === 0)).toBe(true);
              }
            }
          }
        });
      });

      for (const d of ALL_DISTANCES) {
        test(`a2dDiscrepancy and syntheticDiscrepancy, ${d}`, () => {
          withLabels(c.labels, (y) => {
            let ref = c.a2dDiscrepancy[d]!;
            let r = valueAndGrads((...u) => a2dDiscrepancy(u, y, d), c.unimodal);
            expectClose([r.value], [ref.value], `a2d ${d} value`);
            ref.grad.forEach((g, k) => expectClose(r.grads[k]!, g.flat(), `a2d ${d} d/dh${k}`));
            ref = c.syntheticDiscrepancy[d]!;
            r = valueAndGrads((...u) => syntheticDiscrepancy(u, d), c.unimodal);
            expectClose([r.value], [ref.value], `syn ${d} value`);
            ref.grad.forEach((g, k) => expectClose(r.grads[k]!, g.flat(), `syn ${d} d/dh${k}`));
          });
        });
      }

      test('normalizedEntropyLoss', () => {
        const r = valueAndGrads((...u) => normalizedEntropyLoss(u), c.unimodal);
        expectClose([r.value], [c.normalizedEntropyLoss.value], 'entropy value');
        c.normalizedEntropyLoss.grad.forEach((g, k) => expectClose(r.grads[k]!, g.flat(), `entropy d/dh${k}`));
      });
    });
  }

  test('the fixtures exercise the Hellinger clamp (some probabilities < 1e-6)', () => {
    const peaked = cases.filter((c) => c.name.includes('peaked'));
    expect(peaked.length).toBeGreaterThan(0);
    let below = 0;
    for (const c of peaked) {
      for (const h of c.unimodal) {
        const p = tf.tidy(() => tf.softmax(t2(h)).dataSync());
        below += Array.from(p).filter((v) => v < 1e-6).length;
      }
    }
    expect(below).toBeGreaterThan(0);
  });

  test('worst error relative to tolerance', () => {
    // informative: how much of the tolerance the fixtures used
    console.log(`losses vs torch: worst |err| / (${ATOL} + ${RTOL}|ref|) = ${worst.toFixed(3)}`);
    expect(worst).toBeLessThanOrEqual(1);
  });
});

// ----- an independent float64 reference: plain JS, central finite differences ------------------

function softmaxRow(x: readonly number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Per-row distances in float64, written from the definitions in losses.ts's doc comments. */
function refDistance(p: number[][], q: number[][], d: AnyDistance): number[] {
  const l2 = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
  return p.map((pr, r) => {
    const qr = q[r]!;
    switch (d) {
      case 'hellinger':
        return Math.sqrt(pr.reduce((s, v, i) => s + (Math.sqrt(Math.max(v, 1e-6)) - Math.sqrt(Math.max(qr[i]!, 1e-6))) ** 2, 0)) / Math.SQRT2;
      case 'l1':
        return pr.reduce((s, v, i) => s + Math.abs(v - qr[i]!), 0);
      case 'l2':
        return l2(pr, qr);
      case 'wasserstein': {
        let cdf = 0;
        let s = 0;
        for (let i = 0; i < pr.length - 1; i++) {
          cdf += pr[i]! - qr[i]!;
          s += Math.abs(cdf);
        }
        return s;
      }
      case 'upstream-l1':
        return pr.reduce((s, v, i) => s + Math.abs(v - qr[i]!), 0) / pr.length;
      case 'upstream-l2':
        return pr.reduce((s, v, i) => s + (v - qr[i]!) ** 2, 0) / pr.length;
      case 'upstream-wasserstein':
        return (Math.min(...q.map((qs) => l2(pr, qs))) + Math.min(...p.map((ps) => l2(qr, ps)))) / 2;
    }
  });
}

function randomGrid(rng: Random, rows: number, cols: number, scale: number): number[][] {
  // float32-representable so tfjs sees exactly the same numbers
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.fround(rng.normal() * scale)));
}

describe('distances: float64 reference and central finite differences', () => {
  const rng = new Random(7);
  const B = 3;
  const C = 6;
  const x = randomGrid(rng, B, C, 1.5);
  const z = randomGrid(rng, B, C, 1.5);
  // the loss whose gradient is checked: sum_r w_r d(softmax(x_r), softmax(z_r)), w breaks symmetry
  const w = [0.7, -1.3, 2.1];
  const refLoss = (xs: number[][], zs: number[][], d: AnyDistance) =>
    refDistance(xs.map(softmaxRow), zs.map(softmaxRow), d).reduce((s, v, r) => s + w[r]! * v, 0);

  for (const d of ALL_DISTANCES) {
    test(d, () => {
      // value
      const got = tf.tidy(() => distanceBetween(tf.softmax(t2(x)), tf.softmax(t2(z)), d).dataSync());
      expectClose(got, refDistance(x.map(softmaxRow), z.map(softmaxRow), d), `${d} per-row value`);
      // gradient with respect to both logit grids
      const wt = tf.tensor1d(w);
      const r = valueAndGrads(
        (a, b) => tf.sum(tf.mul(wt, distanceBetween(tf.softmax(a), tf.softmax(b), d))) as tf.Scalar,
        [x, z],
      );
      wt.dispose();
      const h = 1e-6;
      for (const [which, grid] of [[0, x], [1, z]] as const) {
        const fd: number[] = [];
        for (let i = 0; i < B; i++) {
          for (let j = 0; j < C; j++) {
            const plus = grid.map((row) => row.slice());
            const minus = grid.map((row) => row.slice());
            plus[i]![j]! += h;
            minus[i]![j]! -= h;
            const f = (g: number[][]) => (which === 0 ? refLoss(g, z, d) : refLoss(x, g, d));
            fd.push((f(plus) - f(minus)) / (2 * h));
          }
        }
        expectClose(r.grads[which]!, fd, `${d} d/d${which === 0 ? 'x' : 'z'} vs finite differences`);
      }
    });
  }
});

// ----- hand-worked cases -----------------------------------------------------------------------

function dist(p: number[][], q: number[][], d: AnyDistance): number[] {
  return tf.tidy(() => Array.from(distanceBetween(t2(p), t2(q), d).dataSync()));
}

describe('hand-worked cases', () => {
  test('identical modalities: every discrepancy is 0, and the gradient is finite (0 for the roots)', () => {
    const h = [[0.3, -1.2, 2.0, 0.1, 0.5], [1.0, 1.0, -0.5, 0.2, -2.0]];
    withLabels([2, 4], (y) => {
      for (const d of ALL_DISTANCES) {
        for (const loss of [(u: tf.Tensor2D[]) => a2dDiscrepancy(u, y, d), (u: tf.Tensor2D[]) => syntheticDiscrepancy(u, d)]) {
          const r = valueAndGrads((a, b) => loss([a, b]), [h, h]);
          expect(Math.abs(r.value)).toBeLessThan(1e-7);
          for (const g of r.grads) for (const v of g) expect(Number.isFinite(v)).toBe(true);
        }
      }
    });
  });

  test('disjoint one-hot rows: Hellinger 1 (0.999 with the 1e-6 clamp), L1 2, L2 sqrt 2, W1 = index distance', () => {
    const p = [[1, 0, 0, 0]];
    const q = [[0, 0, 0, 1]];
    // clamp: (1 - 1e-3)^2 twice, /2 under the root: exactly 1 - 1e-3
    expect(dist(p, q, 'hellinger')[0]!).toBeCloseTo(0.999, 6);
    expect(Math.abs(dist(p, q, 'hellinger')[0]! - 1)).toBeLessThanOrEqual(1e-3 + 1e-7);
    expect(dist(p, q, 'l1')[0]!).toBeCloseTo(2, 6);
    expect(dist(p, q, 'l2')[0]!).toBeCloseTo(Math.SQRT2, 6);
    expect(dist(p, q, 'wasserstein')[0]!).toBeCloseTo(3, 6);
    expect(dist([[0, 1, 0, 0]], [[0, 0, 1, 0]], 'wasserstein')[0]!).toBeCloseTo(1, 6);
    expect(dist([[0.5, 0.5, 0]], [[0, 0.5, 0.5]], 'wasserstein')[0]!).toBeCloseTo(1, 6);
    expect(dist(p, q, 'upstream-l1')[0]!).toBeCloseTo(0.5, 6);
    expect(dist(p, q, 'upstream-l2')[0]!).toBeCloseTo(0.5, 6);
    // symmetric
    for (const d of ALL_DISTANCES) expect(dist(q, p, d)[0]!).toBeCloseTo(dist(p, q, d)[0]!, 6);
  });

  test('Hellinger of two known distributions', () => {
    const p = [0.5, 0.3, 0.2];
    const q = [0.2, 0.2, 0.6];
    const want = Math.sqrt(p.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(q[i]!)) ** 2, 0)) / Math.SQRT2;
    expect(dist([p], [q], 'hellinger')[0]!).toBeCloseTo(want, 6);
  });

  test('upstream-wasserstein is a nearest-neighbour distance over the batch rows', () => {
    // rows of q are those of p, permuted: every row has an exact match, so the distance is 0
    const p = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]];
    const q = [p[1]!, p[0]!];
    for (const v of dist(p, q, 'upstream-wasserstein')) expect(v).toBeCloseTo(0, 6);
    expect(dist(p, q, 'l2')[0]!).toBeGreaterThan(0.5);
  });

  test('uniform predictions: normalised entropy 1, loss -1', () => {
    const u = [[0, 0, 0, 0, 0], [3, 3, 3, 3, 3]];
    const rows = tf.tidy(() => Array.from(normalizedEntropy(t2(u)).dataSync()));
    for (const v of rows) expect(v).toBeCloseTo(1, 6);
    const loss = tf.tidy(() => normalizedEntropyLoss([t2(u), t2(u), t2(u)]).dataSync()[0]!);
    expect(loss).toBeCloseTo(-1, 6);
    // one-hot-like predictions: entropy near 0
    const peaked = tf.tidy(() => normalizedEntropy(t2([[40, 0, 0, 0, 0]])).dataSync()[0]!);
    expect(peaked).toBeLessThan(1e-6);
  });

  test('dropTrueClass removes the label column, keeps the order, passes no gradient to it', () => {
    withLabels([2, 0, 3], (y) => {
      const x = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]];
      const kept = tf.tidy(() => dropTrueClass(t2(x), y).arraySync());
      expect(kept).toEqual([[0, 1, 3], [5, 6, 7], [8, 9, 10]]);
      const w = tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
      const r = valueAndGrads((a) => tf.sum(tf.mul(w, dropTrueClass(a, y))) as tf.Scalar, [x]);
      w.dispose();
      expect(Array.from(r.grads[0]!)).toEqual([1, 2, 0, 3, 0, 4, 5, 6, 7, 8, 9, 0]);
    });
  });

  test('A2D ignores the true-class logit; the synthetic discrepancy does not', () => {
    const a = [[0.3, -1.2, 2.0, 0.1, 0.5]];
    const b = [[1.0, 1.0, -0.5, 0.2, -2.0]];
    const b2 = [[1.0, 1.0, 9.5, 0.2, -2.0]]; // only the label's (2) logit changed
    withLabels([2], (y) => {
      const v = (u: number[][], f: (t: tf.Tensor2D[]) => tf.Scalar) => tf.tidy(() => f([t2(a), t2(u)]).dataSync()[0]!);
      expect(v(b2, (t) => a2dDiscrepancy(t, y))).toBeCloseTo(v(b, (t) => a2dDiscrepancy(t, y)), 6);
      expect(Math.abs(v(b2, (t) => syntheticDiscrepancy(t)) - v(b, (t) => syntheticDiscrepancy(t)))).toBeGreaterThan(0.1);
    });
  });

  test('M = 3 averages the three pairs', () => {
    const rng = new Random(3);
    const hs = [0, 1, 2].map(() => randomGrid(rng, 4, 5, 1));
    const single = (i: number, j: number) => tf.tidy(() => syntheticDiscrepancy([t2(hs[i]!), t2(hs[j]!)]).dataSync()[0]!);
    const all = tf.tidy(() => syntheticDiscrepancy(hs.map(t2)).dataSync()[0]!);
    expect(all).toBeCloseTo((single(0, 1) + single(0, 2) + single(1, 2)) / 3, 6);
  });

  test('classificationLoss: the baseline ignores the unimodal heads, LogitNorm is scale-invariant', () => {
    const rng = new Random(4);
    const f = randomGrid(rng, 4, 5, 1);
    withLabels([0, 1, 2, 3], (y) => {
      const base = tf.tidy(() => classificationLoss(t2(f), [], y, { perModality: false, logitNorm: false }).dataSync()[0]!);
      expect(base).toBeCloseTo(tf.tidy(() => crossEntropy(t2(f), y).dataSync()[0]!), 6);
      const ln = (s: number) => tf.tidy(() => logitNormCrossEntropy(tf.mul(t2(f), s) as tf.Tensor2D, y).dataSync()[0]!);
      expect(ln(10)).toBeCloseTo(ln(1), 4);
      // perModality with the same logits everywhere equals CE
      const same = tf.tidy(() => classificationLoss(t2(f), [t2(f), t2(f)], y, { perModality: true, logitNorm: false }).dataSync()[0]!);
      expect(same).toBeCloseTo(base, 6);
    });
  });

  test('float labels are accepted (cast to int32)', () => {
    const x = [[1, 2, 3], [3, 2, 1]];
    const yi = tf.tensor1d([2, 0], 'int32');
    const yf = tf.tensor1d([2, 0], 'float32');
    const a = tf.tidy(() => crossEntropy(t2(x), yi).dataSync()[0]!);
    const b = tf.tidy(() => crossEntropy(t2(x), yf).dataSync()[0]!);
    const c = tf.tidy(() => a2dDiscrepancy([t2(x), t2([[0, 1, 0], [1, 0, 0]])], yf).dataSync()[0]!);
    const d = tf.tidy(() => a2dDiscrepancy([t2(x), t2([[0, 1, 0], [1, 0, 0]])], yi).dataSync()[0]!);
    tf.dispose([yi, yf]);
    expect(b).toBeCloseTo(a, 6);
    expect(c).toBeCloseTo(d, 6);
  });

  test('shape errors are reported', () => {
    withLabels([0, 1], (y) => {
      const three = tf.zeros([3, 4]) as tf.Tensor2D;
      const two = tf.zeros([2, 4]) as tf.Tensor2D;
      const twoC5 = tf.zeros([2, 5]) as tf.Tensor2D;
      expect(() => crossEntropy(three, y)).toThrow(/labels/);
      expect(() => a2dDiscrepancy([two], y)).toThrow(/at least 2 modalities/);
      expect(() => a2dDiscrepancy([two, twoC5], y)).toThrow(/classes/);
      expect(() => syntheticDiscrepancy([two, three])).toThrow(/batch/);
      const bad = tf.tensor1d([0, 4], 'int32');
      expect(() => crossEntropy(two, bad)).toThrow(/label 4 outside 0..3/);
      expect(() => a2dDiscrepancy([two, two], bad)).toThrow(/label 4/);
      bad.dispose();
      tf.dispose([three, two, twoC5]);
    });
  });
});

describe('no tensor leaks', () => {
  test('each loss, called directly and under tf.grads, leaves tf.memory().numTensors unchanged', () => {
    const c = cases[1]!;
    const y = tf.tensor1d(c.labels, 'int32');
    const f = t2(c.fused);
    const us = c.unimodal.map(t2);
    const calls: [string, () => tf.Tensor][] = [
      ['crossEntropy', () => crossEntropy(f, y)],
      ['logitNormCrossEntropy', () => logitNormCrossEntropy(f, y)],
      ['classificationLoss', () => classificationLoss(f, us, y, { perModality: true, logitNorm: true })],
      ['classificationLoss baseline', () => classificationLoss(f, us, y, { perModality: false, logitNorm: false })],
      ...ALL_DISTANCES.flatMap((d): [string, () => tf.Tensor][] => [
        [`a2d ${d}`, () => a2dDiscrepancy(us, y, d)],
        [`syn ${d}`, () => syntheticDiscrepancy(us, d)],
        [`distanceBetween ${d}`, () => distanceBetween(us[0]!, us[1]!, d)],
      ]),
      ['normalizedEntropyLoss', () => normalizedEntropyLoss(us)],
      ['normalizedEntropy', () => normalizedEntropy(f)],
      ['dropTrueClass', () => dropTrueClass(f, y)],
    ];
    for (const [name, call] of calls) {
      const before = tf.memory().numTensors;
      const out = call();
      expect({ name, extra: tf.memory().numTensors - before }).toEqual({ name, extra: 1 }); // just the result
      out.dispose();
      expect({ name, after: tf.memory().numTensors }).toEqual({ name, after: before });
    }
    // under autodiff
    for (const d of ALL_DISTANCES) {
      const before = tf.memory().numTensors;
      const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
        const [fx, ...ux] = xs as tf.Tensor2D[];
        return tf.addN([
          classificationLoss(fx!, ux, y, { perModality: true, logitNorm: false }),
          a2dDiscrepancy(ux, y, d),
          syntheticDiscrepancy(ux, d),
          normalizedEntropyLoss(ux),
        ]) as tf.Scalar;
      })([f, ...us]);
      tf.dispose([value, ...grads]);
      expect({ d, after: tf.memory().numTensors }).toEqual({ d, after: before });
    }
    tf.dispose([y, f, ...us]);
  });
});
