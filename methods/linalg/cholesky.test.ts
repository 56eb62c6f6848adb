import { describe, expect, test } from 'bun:test';
import { cholesky, choleskySolveRows, setSubstitutionKernel, solveLowerRows, solveLowerTransposeRows } from './cholesky.ts';
import { cases } from './fixtures/cases.ts';
import { centredUniforms } from './fixtures/prng.ts';
import { expectClose, flat, fromNested, maxAbsDiff } from './fixtures/testing.ts';
import { matmul, matmulABt } from './gemm.ts';
import { gram } from './gram.ts';
import { matrix } from './matrix.ts';

describe('cholesky against numpy', () => {
  const c = cases.cholesky;
  const s = fromNested(c.s);
  const rhs = matrix(4, 9, centredUniforms(4, 9, 6));
  const result = cholesky(s);
  test('factor', () => {
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expectClose(result.L.data, flat(c.l), 1e-14);
    for (let i = 0; i < 9; i++) for (let j = i + 1; j < 9; j++) expect(result.L.data[i * 9 + j]).toBe(0);
  });
  test('triangular solves on many rows', () => {
    if (!result.ok) throw new Error('no factor');
    expectClose(solveLowerRows(result.L, rhs).data, flat(c.solveLower), 1e-13);
    expectClose(solveLowerTransposeRows(result.L, rhs).data, flat(c.solveLowerTranspose), 1e-13);
    expectClose(choleskySolveRows(result.L, rhs).data, flat(c.solveS), 1e-12);
  });
  test('reports failure instead of throwing', () => {
    const bad = cholesky(fromNested(c.indefinite));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.pivot).toBeLessThanOrEqual(0);
    const singular = cholesky(matrix(2, 2, Float64Array.from([1, 1, 1, 1])));
    expect(singular.ok).toBe(false);
    const nan = cholesky(matrix(1, 1, Float64Array.from([Number.NaN])));
    expect(nan.ok).toBe(false);
    expect(() => cholesky(matrix(2, 3))).toThrow(/not square/);
  });
});

describe('blocked factor and solves beyond one block (NB = 128)', () => {
  for (const n of [1, 127, 128, 129, 300]) {
    test(`n = ${n}`, () => {
      const x = matrix(n + 20, n, centredUniforms(n + 20, n, n + 100));
      const s = gram(x, true);
      for (let i = 0; i < n; i++) s.data[i * n + i]! += 0.05;
      const r = cholesky(s);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(maxAbsDiff(matmulABt(r.L, r.L).data, s.data)).toBeLessThan(1e-12);
      const b = matrix(70, n, centredUniforms(70, n, n + 200));
      // Y L^T = B and Y L = B.
      expect(maxAbsDiff(matmulABt(solveLowerRows(r.L, b), r.L).data, b.data)).toBeLessThan(1e-11);
      expect(maxAbsDiff(matmul(solveLowerTransposeRows(r.L, b), r.L).data, b.data)).toBeLessThan(1e-11);
    });
  }
});

describe('one right-hand row', () => {
  test('solves of a single row are bitwise those of the same row inside a many-row solve (n = 300 and 700: several blocks and depth blocks)', () => {
    for (const n of [300, 700]) {
      const x = matrix(n + 20, n, centredUniforms(n + 20, n, 30 + n));
      const l = (cholesky(gram(x, true)) as { L: ReturnType<typeof matrix> }).L;
      // 9 rows go through the float64 product (and its wasm path); row 4 alone through the one-row loops
      const rows = matrix(9, n, centredUniforms(9, n, 31 + n));
      const one = matrix(1, n, rows.data.slice(4 * n, 5 * n));
      for (const solve of [solveLowerRows, solveLowerTransposeRows]) {
        const many = solve(l, rows).data.subarray(4 * n, 5 * n);
        const single = solve(l, one).data;
        expect(Buffer.from(single.buffer, single.byteOffset, single.byteLength).equals(Buffer.from(many.buffer, many.byteOffset, many.byteLength))).toBe(true);
      }
    }
  });
});

describe('the SIMD substitution kernel (compute/trsm-kernel.ts)', () => {
  const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  test('factor and many-row solves are bitwise those of the JavaScript loop (n = 40, 300, 530: one and several blocks; row counts with a partial group of 8)', () => {
    try {
      for (const [n, rows] of [[40, 16], [300, 203], [530, 77]] as const) {
        const x = matrix(n + 20, n, centredUniforms(n + 20, n, 400 + n));
        const s = gram(x, true);
        for (let i = 0; i < n; i++) s.data[i * n + i]! += 0.05;
        const b = matrix(rows, n, centredUniforms(rows, n, 500 + n));
        const run = (kernel: boolean) => {
          setSubstitutionKernel(kernel);
          const r = cholesky(s);
          if (!r.ok) throw new Error('not positive definite');
          return { l: r.L.data, y: solveLowerRows(r.L, b).data };
        };
        const js = run(false);
        const simd = run(true);
        expect(bytesOf(simd.l).equals(bytesOf(js.l))).toBe(true);
        expect(bytesOf(simd.y).equals(bytesOf(js.y))).toBe(true);
        // the solve is a solve: Y L^T = B
        expect(maxAbsDiff(matmulABt(matrix(rows, n, simd.y), matrix(n, n, simd.l)).data, b.data)).toBeLessThan(1e-11);
      }
    } finally {
      setSubstitutionKernel(true);
    }
  });
});
