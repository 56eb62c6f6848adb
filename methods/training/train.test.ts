import { describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { rowArgmax } from '../logits.ts';
import { RECIPES, recipeById } from './recipes/index.ts';
import { tinyBenchmark, useWasmBackend } from './test-helpers.ts';
import { trainModel } from './train.ts';

const accuracy = (pred: Int32Array, labels: Int32Array) => pred.filter((p, i) => p === labels[i]).length / labels.length;

useWasmBackend();

describe('trainModel', () => {
  test('learns well-separated Gaussians (3 classes, 2 modalities, MLP encoders) far above chance', async () => {
    const { benchmark, data, modalities } = tinyBenchmark({ encoder: 'mlp', epochs: 6 });
    const r = await trainModel(data, { benchmark, modalities, recipe: recipeById('baseline')!, seed: 0, overrides: { lr: 3e-3, hidden: 16 } });
    const test = r.outputs.id.test;
    expect(accuracy(rowArgmax(test.logits), test.labels!)).toBeGreaterThan(0.9);
    expect(r.curve.length).toBe(6);
    expect(r.curve.at(-1)!.loss).toBeLessThan(r.curve[0]!.loss);
    // Outputs: every split, per-modality logits by name, head of the right shape, labels on ID splits
    expect(r.outputs.modalities).toEqual([{ name: 'video', start: 0, end: 16 }, { name: 'flow', start: 16, end: 32 }]);
    expect([r.outputs.head.weight.rows, r.outputs.head.weight.cols]).toEqual([3, 32]);
    expect(r.outputs.id.train!.logits.rows).toBe(120);
    expect(r.outputs.id.val!.labels!.length).toBe(30);
    expect([...r.outputs.ood.keys()]).toEqual(['near']);
    expect(r.outputs.ood.get('near')!.labels).toBeUndefined();
    expect(Object.keys(test.modalityLogits!)).toEqual(['video', 'flow']);
    // kept in float32, as the model computed them (half the memory of a float64 copy)
    expect(r.outputs.id.test.features.data).toBeInstanceOf(Float32Array);
    expect(r.outputs.id.test.logits.data).toBeInstanceOf(Float32Array);
    // the outputs come from the best epoch's parameters
    expect(accuracy(rowArgmax(r.outputs.id.val!.logits), r.outputs.id.val!.labels!)).toBeCloseTo(r.curve[r.bestEpoch]!.valAcc, 12);
    const best = Math.max(...r.curve.map((c) => c.valAcc));
    expect(r.bestValAcc).toBe(best);
    expect(r.curve.map((c) => c.valAcc).lastIndexOf(best)).toBe(r.bestEpoch);
  });

  test('model selection: ties go to the later epoch', async () => {
    // lr so small that float32 parameters cannot move: every epoch has the same val accuracy.
    const { benchmark, data, modalities } = tinyBenchmark({ epochs: 3 });
    const r = await trainModel(data, { benchmark, modalities, recipe: 'baseline', seed: 1, overrides: { lr: 1e-20, weightDecay: 0 }, trainOutputs: false });
    expect(r.outputs.id.train).toBeUndefined();
    expect(new Set(r.curve.map((c) => c.valAcc)).size).toBe(1);
    expect(r.bestEpoch).toBe(2);
  });

  test('deterministic: same seed, same numbers; another seed, other numbers (A2D + NP-Mix, MLP encoders)', async () => {
    const { benchmark, data, modalities } = tinyBenchmark({ encoder: 'mlp', epochs: 2 });
    const overrides = { lr: 1e-3, hidden: 8, startEpoch: 0, queueSize: 4 };
    const run = (seed: number) => trainModel(data, { benchmark, modalities, recipe: recipeById('a2d_npmix')!, seed, overrides });
    const [a, b, c] = [await run(3), await run(3), await run(4)];
    expect(a.curve.some((e) => e.synthesisSteps > 0)).toBe(true);
    expect(Array.from(b.outputs.id.test.logits.data)).toEqual(Array.from(a.outputs.id.test.logits.data));
    expect(Array.from(b.outputs.ood.get('near')!.features.data)).toEqual(Array.from(a.outputs.ood.get('near')!.features.data));
    expect(b.curve.map((e) => e.loss)).toEqual(a.curve.map((e) => e.loss));
    expect(b.discrepancy).toEqual(a.discrepancy);
    expect(Array.from(c.outputs.id.test.logits.data)).not.toEqual(Array.from(a.outputs.id.test.logits.data));
  });

  test('releaseInputs: the same outputs, and every split\'s input features dropped once used', async () => {
    const { benchmark, modalities } = tinyBenchmark({ encoder: 'adapter', epochs: 2 });
    const run = (releaseInputs: boolean, trainOutputs: boolean) => {
      const { data } = tinyBenchmark({ encoder: 'adapter', epochs: 2 });
      return trainModel(data, { benchmark, modalities, recipe: recipeById('a2d')!, seed: 1, releaseInputs, trainOutputs }).then((r) => ({ r, data }));
    };
    for (const trainOutputs of [true, false]) {
      const kept = await run(false, trainOutputs);
      const released = await run(true, trainOutputs);
      expect(Object.keys(kept.data.test.features)).toEqual(modalities);
      for (const split of [released.data.train, released.data.val, released.data.test, ...released.data.ood.values()]) expect(split.features).toEqual({});
      expect(released.data.train.labels!.length).toBe(kept.data.train.labels!.length);
      const a = kept.r.outputs;
      const b = released.r.outputs;
      expect(Object.keys(b.id)).toEqual(Object.keys(a.id));
      for (const key of ['train', 'val', 'test'] as const) {
        if (!a.id[key]) continue;
        expect(Array.from(b.id[key]!.features.data)).toEqual(Array.from(a.id[key]!.features.data));
        expect(Array.from(b.id[key]!.logits.data)).toEqual(Array.from(a.id[key]!.logits.data));
      }
      expect(Array.from(b.ood.get('near')!.features.data)).toEqual(Array.from(a.ood.get('near')!.features.data));
      expect(released.r.discrepancy).toEqual(kept.r.discrepancy);
    }
  });

  test('no tensor leaks: the tensor count is flat across epochs and back to its start afterwards', async () => {
    const { benchmark, data, modalities } = tinyBenchmark({ encoder: 'mlp', epochs: 4 });
    const start = tf.memory().numTensors;
    const perEpoch: number[] = [];
    await trainModel(data, {
      benchmark, modalities, recipe: recipeById('a2d_npmix')!, seed: 0,
      overrides: { hidden: 8, startEpoch: 1, queueSize: 4 },
      onEpoch: () => perEpoch.push(tf.memory().numTensors),
    });
    expect(new Set(perEpoch).size).toBe(1);
    expect(tf.memory().numTensors).toBe(start);
  });

  test('three modalities and several OOD sets: discrepancy per OOD set, larger on OOD than on ID after A2D', async () => {
    const { benchmark, data, modalities } = tinyBenchmark({ dims: [6, 4, 3], oodSets: ['hard', 'easy'], epochs: 4 });
    const r = await trainModel(data, { benchmark, modalities, recipe: recipeById('a2d')!, seed: 0, overrides: { lr: 3e-3 } });
    expect(Object.keys(r.discrepancy.lOod)).toEqual(['hard', 'easy']);
    expect(r.outputs.modalities.map((m) => m.name)).toEqual(['video', 'flow', 'audio']);
    for (const v of Object.values(r.discrepancy.lOod)) expect(v).toBeGreaterThan(r.discrepancy.lId);
    expect(r.curve[0]!.terms.a2d).toBeLessThan(0);
  });

  test('every recipe trains for two epochs (outlier synthesis from epoch 0)', async () => {
    const { benchmark, data, modalities } = tinyBenchmark({ epochs: 2, perClass: { train: 24, val: 6, test: 6 } });
    for (const recipe of RECIPES) {
      const synth = recipe.synthesis !== undefined;
      const overrides = synth ? { startEpoch: 0, queueSize: 3 } : {};
      const r = await trainModel(data, { benchmark, modalities, recipe, seed: 0, overrides });
      expect(r.curve.length).toBe(2);
      for (const e of r.curve) {
        expect(Number.isFinite(e.loss)).toBe(true);
        for (const v of Object.values(e.terms)) expect(Number.isFinite(v)).toBe(true);
      }
      expect(Object.keys(r.curve[0]!.terms).sort()).toEqual((synth ? ['a2d', 'cls', 'ent', 'ood'] : recipe.a2d ? ['a2d', 'cls'] : ['cls']).sort());
      if (synth) expect(r.curve.reduce((s, e) => s + e.synthesisSteps, 0)).toBeGreaterThan(0);
      expect(r.outputs.id.test.logits.data.every(Number.isFinite)).toBe(true);
    }
  }, 60_000);

  test('input errors: unknown modality, A2D with one modality, bad overrides', async () => {
    const { benchmark, data } = tinyBenchmark({ epochs: 1 });
    const recipe = recipeById('a2d')!;
    await expect(trainModel(data, { benchmark, modalities: ['video', 'sound'], recipe, seed: 0 })).rejects.toThrow('no modality "sound"');
    await expect(trainModel(data, { benchmark, modalities: ['video', 'flow'], recipe: 'a2d_nope', seed: 0 })).rejects.toThrow('unknown recipe "a2d_nope"');
    await expect(trainModel(data, { benchmark, modalities: ['video'], recipe, seed: 0 })).rejects.toThrow('at least two modalities');
    await expect(trainModel(data, { benchmark, modalities: ['video', 'flow'], recipe: recipeById('baseline')!, seed: 0, overrides: { ood: 1 } })).rejects.toThrow('no outlier synthesis');
  });
});
