import { describe, expect, test } from 'bun:test';
import { createWasmBackend, wasmSimdSupported } from './index.ts';

/**
 * The wasm backend's exact int16 product (i32x4.dot_i16x8_s, wasm-kernel.ts kind 'i16') against
 * an integer triple loop: every entry must be exact, for any threads, parts and edge sizes.
 */

function pairsOf(values: Int16Array, rows: number, cols: number): Int32Array {
  const pairs = Math.ceil(cols / 2);
  const out = new Int32Array(rows * pairs);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < pairs; p++) {
      const lo = values[i * cols + 2 * p]!;
      const hi = 2 * p + 1 < cols ? values[i * cols + 2 * p + 1]! : 0;
      out[i * pairs + p] = (lo & 0xffff) | (hi << 16);
    }
  }
  return out;
}

function int16s(n: number, seed: number, extreme = false): Int16Array {
  let s = seed >>> 0;
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = extreme ? ((s >>> 31) === 0 ? 32767 : -32767) : (s >>> 16) - 32768;
  }
  return x;
}

describe.skipIf(!wasmSimdSupported())('exact int16-pair product', () => {
  const backends = () => [
    createWasmBackend(),
    createWasmBackend({ threads: 2, minParallelFlops: 0 }),
    createWasmBackend({ maxPartBytes: 1 << 17 }),
  ];
  // Edge sizes: odd widths (padding slot), rows not multiples of the 4 x 16 tile, more than one
  // 256-slot depth block, more than one 512-row job.
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 17, 5], [37, 70, 513], [530, 45, 1030]];
  for (const [m, n, cols] of shapes) {
    test(`${m} x ${n} over ${cols} int16 values`, () => {
      // Moderate magnitudes so that the sums stay below 2^31 (the caller's contract).
      const a = int16s(m * cols, m + cols).map((v) => v >> 5);
      const b = int16s(n * cols, n + 7).map((v) => v >> 5);
      const expected = new Float64Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let t = 0; t < cols; t++) s += a[i * cols + t]! * b[j * cols + t]!;
          expected[i * n + j] = s;
        }
      }
      const pairs = Math.ceil(cols / 2);
      for (const backend of backends()) {
        const right = backend.prepareRightInt16Pairs!(pairsOf(b, n, cols), n, pairs);
        const got = right.multiply(pairsOf(a, m, cols), m);
        right.dispose();
        expect({ backend: backend.name, exact: got.every((v, i) => v === expected[i]) }).toEqual({ backend: backend.name, exact: true });
      }
    });
  }

  test('extreme values: +-32767 in every slot, sums up to 2 x 32767^2 per pair', () => {
    const cols = 2;
    const a = int16s(8 * cols, 3, true);
    const b = int16s(20 * cols, 4, true);
    const right = createWasmBackend().prepareRightInt16Pairs!(pairsOf(b, 20, cols), 20, 1);
    const got = right.multiply(pairsOf(a, 8, cols), 8);
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 20; j++) {
        expect(got[i * 20 + j]).toBe(a[i * 2]! * b[j * 2]! + a[i * 2 + 1]! * b[j * 2 + 1]!);
      }
    }
  });
});
