import { describe, expect, test } from 'bun:test';
import { cases } from './fixtures/cases.ts';
import { centredUniforms } from './fixtures/prng.ts';
import degenerate from './fixtures/pinv_degenerate_cases.json' with { type: 'json' };
import { expectClose, flat, fromNested, maxAbs, maxAbsDiff } from './fixtures/testing.ts';
import { eigh } from './eigh.ts';
import { matmul } from './gemm.ts';
import { matrix } from './matrix.ts';
import { pinv, pinvSolve } from './pinv.ts';
import { pinvh, pinvhCutoff, pinvhFromEigen, pinvhKept } from './pinvh.ts';

describe('pinvh against scipy.linalg.pinvh', () => {
  const c = cases.pinvh;
  test('singular PSD matrix with duplicated columns (rank 6 of 10)', () => {
    const s = fromNested(c.singular);
    expectClose(pinvh(s).data, flat(c.singularPinv), 1e-10);
    expect(pinvhKept(eigh(s).values, 10).length).toBe(c.singularRank);
  });
  test('indefinite matrix: negative eigenvalues kept, tiny ones dropped', () => {
    const s = fromNested(c.indefinite);
    expectClose(pinvh(s).data, flat(c.indefinitePinv), 1e-12);
  });
  test('cutoff semantics: |lambda| > atol + rtol max|lambda|, rtol = N eps', () => {
    const values = Float64Array.from([-4, 1e-14, 3e-15, 2]);
    expect(pinvhCutoff(values, 4)).toBe(4 * 4 * 2 ** -52);
    expect(pinvhKept(values, 4)).toEqual([0, 1, 3]);
    expect(pinvhKept(values, 100)).toEqual([0, 3]);
    expect(pinvhKept(values, 4, { atol: 1.5, rtol: 0 })).toEqual([0, 3]);
    expect(pinvhKept(values, 4, { rtol: 0.6 })).toEqual([0]);
    expect(() => pinvhCutoff(values, 4, { atol: -1 })).toThrow(/non-negative/);
  });
  test('pinvhFromEigen on a diagonal matrix', () => {
    const s = matrix(3, 3, Float64Array.from([2, 0, 0, 0, 0, 0, 0, 0, -4]));
    expect(Array.from(pinvhFromEigen(eigh(s)).data)).toEqual([0.5, 0, 0, 0, 0, 0, 0, 0, -0.25]);
  });
});

describe('pinv against numpy.linalg.pinv', () => {
  const c = cases.pinv;
  const w = matrix(5, 40, centredUniforms(5, 40, 13));
  const b = centredUniforms(1, 5, 14);
  test('wide full-rank W (5 x 40) and pinv(W) b', () => {
    expectClose(pinv(w).data, flat(c.pinvW), 1e-13);
    expectClose(pinvSolve(w, b), c.pinvWb, 1e-13);
  });
  test('rank-deficient W (duplicated row)', () => {
    const wr = matrix(5, 40, w.data.slice());
    wr.data.copyWithin(3 * 40, 1 * 40, 2 * 40);
    expectClose(pinv(wr).data, flat(c.pinvWr), 1e-12);
    expectClose(pinvSolve(wr, b), c.pinvWrb, 1e-12);
  });
  test('tall matrix (9 x 4) goes through the transpose', () => {
    const tall = matrix(9, 4, centredUniforms(9, 4, 15));
    expectClose(pinv(tall).data, flat(c.pinvTall), 1e-13);
    const y = centredUniforms(1, 9, 16);
    expectClose(pinvSolve(tall, y), matmul(pinv(tall), matrix(9, 1, y)).data, 1e-13);
  });
  test('Penrose identities on a larger wide matrix', () => {
    const a = matrix(30, 200, centredUniforms(30, 200, 17));
    const p = pinv(a);
    expectClose(matmul(matmul(a, p), a).data, a.data, 1e-13);
    expectClose(matmul(matmul(p, a), p).data, p.data, 1e-13);
  });
  test('zero matrix and argument checks', () => {
    expect(Array.from(pinvSolve(matrix(2, 3), Float64Array.from([1, 2])))).toEqual([0, 0, 0]);
    expect(() => pinvSolve(matrix(2, 3), Float64Array.from([1]))).toThrow(/vector of 1/);
    expect(() => pinv(matrix(1, 1, Float64Array.from([Number.NaN])))).toThrow(/non-finite/);
  });
});

describe('pinv on degenerate matrices against numpy.linalg.pinv (make_pinv_degenerate.py)', () => {
  const c = degenerate.cases;
  type Case = { a: number[][]; rank: number; rcond: number; pinv?: number[][]; pinvRow0?: number[]; b: number[]; pinvb: number[] };
  const entries = Object.entries(c) as [string, Case][];
  for (const [name, k] of entries) {
    test(`${name} (rank ${k.rank})`, () => {
      const a = fromNested(k.a);
      const p = pinv(a, k.rcond);
      // Relative to the size of the answer: the tiny/huge cases have entries near 1e+-200.
      const scale = maxAbs(k.pinvb) || 1;
      if (k.pinv) {
        const ref = flat(k.pinv);
        const pScale = maxAbs(ref) || 1;
        expect(maxAbsDiff(p.data, ref) / pScale).toBeLessThan(1e-12);
      } else {
        const row0 = Float64Array.from(k.pinvRow0!);
        expect(maxAbsDiff(p.data.subarray(0, a.rows), row0) / maxAbs(row0)).toBeLessThan(1e-12);
      }
      const y = pinvSolve(a, Float64Array.from(k.b), k.rcond);
      expect(maxAbsDiff(y, k.pinvb) / scale).toBeLessThan(1e-12);
    });
  }

  test('a constant 129 x 4352 head (the ViM failure) at the default rcond: the rank-1 pseudo-inverse', () => {
    // pinv(c 1 1^T) = 1 1^T / (c m n) for an m x n constant c.
    const m = 129;
    const n = 4352;
    const value = 0.37;
    const a = matrix(m, n, new Float64Array(m * n).fill(value));
    const b = centredUniforms(1, m, 31);
    let sumB = 0;
    for (const v of b) sumB += v;
    const expected = sumB / (value * m * n);
    const y = pinvSolve(a, b);
    for (const v of y) expect(Math.abs(v - expected)).toBeLessThan(1e-12 * Math.abs(expected));
    const p = pinv(matrix(12, 40, new Float64Array(480).fill(-3)));
    for (const v of p.data) expect(Math.abs(v - 1 / (-3 * 480))).toBeLessThan(1e-13 / (3 * 480));
  });

  test('Penrose identities on rank-deficient and extreme-scale inputs', () => {
    for (const name of ['rank3', 'zeroAndScaledRows', 'rank3Tiny', 'rank3Huge'] as const) {
      const a = fromNested(c[name].a);
      const p = pinv(a);
      const aScale = maxAbs(a.data);
      const pScale = maxAbs(p.data);
      expect(maxAbsDiff(matmul(matmul(a, p), a).data, a.data) / aScale).toBeLessThan(1e-12);
      expect(maxAbsDiff(matmul(matmul(p, a), p).data, p.data) / pScale).toBeLessThan(1e-12);
    }
  });
});
