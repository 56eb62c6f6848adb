import { describe, expect, test } from 'bun:test';
import { cases } from './fixtures/cases.ts';
import { centredUniforms } from './fixtures/prng.ts';
import { expectClose, flat, naiveABt } from './fixtures/testing.ts';
import { gemmInto, matmul, matmulABt, matmulAtB, matvec, strided, transpose } from './gemm.ts';
import { matrix, type Matrix } from './matrix.ts';

function m(rows: number, cols: number, seed: number): Matrix {
  return matrix(rows, cols, centredUniforms(rows, cols, seed));
}

describe('products against numpy (make_linalg.py)', () => {
  const g = cases.gemm;
  const a = m(7, 5, 1);
  const b = m(6, 5, 2);
  const c = m(5, 4, 3);
  test('matmulABt', () => expectClose(matmulABt(a, b).data, flat(g.abt), 1e-15));
  test('matmul', () => expectClose(matmul(a, c).data, flat(g.ab), 1e-15));
  test('matmulAtB', () => {
    const a3 = matrix(7, 3);
    for (let i = 0; i < 7; i++) for (let j = 0; j < 3; j++) a3.data[i * 3 + j] = a.data[i * 5 + j]!;
    expectClose(matmulAtB(a, a3).data, flat(g.atb), 1e-15);
  });
});

describe('blocked kernel against a triple loop', () => {
  // Shapes straddle every block edge: 4-wide tiles, KC = 128, MC = 96, NC = 384.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 2],
    [97, 13, 129],
    [13, 385, 131],
    [200, 390, 260],
  ];
  for (const [n, mm, k] of shapes) {
    test(`A B^T ${n} x ${mm} x ${k}`, () => {
      const a = m(n, k, n + 1);
      const b = m(mm, k, mm + 2);
      expectClose(matmulABt(a, b).data, naiveABt(a, b).data, 1e-13);
      expectClose(matmul(a, transpose(b)).data, naiveABt(a, b).data, 1e-13);
      expectClose(matmulAtB(transpose(a), transpose(b)).data, naiveABt(a, b).data, 1e-13);
    });
  }

  test('accumulates with alpha into a strided sub-block, transposed operands', () => {
    const a = m(50, 70, 21);
    const b = m(70, 45, 22); // used transposed: operand (j, p) = b[p][j]
    const c = matrix(60, 80, centredUniforms(60, 80, 23));
    const before = c.data.slice();
    gemmInto(50, 45, 70, -0.5, strided(a), strided(b, true), c.data, 3 * 80 + 7, 80);
    const ref = naiveABt(a, transpose(b));
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 80; j++) {
        const inside = i >= 3 && i < 53 && j >= 7 && j < 52;
        const expected = before[i * 80 + j]! + (inside ? -0.5 * ref.data[(i - 3) * 45 + (j - 7)]! : 0);
        expect(Math.abs(c.data[i * 80 + j]! - expected)).toBeLessThan(1e-13);
      }
    }
  });

  test('triangle option computes at least the requested triangle and leaves far tiles alone', () => {
    const a = m(150, 40, 31);
    const ref = naiveABt(a, a);
    for (const triangle of ['upper', 'lower'] as const) {
      const c = new Float64Array(150 * 150).fill(7);
      gemmInto(150, 150, 40, 1, strided(a), strided(a), c, 0, 150, { triangle });
      for (let i = 0; i < 150; i++) {
        for (let j = 0; j < 150; j++) {
          const wanted = triangle === 'upper' ? j >= i : j <= i;
          if (wanted) expect(Math.abs(c[i * 150 + j]! - 7 - ref.data[i * 150 + j]!)).toBeLessThan(1e-12);
          if (Math.abs(i - j) >= 8) {
            if (!wanted) expect(c[i * 150 + j]).toBe(7);
          }
        }
      }
    }
  });

  test('centring while packing equals products of centred copies', () => {
    const a = m(30, 140, 41);
    const b = m(20, 140, 42);
    const ca = Float64Array.from({ length: 30 }, (_, i) => i / 7);
    const cb = Float64Array.from({ length: 20 }, (_, i) => -i / 3);
    const ac = matrix(30, 140, a.data.map((v, idx) => v - ca[Math.floor(idx / 140)]!));
    const bc = matrix(20, 140, b.data.map((v, idx) => v - cb[Math.floor(idx / 140)]!));
    const c = new Float64Array(30 * 20);
    gemmInto(30, 20, 140, 1, strided(a), strided(b), c, 0, 20, { centerA: ca, centerB: cb });
    expectClose(c, naiveABt(ac, bc).data, 1e-13);
  });

  test('shape errors and empty products', () => {
    expect(() => matmulABt(matrix(2, 3), matrix(2, 4))).toThrow(/inner sizes/);
    expect(() => matmul(matrix(2, 3), matrix(2, 3))).toThrow(/inner sizes/);
    expect(matmulABt(matrix(0, 3), matrix(2, 3)).data.length).toBe(0);
    expect(Array.from(matmulABt(matrix(2, 0), matrix(3, 0)).data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('matvec and transpose', () => {
    const a = m(37, 41, 51);
    const x = centredUniforms(1, 41, 52);
    expectClose(matvec(a, x), matmulABt(a, matrix(1, 41, x)).data, 1e-14);
    const t = transpose(a);
    expect(t.rows).toBe(41);
    expect(t.data[5 * 37 + 36]).toBe(a.data[36 * 41 + 5]!);
  });
});
