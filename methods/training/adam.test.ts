import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Adam, FusedAdam } from './adam.ts';
import { HeapAdam } from './adam-heap.ts';
import fixture from './fixtures/adam.json';

/** torch.optim.Adam trajectories written by fixtures/make_adam.py. */
interface AdamCase {
  name: string;
  shapes: number[][];
  lr: number;
  weightDecay: number;
  initial: number[][];
  grads: (number[] | null)[][];
  after: number[][][];
}

const cases = fixture.cases as unknown as AdamCase[];
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
let previous = '';

beforeAll(() => {
  previous = tf.getBackend();
  tf.env().set('PROD', true); // no "install tfjs-node" banner from the cpu backend
});
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`Adam vs torch.optim.Adam (${backend})`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      await tf.ready();
    });

    for (const c of cases) for (const Optimizer of [Adam, FusedAdam]) {
      test(`${c.name} (${Optimizer.name})`, () => {
        const before = tf.memory().numTensors;
        const params = c.shapes.map((shape, i) => {
          const t = tf.tensor(flat(c.initial[i]), shape);
          const v = tf.variable(t);
          t.dispose();
          return v;
        });
        const adam = new Optimizer(params, { lr: c.lr, weightDecay: c.weightDecay });
        let worst = 0;
        c.grads.forEach((stepGrads, t) => {
          const grads: tf.NamedTensorMap = {};
          stepGrads.forEach((g, i) => {
            if (g) grads[params[i]!.name] = tf.tensor(flat(g), c.shapes[i]!);
          });
          adam.update(grads);
          tf.dispose(Object.values(grads));
          params.forEach((p, i) => {
            const got = p.dataSync();
            const want = flat(c.after[t]![i]);
            want.forEach((w, j) => {
              worst = Math.max(worst, Math.abs(got[j]! - w) / Math.max(1, Math.abs(w)));
            });
          });
        });
        // float32 on both sides, same order of operations: a few ulps at most.
        expect(worst).toBeLessThan(5e-7);
        expect(adam.step).toBe(c.grads.length);
        adam.dispose();
        tf.dispose(params);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  });
}

describe('FusedAdam', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    test(`bitwise the parameters of Adam on every fixture trajectory, skipped gradients included (${backend})`, async () => {
      await tf.setBackend(backend);
      await tf.ready();
      for (const c of cases) {
        const make = () => c.shapes.map((shape, i) => tf.variable(tf.tensor(flat(c.initial[i]), shape)));
        const [pa, pb] = [make(), make()];
        const a = new Adam(pa, { lr: c.lr, weightDecay: c.weightDecay });
        const b = new FusedAdam(pb, { lr: c.lr, weightDecay: c.weightDecay });
        for (const stepGrads of c.grads) {
          for (const [params, opt] of [[pa, a], [pb, b]] as const) {
            const grads: tf.NamedTensorMap = {};
            stepGrads.forEach((g, i) => {
              if (g) grads[params[i]!.name] = tf.tensor(flat(g), c.shapes[i]!);
            });
            opt.update(grads);
            tf.dispose(Object.values(grads));
          }
          pa.forEach((p, i) => expect(Array.from(pb[i]!.dataSync())).toEqual(Array.from(p.dataSync())));
        }
        a.dispose();
        b.dispose();
        tf.dispose([...pa, ...pb]);
      }
    });
  }
});

describe('FusedAdam in place on the wasm heap (HeapAdam)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });

  test('the wasm backend gets the in-place kernel (not the JavaScript fallback)', () => {
    expect(HeapAdam.forCurrentBackend()).toBeDefined();
  });

  test('bitwise Adam for sizes that leave a tail of 1-3 entries, with and without weight decay, from random values', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (const weightDecay of [0, 1e-2]) {
      const shapes = [[1], [2], [3], [5], [4, 3], [7, 11], [1001]];
      const init = shapes.map((shape) => Array.from({ length: shape.reduce((a, b) => a * b) }, rand));
      const make = () => tf.tidy(() => shapes.map((shape, i) => tf.variable(tf.tensor(init[i]!, shape))));
      const [pa, pb] = [make(), make()];
      const a = new Adam(pa, { lr: 3e-3, weightDecay });
      const b = new FusedAdam(pb, { lr: 3e-3, weightDecay });
      for (let step = 0; step < 5; step++) {
        const g = shapes.map((shape) => Array.from({ length: shape.reduce((x, y) => x * y) }, () => rand() * 10 ** Math.floor(rand() * 4)));
        for (const [params, opt] of [[pa, a], [pb, b]] as const) {
          const grads: tf.NamedTensorMap = {};
          params.forEach((p, i) => (grads[p.name] = tf.tensor(g[i]!, shapes[i])));
          opt.update(grads);
          tf.dispose(Object.values(grads));
        }
        pa.forEach((p, i) => expect(Array.from(pb[i]!.dataSync())).toEqual(Array.from(p.dataSync())));
      }
      a.dispose();
      b.dispose();
      tf.dispose([...pa, ...pb]);
    }
  });

  test('a tensor sharing the parameter\'s storage (tf.clone, as the best-epoch snapshot) keeps its values', () => {
    const before = tf.memory().numTensors;
    const p = tf.tidy(() => tf.variable(tf.tensor([1, 2, 3, 4, 5, 6])));
    const snapshot = tf.clone(p);
    const adam = new FusedAdam([p], { lr: 0.1 });
    const grads = { [p.name]: tf.ones([6]) };
    adam.update(grads);
    adam.update(grads);
    expect(Array.from(snapshot.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(p.dataSync()).every((x, i) => Math.abs(x - (i + 1 - 0.2)) < 1e-5)).toBe(true);
    tf.dispose([snapshot, p, ...Object.values(grads)]);
    adam.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a product with the updated parameter uses its new values (the backend caches packed weights by tensor id)', () => {
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, 0], [0, 1], [1, 1]])));
    const product = () => Array.from(tf.tidy(() => tf.matMul(x, w)).dataSync());
    const fresh = () => Array.from(tf.tidy(() => tf.matMul(x, tf.tensor2d(Array.from(w.dataSync()), [3, 2]))).dataSync());
    const adam = new FusedAdam([w], { lr: 0.5 });
    expect(product()).toEqual(fresh());
    const grads = { [w.name]: tf.tensor2d([[1, -1], [2, 0], [-3, 1]]) };
    for (let step = 0; step < 3; step++) {
      adam.update(grads);
      expect(product()).toEqual(fresh());
    }
    tf.dispose([x, w, ...Object.values(grads)]);
    adam.dispose();
  });

  test('an update on another backend than the one it was made on is refused', async () => {
    const p = tf.variable(tf.zeros([4]));
    const adam = new FusedAdam([p]);
    await tf.setBackend('cpu');
    const g = tf.ones([4]);
    expect(() => adam.update({ [p.name]: g })).toThrow(/made on the wasm backend, updated on cpu/);
    g.dispose();
    await tf.setBackend('wasm');
    adam.dispose();
    p.dispose();
  });
});
