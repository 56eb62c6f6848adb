import { describe, expect, test } from 'bun:test';
import {
  createWasmBackend,
  dotErrorBound,
  jsBackend,
  matmulABt,
  wasmSimdSupported,
  wasmWorkerChunks,
  type ComputeBackend,
} from './index.ts';

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
  return x;
}

/** Checks c = a·bᵀ against float64 within the float32 contract of backend.ts. */
function expectProduct(c: Float32Array, a: Float32Array, m: number, b: Float32Array, n: number, k: number) {
  const gamma = dotErrorBound(k);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let t = 0; t < k; t++) {
        s += a[i * k + t]! * b[j * k + t]!;
        abs += Math.abs(a[i * k + t]! * b[j * k + t]!);
      }
      worst = Math.max(worst, Math.abs(c[i * n + j]! - s) / (gamma * abs + Number.MIN_VALUE));
    }
  }
  expect(worst).toBeLessThanOrEqual(1);
}

const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 2], [4, 16, 256], [7, 33, 257], [260, 70, 300], [5, 1030, 19]];

const labelled: [string, ComputeBackend][] = [['js', jsBackend]];
if (wasmSimdSupported()) {
  labelled.push(
    ['wasm', createWasmBackend()],
    ['wasm x2', createWasmBackend({ threads: 2, minParallelFlops: 0 })],
    ['wasm in 64 kB parts', createWasmBackend({ maxPartBytes: 1 << 16 })],
  );
}
const backends = labelled.map(([, b]) => b);

describe('C = A·Bᵀ within the float32 error bound', () => {
  for (const [label, backend] of labelled) {
    // The 64 kB-part backend creates one WebAssembly.Memory per part; late in a full test run
    // (after other suites made many memories) JavaScriptCore sometimes collects before handing
    // out new ones, which once took 5.7 s instead of 0.04 s. This test checks correctness; speed
    // is measured in bench/knn.ts.
    test.each(shapes)(`${label}: %i x %i, depth %i`, (m, n, k) => {
      const a = random(m * k, m + 7 * n);
      const b = random(n * k, k + 3);
      expectProduct(matmulABt(a, m, b, n, k, backend), a, m, b, n, k);
    }, 30_000);
  }

  test('prepared operand: reuse, caller-provided output, empty products, dispose', () => {
    for (const backend of backends) {
      const b = random(50 * 9, 1);
      const right = backend.prepareRight(b, 50, 9);
      const out = new Float32Array(6 * 50);
      const a = random(6 * 9, 2);
      expect(right.multiply(a, 6, out)).toBe(out);
      expectProduct(out, a, 6, b, 50, 9);
      expect(right.multiply(a, 0).length).toBe(0);
      expect(() => right.multiply(a, 7)).toThrow(/do not fill/);
      right.dispose();
      expect(() => right.multiply(a, 6)).toThrow(/disposed/);
    }
  });
});

describe.if(wasmSimdSupported())('wasm threads', () => {
  test('workers take chunks and the result is bitwise that of one thread', async () => {
    const [m, n, k] = [300, 4000, 128];
    const a = random(m * k, 5);
    const b = random(n * k, 6);
    const one = matmulABt(a, m, b, n, k, createWasmBackend());
    const threaded = createWasmBackend({ threads: 2, minParallelFlops: 0 });
    const right = threaded.prepareRight(b, n, k);
    await Bun.sleep(300); // let the worker start and register the operand
    const before = wasmWorkerChunks();
    const c = right.multiply(a, m);
    right.dispose();
    expect(wasmWorkerChunks()).toBeGreaterThan(before);
    expect(c.every((v, i) => v === one[i])).toBe(true);
  });
});
