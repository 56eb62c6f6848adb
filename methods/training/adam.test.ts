import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Adam, FusedAdam } from './adam.ts';
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
