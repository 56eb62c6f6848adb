import { describe, expect, test } from 'bun:test';
import { applyQ, eigh, eighTop, setSymvKernel, tridiagonalize } from './eigh.ts';
import { cases } from './fixtures/cases.ts';
import { uniforms } from './fixtures/prng.ts';
import { expectClose, flat, fromNested, maxAbs, maxAbsDiff, projector, symmetricFromDraws } from './fixtures/testing.ts';
import { matmul, matmulAtB, transpose } from './gemm.ts';
import { matrix, type Matrix } from './matrix.ts';

function symmetric(n: number, seed: number): Matrix {
  return symmetricFromDraws(n, uniforms((n * (n + 1)) / 2, seed));
}

/** max |S V - V diag(values)| and max |V^T V - I|. */
function residuals(s: Matrix, values: Float64Array, v: Matrix): { resid: number; orth: number } {
  const sv = matmul(s, v);
  let resid = 0;
  for (let i = 0; i < v.rows; i++) {
    for (let j = 0; j < v.cols; j++) {
      resid = Math.max(resid, Math.abs(sv.data[i * v.cols + j]! - v.data[i * v.cols + j]! * values[j]!));
    }
  }
  const g = matmulAtB(v, v);
  for (let j = 0; j < v.cols; j++) g.data[j * v.cols + j]! -= 1;
  return { resid, orth: maxAbs(g.data) };
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('eigh against numpy', () => {
  test('random symmetric 12 x 12: values, and vectors up to sign', () => {
    const c = cases.eighRandom;
    const { values, vectors } = eigh(symmetric(c.n, c.seed));
    expectClose(values, c.values, 1e-14);
    const ref = fromNested(c.vectors);
    for (let j = 0; j < c.n; j++) {
      expectClose(projector(vectors, [j]), projector(ref, [j]), 1e-13);
    }
  });

  test('random symmetric 100 x 100 (several panels): values, residual, orthogonality', () => {
    const c = cases.eighWigner;
    const s = symmetric(c.n, c.seed);
    const { values, vectors } = eigh(s);
    expectClose(values, c.values, 2e-14);
    const r = residuals(s, values, vectors);
    expect(r.resid).toBeLessThan(1e-13);
    expect(r.orth).toBeLessThan(1e-13);
  });

  test('clusters, repeated and zero eigenvalues: eigenspace projectors match', () => {
    const c = cases.eighClusters;
    const s = fromNested(c.s);
    const { values, vectors } = eigh(s);
    expectClose(values, c.values, 1e-14);
    const ref = fromNested(c.vectors);
    // Ascending groups of (near-)equal eigenvalues, as in make_linalg.py's lam.
    const groups = [[0, 1], [2, 3, 4, 5], [6], [7], [8], [9], [10], [11], [12], [13, 14], [15], [16, 17], [18, 19, 20], [21, 22, 23]];
    for (const g of groups) expectClose(projector(vectors, g), projector(ref, g), 1e-12);
    const r = residuals(s, values, vectors);
    expect(r.resid).toBeLessThan(1e-13);
    expect(r.orth).toBeLessThan(1e-13);
  });
});

describe('eighTop: exact top-k eigenpairs', () => {
  test('random 100 x 100: values equal numpy top-k, vectors equal eigh', () => {
    const c = cases.eighWigner;
    const s = symmetric(c.n, c.seed);
    const full = eigh(s);
    for (const k of [1, 10, 37, 100]) {
      const top = eighTop(s, k);
      expect(top.values.length).toBe(k);
      expect(top.vectors.rows).toBe(100);
      expect(top.vectors.cols).toBe(k);
      expectClose(top.values, c.values.slice(100 - k), 2e-14);
      const r = residuals(s, top.values, top.vectors);
      expect(r.resid).toBeLessThan(1e-13);
      expect(r.orth).toBeLessThan(1e-13);
      for (let j = 0; j < k; j++) expectClose(projector(top.vectors, [j]), projector(full.vectors, [100 - k + j]), 1e-11);
    }
  });

  test('clusters: top-k subspaces at cluster boundaries match numpy', () => {
    const c = cases.eighClusters;
    const s = fromNested(c.s);
    const ref = fromNested(c.vectors);
    const n = 24;
    // Top 3 = the triple 5; top 6 adds 3 and 3 +- 1e-12; top 11 includes the 1e-9-close pair.
    for (const k of [3, 6, 8, 9, 11]) {
      const top = eighTop(s, k);
      expectClose(top.values, c.values.slice(n - k), 1e-14);
      expectClose(projector(top.vectors, range(0, k)), projector(ref, range(n - k, n)), 1e-12);
      const r = residuals(s, top.values, top.vectors);
      expect(r.resid).toBeLessThan(1e-13);
      expect(r.orth).toBeLessThan(1e-13);
    }
  });

  test('repeated eigenvalue with a diagonal matrix (split tridiagonal)', () => {
    const s = matrix(6, 6);
    [2, 7, 7, 1, 7, 3].forEach((v, i) => (s.data[i * 6 + i] = v));
    const top = eighTop(s, 3);
    expect(Array.from(top.values)).toEqual([7, 7, 7]);
    const p = projector(top.vectors, [0, 1, 2]);
    const expected = new Float64Array(36);
    for (const i of [1, 2, 4]) expected[i * 6 + i] = 1;
    expect(maxAbsDiff(p, expected)).toBeLessThan(1e-14);
  });

  test('more panels and back-transformation blocks (n = 300)', () => {
    const s = symmetric(300, 77);
    const full = eigh(s);
    const r = residuals(s, full.values, full.vectors);
    expect(r.resid).toBeLessThan(5e-13);
    expect(r.orth).toBeLessThan(5e-13);
    const top = eighTop(s, 40);
    expectClose(top.values, full.values.slice(260), 5e-14);
    const rt = residuals(s, top.values, top.vectors);
    expect(rt.resid).toBeLessThan(5e-13);
    expect(rt.orth).toBeLessThan(5e-13);
  });

  test('argument checks', () => {
    const s = symmetric(5, 3);
    expect(() => eighTop(s, 6)).toThrow(/k = 6/);
    expect(() => eighTop(s, -1)).toThrow(/k = -1/);
    expect(eighTop(s, 0).values.length).toBe(0);
    expect(() => eigh(matrix(2, 3))).toThrow(/not square/);
    expect(() => eigh(matrix(1, 1, Float64Array.from([Infinity])))).toThrow(/non-finite/);
    expect(eigh(matrix(0, 0)).values.length).toBe(0);
  });
});

describe('overwrite: working in the caller\'s buffer', () => {
  test('eigh and eighTop give bitwise the same pairs in place as on a copy', () => {
    const s = symmetric(67, 11);
    const copy = () => matrix(s.rows, s.cols, s.data.slice());
    const a = eigh(s);
    const inPlace = copy();
    const b = eigh(inPlace, { overwrite: true });
    expect(Array.from(b.values)).toEqual(Array.from(a.values));
    expect(Array.from(b.vectors.data)).toEqual(Array.from(a.vectors.data));
    expect(b.vectors.data.buffer).toBe(inPlace.data.buffer); // no second D x D matrix
    const top = eighTop(s, 5);
    const topInPlace = eighTop(copy(), 5, { overwrite: true });
    expect(Array.from(topInPlace.values)).toEqual(Array.from(top.values));
    expect(Array.from(topInPlace.vectors.data)).toEqual(Array.from(top.vectors.data));
  });
});

describe('tridiagonalize', () => {
  test('the WebAssembly matrix-vector products give bitwise the JavaScript loop\'s T and reflectors (odd and even orders)', () => {
    for (const n of [64, 97, 130]) {
      const s = symmetricFromDraws(n, uniforms((n * (n + 1)) / 2, 40 + n));
      setSymvKernel(false);
      const js = tridiagonalize(s);
      setSymvKernel();
      const wasm = tridiagonalize(s);
      for (const [x, y] of [[js.d, wasm.d], [js.e, wasm.e], [js.tau, wasm.tau], [js.reflectors, wasm.reflectors]] as const) {
        expect(Buffer.from(y.buffer, y.byteOffset, y.byteLength).equals(Buffer.from(x.buffer, x.byteOffset, x.byteLength))).toBe(true);
      }
    }
  });

  test('Q T Q^T reproduces S, T symmetric tridiagonal', () => {
    const n = 77;
    const s = symmetric(n, 5);
    const tri = tridiagonalize(s);
    const qt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) qt[i * n + i] = 1;
    applyQ(tri, qt, n); // rows of qt become Q e_i, i.e. qt = Q^T... rows are columns of Q
    const q = transpose(matrix(n, n, qt));
    const t = matrix(n, n);
    for (let i = 0; i < n; i++) {
      t.data[i * n + i] = tri.d[i]!;
      if (i < n - 1) {
        t.data[i * n + i + 1] = tri.e[i]!;
        t.data[(i + 1) * n + i] = tri.e[i]!;
      }
    }
    const rebuilt = matmul(matmul(q, t), transpose(q));
    expect(maxAbsDiff(rebuilt.data, s.data)).toBeLessThan(1e-13);
    expectClose(matmulAtB(q, q).data, flat(Array.from({ length: n }, (_, i) => range(0, n).map((j) => (i === j ? 1 : 0)))), 1e-14);
  });
});
