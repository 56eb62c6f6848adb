import { afterAll, describe, expect, test } from 'bun:test';
import { dgemmAvailable, dgemmWorkerUnits, getDgemmThreads, setDgemmThreads } from '../compute/dgemm-pool.ts';
import { cases } from './fixtures/cases.ts';
import { centredUniforms } from './fixtures/prng.ts';
import { expectClose, flat, naiveABt } from './fixtures/testing.ts';
import { gemmInto, matmul, matmulABt, matmulAtB, strided, transpose, type GemmOptions, type Strided } from './gemm.ts';
import { setGemmPath, setGemmPieceBudget } from './gemm-wasm.ts';
import { gram } from './gram.ts';
import { matrix, type Matrix } from './matrix.ts';

/**
 * The WebAssembly float64 kernel (gemm-wasm.ts over compute/dgemm-kernel.ts) against numpy, a
 * triple loop, hand-worked integer products and, bitwise, the TypeScript kernel: same IEEE
 * operations per entry, whatever the threads, row pieces or edge tiles.
 */

const threadsBefore = getDgemmThreads();
afterAll(() => {
  setGemmPath('auto');
  setGemmPieceBudget();
  setDgemmThreads(threadsBefore);
});

function m(rows: number, cols: number, seed: number): Matrix {
  return matrix(rows, cols, centredUniforms(rows, cols, seed));
}

function run(path: 'js' | 'wasm', f: () => void): void {
  setGemmPath(path);
  try {
    f();
  } finally {
    setGemmPath('auto');
  }
}

/** gemmInto on both paths (and, for wasm, each thread count) from the same starting C. */
function bothPaths(
  mm: number, n: number, k: number, alpha: number, a: Strided, b: Strided, c0: Float64Array, cOff: number, ldc: number,
  options: GemmOptions, threads: number[] = [1, 2, 3],
): { js: Float64Array; wasm: Float64Array[] } {
  const js = c0.slice();
  run('js', () => gemmInto(mm, n, k, alpha, a, b, js, cOff, ldc, options));
  const wasm = threads.map((t) => {
    setDgemmThreads(t);
    const c = c0.slice();
    run('wasm', () => gemmInto(mm, n, k, alpha, a, b, c, cOff, ldc, options));
    return c;
  });
  setDgemmThreads(1);
  return { js, wasm };
}

function bitwiseEqual(x: Float64Array, y: Float64Array): boolean {
  const bx = new BigUint64Array(x.buffer, x.byteOffset, x.length);
  const by = new BigUint64Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < x.length; i++) if (bx[i] !== by[i]) return false;
  return true;
}

