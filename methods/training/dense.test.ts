import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Random } from '../random.ts';
import { dense, linear } from './dense.ts';

const rand = (rng: Random, shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

let previous = '';
beforeAll(() => {
  previous = tf.getBackend();
  tf.env().set('PROD', true); // no "install tfjs-node" banner from the cpu backend
});
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`dense custom gradient (${backend})`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      await tf.ready();
    });

    test('dense: value and gradients match tf.matMul + add with tf\'s own gradients', () => {
      const before = tf.memory().numTensors;
      const rng = new Random(1);
      const [x, w, b, up] = [rand(rng, [7, 13]), rand(rng, [13, 5]), rand(rng, [5]), rand(rng, [7, 5])] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
      // A non-trivial upstream gradient: loss = sum(tanh(y) * up).
      const loss = (builtin: boolean) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.mul(tf.tanh(dense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, { builtinGradient: builtin })), up));
      const custom = tf.valueAndGrads(loss(false))([x, w, b]);
      const builtin = tf.valueAndGrads(loss(true))([x, w, b]);
      expect(maxAbsDiff(custom.value, builtin.value)).toBeLessThan(1e-5);
      custom.grads.forEach((g, i) => {
        expect(g.shape).toEqual(builtin.grads[i]!.shape);
        expect(maxAbsDiff(g, builtin.grads[i]!)).toBeLessThan(1e-5);
      });
      tf.dispose([x, w, b, up, custom.value, builtin.value, ...custom.grads, ...builtin.grads]);
      expect(tf.memory().numTensors).toBe(before);
    });

    test('linear (no bias) and inputGrad: false', () => {
      const before = tf.memory().numTensors;
      const rng = new Random(2);
      const [x, w, b] = [rand(rng, [4, 9]), rand(rng, [9, 3]), rand(rng, [3])] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      const viaLinear = tf.valueAndGrads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(linear(xx as tf.Tensor2D, ww as tf.Tensor2D))))([x, w]);
      const viaBuiltin = tf.valueAndGrads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D))))([x, w]);
      expect(maxAbsDiff(viaLinear.value, viaBuiltin.value)).toBeLessThan(1e-4);
      viaLinear.grads.forEach((g, i) => expect(maxAbsDiff(g, viaBuiltin.grads[i]!)).toBeLessThan(1e-4));
      // Without an input gradient the weight and bias gradients are unchanged and dx is zero.
      const noInput = tf.valueAndGrads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.square(dense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, { inputGrad: false }))))([x, w, b]);
      const full = tf.valueAndGrads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.square(dense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D))))([x, w, b]);
      expect(Math.max(...noInput.grads[0]!.dataSync().map(Math.abs))).toBe(0);
      expect(maxAbsDiff(noInput.grads[1]!, full.grads[1]!)).toBe(0);
      expect(maxAbsDiff(noInput.grads[2]!, full.grads[2]!)).toBe(0);
      tf.dispose([x, w, b, viaLinear.value, viaBuiltin.value, noInput.value, full.value, ...viaLinear.grads, ...viaBuiltin.grads, ...noInput.grads, ...full.grads]);
      expect(tf.memory().numTensors).toBe(before);
    });

    test('gradients through variables (tf.variableGrads), as the training loop takes them', () => {
      const rng = new Random(3);
      const x = rand(rng, [6, 4]) as tf.Tensor2D;
      const t0 = rand(rng, [4, 2]);
      const w = tf.variable(t0) as tf.Variable<tf.Rank.R2>;
      const t1 = rand(rng, [2]);
      const b = tf.variable(t1) as tf.Variable<tf.Rank.R1>;
      tf.dispose([t0, t1]);
      const a = tf.variableGrads(() => tf.sum(tf.square(dense(x, w, b))) as tf.Scalar, [w, b]);
      const c = tf.variableGrads(() => tf.sum(tf.square(dense(x, w, b, { builtinGradient: true }))) as tf.Scalar, [w, b]);
      expect(maxAbsDiff(a.grads[w.name]!, c.grads[w.name]!)).toBeLessThan(1e-4);
      expect(maxAbsDiff(a.grads[b.name]!, c.grads[b.name]!)).toBeLessThan(1e-4);
      tf.dispose([x, w, b, a.value, c.value, ...Object.values(a.grads), ...Object.values(c.grads)]);
    });
  });
}
