import { describe, expect, test } from 'bun:test';
import { cases } from './fixtures/cases.ts';
import { centredUniforms } from './fixtures/prng.ts';
import { expectClose, flat, fromNested } from './fixtures/testing.ts';
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
