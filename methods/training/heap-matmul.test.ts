import { beforeAll, describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { heapProducts, type HeapProducts } from './heap-matmul.ts';
import { Random } from '../random.ts';

/**
 * The heap kernel must give tf.matMul's values to the bit (dense.ts relies on it: training's
 * numbers did not change when it came in). Shapes: the MultiOOD layers at batch 16, the embedded
 * benchmarks' small layers, whole splits (outputs), and sizes off the 4 × 8 tile grid, below one
 * tile (the JavaScript path) and random ones.
 */
describe('heap products (wasm backend)', () => {
  let hp: HeapProducts;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    hp = heapProducts()!;
  });

  const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

  test('the wasm backend gets the kernel', () => {
    expect(hp).toBeDefined();
  });

  test('x·W, dy·transpose(W) and transpose(x)·dy bitwise equal tf.matMul on 75 shapes', () => {
    const rng = new Random(5);
    const shapes: [number, number, number][] = [
      [16, 2304, 25], [16, 2048, 25], [16, 2304, 16], [16, 16, 2304], [16, 2304, 128], [16, 128, 25],
      [16, 48, 160], [16, 160, 10], [16, 16, 160], [445, 2304, 25], [800, 48, 160],
      [17, 2303, 27], [4, 8, 8], [3, 7, 9], [5, 1, 9], [1, 5, 3], [33, 65, 31],
    ];
    while (shapes.length < 75) shapes.push([1 + rng.int(70), 1 + rng.int(300), 1 + rng.int(70)]);
    for (const [M, K, N] of shapes) {
      const make = (r: number, c: number) => tf.tensor2d(Float32Array.from({ length: r * c }, () => rng.normal() * 10 ** (rng.int(5) - 2)), [r, c]);
      const x = make(M, K), w = make(K, N), dy = make(M, N);
      tf.tidy(() => {
        const label = `${M} x ${K} x ${N}`;
        expect([label, bits(hp.nn(x, w))]).toEqual([label, bits(tf.matMul(x, w))]);
        expect([label, bits(hp.nt(dy, w))]).toEqual([label, bits(tf.matMul(dy, tf.transpose(w)))]);
        expect([label, bits(hp.tn(x, dy))]).toEqual([label, bits(tf.matMul(tf.transpose(x), dy))]);
      });
      tf.dispose([x, w, dy]);
    }
  });

  test('no tensor is left behind (the transpose scratch is freed)', () => {
    const x = tf.ones([16, 40]) as tf.Tensor2D, w = tf.ones([40, 9]) as tf.Tensor2D, dy = tf.ones([16, 9]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const dataIds = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    tf.dispose([hp.nn(x, w), hp.nt(dy, w), hp.tn(x, dy)]);
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(dataIds);
    tf.dispose([x, w, dy]);
  });
});
