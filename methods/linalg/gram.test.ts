import { describe, expect, test } from 'bun:test';
import { cases } from './fixtures/cases.ts';
import { centredUniforms, uniforms } from './fixtures/prng.ts';
import { expectClose, flat, naiveABt } from './fixtures/testing.ts';
import { transpose } from './gemm.ts';
import { cachedCentredGram, centredGram, FIT_CENTRED_GRAM_KEY, gram } from './gram.ts';
import { matrix, type Matrix } from './matrix.ts';
import { classMeans, colMeans, rowSqNorms, subtractRow } from './stats.ts';

/** X (40 x 9) = (u - 0.5) * 3 + 10 u_j, as make_linalg.py builds it. */
function fixtureX(): Matrix {
  const x = matrix(40, 9, centredUniforms(40, 9, 4, 3));
  const offset = uniforms(9, 5);
  for (let i = 0; i < 40; i++) for (let j = 0; j < 9; j++) x.data[i * 9 + j]! += offset[j]! * 10;
  return x;
}

describe('gram and column means against numpy', () => {
  const g = cases.gram;
  const x = fixtureX();
  test('colMeans', () => expectClose(colMeans(x), g.colMeans, 1e-15));
  test('uncentred gram', () => expectClose(gram(x).data, flat(g.gram), 1e-15));
  test('centred gram (true and explicit vector)', () => {
    expectClose(gram(x, true).data, flat(g.gramCentred), 1e-14);
    expectClose(gram(x, colMeans(x)).data, flat(g.gramCentred), 1e-14);
  });
});

describe('gram at block-crossing sizes', () => {
  test('equals (X - 1c^T)^T (X - 1c^T) and is exactly symmetric', () => {
    for (const [n, d] of [[1, 1], [5, 3], [300, 101], [131, 390]] as const) {
      const x = matrix(n, d, centredUniforms(n, d, n + d, 2));
      for (let i = 0; i < x.data.length; i++) x.data[i]! += (i % d) / 5; // column offsets
      const c = colMeans(x);
      const xc = subtractRow(x, c);
      const ref = naiveABt(transpose(xc), transpose(xc));
      const got = gram(x, c);
      expectClose(got.data, ref.data, 1e-13);
      for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) expect(got.data[i * d + j]).toBe(got.data[j * d + i]!);
    }
  });

  test('rejects a centre of the wrong length', () => {
    expect(() => gram(matrix(3, 2), new Float64Array(3))).toThrow(/centre/);
  });
});

describe('cached centred Gram', () => {
  test('computed once per features object, recomputed for another', () => {
    const x = fixtureX();
    const cache = new Map<string, unknown>();
    const first = cachedCentredGram(cache, x);
    expect(cache.get(FIT_CENTRED_GRAM_KEY)).toBe(first);
    expect(cachedCentredGram(cache, x)).toBe(first);
    expect(first.n).toBe(40);
    expectClose(first.scatter.data, flat(cases.gram.gramCentred), 1e-14);
    const y = matrix(40, 9, x.data.slice());
    const second = cachedCentredGram(cache, y);
    expect(second).not.toBe(first);
    expect(second.source).toBe(y);
    expectClose(centredGram(y).scatter.data, second.scatter.data, 0);
  });
});

describe('stats', () => {
  test('classMeans, counts and errors', () => {
    const x = matrix(6, 2, Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    const { means, counts } = classMeans(x, Int32Array.from([0, 1, 0, 1, 2, 2]), 3);
    expect(Array.from(counts)).toEqual([2, 2, 2]);
    expect(Array.from(means.data)).toEqual([3, 4, 5, 6, 10, 11]);
    expect(() => classMeans(x, Int32Array.from([0, 1, 0, 1, 0, 1]), 3)).toThrow(/class\(es\) 2 have no rows/);
    expect(() => classMeans(x, Int32Array.from([0, 1, 0, 1, 2, 3]), 3)).toThrow(/label 3/);
    expect(() => classMeans(x, Int32Array.from([0, 1]), 3)).toThrow(/2 labels/);
  });

  test('colMeans over many rows stays accurate', () => {
    const n = 100_000;
    const x = matrix(n, 1, new Float64Array(n).fill(0.1));
    // A plain running sum is off by ~1.9e-13 here.
    expect(Math.abs(colMeans(x)[0]! - 0.1)).toBeLessThan(5e-16);
    expect(() => colMeans(matrix(0, 3))).toThrow(/no rows/);
  });

  test('rowSqNorms with and without shift', () => {
    const x = matrix(2, 2, Float64Array.from([3, 4, 1, 1]));
    expect(Array.from(rowSqNorms(x))).toEqual([25, 2]);
    expect(Array.from(rowSqNorms(x, Float64Array.from([1, 1])))).toEqual([13, 0]);
  });
});