describe.skipIf(!dgemmAvailable())('wasm float64 kernel', () => {
  test('numpy products (make_linalg.py) through the wasm path', () => {
    const g = cases.gemm;
    const a = m(7, 5, 1);
    const b = m(6, 5, 2);
    const c = m(5, 4, 3);
    run('wasm', () => {
      expectClose(matmulABt(a, b).data, flat(g.abt), 1e-15);
      expectClose(matmul(a, c).data, flat(g.ab), 1e-15);
      const a3 = matrix(7, 3);
      for (let i = 0; i < 7; i++) for (let j = 0; j < 3; j++) a3.data[i * 3 + j] = a.data[i * 5 + j]!;
      expectClose(matmulAtB(a, a3).data, flat(g.atb), 1e-15);
    });
  });

  test('hand-worked integer products are exact (edge tiles, one depth step, odd depth)', () => {
    // A(i, p) = i + p, B(j, p) = j - p + 1: sum_p (i + p)(j - p + 1) in closed form, exact in float64.
    for (const [rows, cols, k] of [[1, 1, 1], [5, 3, 1], [3, 7, 2], [9, 6, 257], [4, 4, 513]] as const) {
      const a = matrix(rows, k);
      const b = matrix(cols, k);
      for (let i = 0; i < rows; i++) for (let p = 0; p < k; p++) a.data[i * k + p] = i + p;
      for (let j = 0; j < cols; j++) for (let p = 0; p < k; p++) b.data[j * k + p] = j - p + 1;
      const s1 = (k * (k - 1)) / 2;
      const s2 = ((k - 1) * k * (2 * k - 1)) / 6;
      let out!: Matrix;
      run('wasm', () => (out = matmulABt(a, b)));
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          // sum (i + p)(j + 1 - p) = i (j + 1) k + (j + 1 - i) s1 - s2
          expect(out.data[i * cols + j]).toBe(i * (j + 1) * k + (j + 1 - i) * s1 - s2);
        }
      }
    }
  });

  // Shapes straddle every edge: 4-wide tiles, 256-deep blocks, 32-tile x 16-panel work units.
  const shapes: [number, number, number][] = [
    [1, 1, 1], [3, 5, 2], [8, 8, 16], [13, 9, 255], [97, 13, 129], [13, 385, 131], [130, 70, 257], [200, 390, 513],
  ];
  for (const [mm, n, k] of shapes) {
    for (const triangle of ['full', 'upper', 'lower'] as const) {
      test(`bitwise equal to the TypeScript kernel, any thread count: ${mm} x ${n} x ${k}, ${triangle}`, () => {
        const a = m(mm, k, mm + 3);
        const bt = m(k, n, n + 5); // B used transposed: operand (j, p) = bt[p][j]
        const c0 = centredUniforms(mm + 3, n + 6, 7);
        const { js, wasm } = bothPaths(mm, n, k, -0.75, strided(a), strided(bt, true), c0, 2 * (n + 6) + 5, n + 6, { triangle });
        for (const w of wasm) expect(bitwiseEqual(w, js)).toBe(true);
        // and both are the product (within rounding) on the requested triangle, untouched elsewhere
        const ref = naiveABt(a, transpose(bt));
        for (let i = 0; i < mm + 3; i++) {
          for (let j = 0; j < n + 6; j++) {
            const inside = i >= 2 && i < mm + 2 && j >= 5 && j < n + 5;
            const r = i - 2;
            const s = j - 5;
            const wanted = inside && (triangle === 'full' || (triangle === 'upper' ? r <= s : r >= s));
            const v = wasm[0]![i * (n + 6) + j]!;
            if (wanted) expect(Math.abs(v - (c0[i * (n + 6) + j]! - 0.75 * ref.data[r * n + s]!))).toBeLessThan(1e-12);
            if (!inside) expect(v).toBe(c0[i * (n + 6) + j]!);
          }
        }
      });
    }
  }

  test('centring while packing, shared operand (Gram), row pieces: bitwise equal to TypeScript', () => {
    const x = m(300, 37, 11);
    const center = centredUniforms(1, 37, 12);
    const view = { data: x.data, offset: 0, rowStride: 1, colStride: 37 };
    const c0 = new Float64Array(37 * 37);
    const opts = { triangle: 'upper' as const, centerA: center, centerB: center };
    const { js, wasm } = bothPaths(37, 37, 300, 1, view, view, c0, 0, 37, opts);
    for (const w of wasm) expect(bitwiseEqual(w, js)).toBe(true);
    // Row pieces of 8 rows (a budget of 8 padded rows of C): the same values.
    setGemmPieceBudget(8 * 40 * 8);
    const pieces = bothPaths(37, 37, 300, 1, view, view, c0, 0, 37, opts, [1, 2]);
    setGemmPieceBudget();
    for (const w of pieces.wasm) expect(bitwiseEqual(w, js)).toBe(true);
  });

  test('one operand, every triangle, row pieces: B packed once per piece, A read from it, bitwise equal to TypeScript', () => {
    const x = m(150, 41, 14);
    const center = centredUniforms(1, 41, 15);
    const view = { data: x.data, offset: 0, rowStride: 1, colStride: 41 };
    const c0 = centredUniforms(41, 41, 16);
    for (const triangle of ['full', 'upper', 'lower'] as const) {
      for (const centerB of [center, undefined]) {
        const opts = { triangle, centerA: center, centerB };
        const { js } = bothPaths(41, 41, 150, -0.5, view, view, c0, 0, 41, opts);
        // pieces of 8 rows: 41 = 5 x 8 + 1, so the last piece is a partial tile
        setGemmPieceBudget(8 * 44 * 8);
        const pieces = bothPaths(41, 41, 150, -0.5, view, view, c0, 0, 41, opts, [1, 2]);
        setGemmPieceBudget();
        for (const w of pieces.wasm) expect(bitwiseEqual(w, js)).toBe(true);
      }
    }
  });

  test('gram() on the wasm path equals the centred triple loop', () => {
    const x = m(523, 45, 13);
    let g!: Matrix;
    run('wasm', () => (g = gram(x, true)));
    const mean = new Float64Array(45);
    for (let i = 0; i < 523; i++) for (let j = 0; j < 45; j++) mean[j]! += x.data[i * 45 + j]! / 523;
    const xc = matrix(523, 45);
    for (let i = 0; i < 523; i++) for (let j = 0; j < 45; j++) xc.data[i * 45 + j] = x.data[i * 45 + j]! - mean[j]!;
    const ref = naiveABt(transpose(xc), transpose(xc));
    expectClose(g.data, ref.data, 1e-13);
  });

  test('workers take part in large products', () => {
    setDgemmThreads(2);
    const before = dgemmWorkerUnits();
    const a = m(512, 256, 21);
    const b = m(512, 256, 22);
    let out!: Matrix;
    // Workers start asynchronously; a few products give them time to claim units.
    for (let rep = 0; rep < 20 && dgemmWorkerUnits() === before; rep++) {
      run('wasm', () => (out = matmulABt(a, b)));
      Bun.sleepSync(20);
    }
    setDgemmThreads(1);
    expectClose(out.data, naiveABt(a, b).data, 1e-12);
    expect(dgemmWorkerUnits()).toBeGreaterThan(before);
  });
});
