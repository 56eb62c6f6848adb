import { describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { benchmarkTrainingDefaults } from '../../../datasets/benchmark.ts';
import { A2D_TERM, termsOf } from '../loss-terms.ts';
import { MultimodalModel } from '../model.ts';
import { Random } from '../../random.ts';
import { recipeById } from '../recipes/index.ts';
import { expectIdentical, tinyBenchmark, useWasmBackend } from '../test-helpers.ts';
import { trainModel } from '../train.ts';
import { ArrayProducts } from '../heap-matmul.ts';
import { BackendKernels, Ops } from './ops.ts';
import { DirectStep } from './step.ts';
import { Tape } from './tape.ts';

useWasmBackend();

const RECIPES = ['baseline', 'a2d', 'a2d_npmix', 'logitnorm', 'logitnorm_a2d', 'logitnorm_a2d_npmix', 'a2d_l1', 'a2d_l2', 'a2d_mixup', 'a2d_vos'] as const;

describe('direct training step', () => {
  test('gives bitwise what TF.js gives: every recipe it covers, every encoder, three modalities', async () => {
    for (const encoder of ['mlp', 'adapter', 'identity'] as const) {
      // three modalities: a unimodal head's logits then reach three and more consumers, where the
      // order of accumulating their gradients shows; five classes: parameters whose size is not a
      // multiple of 4 take Adam's JavaScript tail
      const { benchmark, data, modalities } = tinyBenchmark({ encoder, epochs: 3, dims: [6, 4, 5], classes: 5 });
      // with identity encoders nothing the unimodal heads train is shared, so the recipes with
      // unimodal terms are refused by construction (recipe.ts)
      for (const recipe of encoder !== 'identity' ? RECIPES : (['baseline', 'logitnorm'] as const)) {
        const synthesis = /npmix|mixup|vos/.test(recipe);
        const overrides = { lr: 1e-2, ...(synthesis ? { startEpoch: 1, queueSize: 4 } : {}), ...(encoder === 'mlp' ? { hidden: 8 } : {}) };
        const cfg = recipeById(recipe)!.configure(benchmarkTrainingDefaults(benchmark, modalities), overrides);
        const model = new MultimodalModel({ modalities: modalities.map((name, k) => ({ name, dim: data.train.features[name]!.cols })), numClasses: 5, encoder: cfg.encoder }, new Random(1));
        // the same decision trainModel makes: this cell really runs the direct step
        expect(DirectStep.create(model, cfg, termsOf(cfg))).toBeDefined();
        model.dispose();
        const viaTf = await trainModel(data, { benchmark, modalities, seed: 2, recipe, overrides, directStep: false });
        const direct = await trainModel(data, { benchmark, modalities, seed: 2, recipe, overrides });
        if (synthesis) expect(direct.curve.some((c) => c.synthesisSteps > 0)).toBe(true);
        expectIdentical(viaTf, direct);
      }
    }
  }, 180_000);

  test('refuses, with the reason, what it does not reproduce', async () => {
    const { benchmark, modalities } = tinyBenchmark({ encoder: 'adapter' });
    const make = (encoder: 'adapter' | 'mlp') =>
      new MultimodalModel({ modalities: modalities.map((name, k) => ({ name, dim: [6, 4][k]! })), numClasses: 3, encoder: { kind: encoder, hidden: 8, rank: 2 } }, new Random(1));
    const cfgOf = (recipe: string, o = {}) => recipeById(recipe)!.configure(benchmarkTrainingDefaults(benchmark, modalities), o);
    const adapter = make('adapter');
    expect(DirectStep.unsupported(adapter, cfgOf('a2d'), [A2D_TERM])).toBeUndefined();
    const mlp = make('mlp');
    const wasserstein = cfgOf('a2d_wasserstein');
    expect(DirectStep.unsupported(mlp, wasserstein, termsOf(wasserstein))).toBe('distance upstream-wasserstein');
    const own = { names: ['mine'], usesUnimodalLogits: false, compute: () => ({ values: [] }) };
    expect(DirectStep.unsupported(mlp, cfgOf('baseline'), [own])).toBe('loss term mine');
    expect(DirectStep.unsupported(mlp, cfgOf('a2d'), [A2D_TERM])).toBeUndefined();
    await tf.setBackend('cpu');
    try {
      expect(DirectStep.unsupported(mlp, cfgOf('a2d'), [A2D_TERM])).toContain('backend cpu');
    } finally {
      await tf.setBackend('wasm');
    }
    adapter.dispose();
    mlp.dispose();
  });

  test('a tensor with three consumers sums their gradients in TF.js order: (g3 + g2) + g1', () => {
    // g1 = 1, g2 = g3 = 2^-24: (g3 + g2) + g1 = 1 + 2^-23, while (g1 + g2) + g3 rounds to 1
    const c = [1, 2 ** -24, 2 ** -24];
    const x = tf.variable(tf.scalar(3));
    const { grads } = tf.variableGrads(() => tf.add(tf.add(tf.mul(x, c[0]!), tf.mul(x, c[1]!)), tf.mul(x, c[2]!)) as tf.Scalar, [x]);
    const viaTf = grads[x.name]!.dataSync()[0]!;
    tf.dispose([x, ...Object.values(grads)]);
    expect(viaTf).toBe(1 + 2 ** -23);

    const tape = new Tape();
    const ops = new Ops(tape, BackendKernels.current()!, ArrayProducts.create()!);
    const p = tape.parameter([], Float32Array.of(3));
    const y = ops.add(ops.add(ops.mul(p, ops.scalar(c[0]!)), ops.mul(p, ops.scalar(c[1]!))), ops.mul(p, ops.scalar(c[2]!)));
    expect(tape.gradients(y, [p]).get(p)![0]).toBe(viaTf);
  });

  test('sums, means, softmax and log-softmax equal the TF.js operations on awkward values', () => {
    const rng = new Random(11);
    const R = 16;
    const C = 11;
    const values = Float32Array.from({ length: R * C }, () => (rng.uniform() - 0.5) * Math.exp(rng.uniform() * 12));
    const t = tf.tensor2d(values, [R, C]);
    const tape = new Tape();
    const ops = new Ops(tape, BackendKernels.current()!, ArrayProducts.create()!);
    const x = tape.constant([R, C], values);
    const same = (a: Float32Array, b: tf.Tensor) => expect(Array.from(a)).toEqual(Array.from(b.dataSync()));
    same(ops.sum(x, 1).values, tf.sum(t, 1));
    same(ops.sum(x).values, tf.sum(t));
    same(ops.mean(x).values, tf.mean(t));
    same(ops.softmax(x).values, tf.softmax(t));
    same(ops.logSoftmax(x).values, tf.logSoftmax(t));
    const positive = tape.constant([R, C], values.map(Math.abs));
    same(ops.log(positive).values, tf.log(tf.abs(t)));
    t.dispose();
  });
});
