import { describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import type { Benchmark, BenchmarkData, SplitData } from '../../datasets/benchmark.ts';
import { multioodDefinitionById } from '../../datasets/multiood/definitions.ts';
import { matrix } from '../linalg/matrix.ts';
import { Random } from '../random.ts';
import { knn } from '../scorers/knn.ts';
import { mahalanobis } from '../scorers/mahalanobis.ts';
import { emptyComparison } from './recipe.ts';
import { recipeById } from './recipes/index.ts';
import { MultimodalModel } from './model.ts';
import { tinyBenchmark, useWasmBackend } from './test-helpers.ts';
import { trainModel, type TrainResult } from './train.ts';

useWasmBackend();

/** Pooled post-ReLU embeddings are non-negative: the tiny benchmark's Gaussians made so. */
function nonNegative(data: BenchmarkData): BenchmarkData {
  const fix = (s: SplitData): SplitData => ({
    ...s,
    features: Object.fromEntries(Object.entries(s.features).map(([k, m]) => [k, matrix(m.rows, m.cols, Float64Array.from(m.data, (x) => Math.log1p(Math.exp(x))))])),
  });
  return { train: fix(data.train), val: fix(data.val), test: fix(data.test), ood: new Map([...data.ood].map(([n, s]) => [n, fix(s)])) };
}

/** A MultiOOD-shaped benchmark (video + flow, small widths) with the MultiOOD training defaults. */
function multioodShaped(): { benchmark: Benchmark; data: BenchmarkData; modalities: string[] } {
  const tiny = tinyBenchmark({ classes: 4, dims: [12, 10], perClass: { train: 48, val: 12, test: 12 }, separation: 1.2, seed: 3 });
  const hmdb = multioodDefinitionById('hmdb51-near')!;
  const training = { ...hmdb.training, epochs: { baseline: 4, a2d: 4, a2dNpmix: 4 }, npmix: { ...hmdb.training.npmix, startEpoch: 1 }, rank: 4, lr: 3e-3 };
  return { ...tiny, data: nonNegative(tiny.data), benchmark: { ...tiny.benchmark, training } };
}

function fitSplit(r: TrainResult) {
  return { fit: r.outputs.id.train!, val: r.outputs.id.val!, head: r.outputs.head, modalities: r.outputs.modalities, numClasses: r.outputs.numClasses, cache: new Map() };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('the adapter encoder', () => {
  test('at step 0 the model is the linear probe on the raw features; output non-negative and width-keeping', () => {
    const rng = new Random(4);
    const dims = [7, 5];
    const model = new MultimodalModel({ modalities: dims.map((dim, k) => ({ name: `m${k}`, dim })), numClasses: 3, encoder: { kind: 'adapter', hidden: 0, rank: 3 } }, rng);
    expect(model.embedDims).toEqual(dims);
    const B = 6;
    const xs = dims.map((d) => Float32Array.from({ length: B * d }, () => Math.abs(rng.normal())));
    const out = model.forward(xs.map((x, k) => tf.tensor2d(x, [B, dims[k]!])));
    // Z^k = x exactly (B = 0, ReLU of a non-negative input)
    out.z.forEach((z, k) => expect(Array.from(z.dataSync())).toEqual(Array.from(xs[k]!)));
    // fused logits = [x_1 x_2]·Wᵀ + b with the model's own head, computed here in float64
    const head = model.fusedHead();
    const fused = out.fused.dataSync();
    const D = dims[0]! + dims[1]!;
    for (let r = 0; r < B; r++) {
      const row = [...xs[0]!.subarray(r * dims[0]!, (r + 1) * dims[0]!), ...xs[1]!.subarray(r * dims[1]!, (r + 1) * dims[1]!)];
      for (let c = 0; c < 3; c++) {
        let s = head.bias[c]!;
        for (let j = 0; j < D; j++) s += head.weight.data[c * D + j]! * row[j]!;
        expect(fused[r * 3 + c]!).toBeCloseTo(s, 5);
      }
    }
    // a signed input comes out clipped at 0: the block's output is non-negative
    const signed = model.forward(dims.map((d) => tf.tensor2d(Float32Array.from({ length: 2 * d }, (_, i) => (i % 2 ? -1 : 1)), [2, d])));
    for (const z of signed.z) for (const v of z.dataSync()) expect(v).toBeGreaterThanOrEqual(0);
    model.dispose();
  });

  test('baseline, A2D and A2D + NP-Mix give different fused heads, features, KNN and Mahalanobis scores', async () => {
    const { benchmark, data, modalities } = multioodShaped();
    const results: Record<string, TrainResult> = {};
    for (const id of ['baseline', 'a2d', 'a2d_npmix']) results[id] = await trainModel(data, { benchmark, modalities, recipe: id, seed: 0 });
    const ids = Object.keys(results);
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = results[ids[i]!]!;
        const b = results[ids[j]!]!;
        const what = `${ids[i]} vs ${ids[j]}`;
        expect(maxAbsDiff(a.outputs.head.weight.data, b.outputs.head.weight.data), what).toBeGreaterThan(1e-4);
        expect(maxAbsDiff(a.outputs.id.test.features.data, b.outputs.id.test.features.data), what).toBeGreaterThan(1e-4);
        for (const scorer of [knn, mahalanobis]) {
          const settings = scorer.settings.parse(scorer.id === 'knn' ? { k: 3 } : {});
          const ca = scorer.fit(fitSplit(a), settings as never).score(a.outputs.ood.get('near')!).conf;
          const cb = scorer.fit(fitSplit(b), settings as never).score(b.outputs.ood.get('near')!).conf;
          expect(maxAbsDiff(ca, cb), `${scorer.id} ${what}`).toBeGreaterThan(1e-6);
        }
      }
    }
  }, 60_000);

  test('identity encoders: A2D and NP-Mix are refused in one line naming the fix', () => {
    const defaults = multioodDefinitionById('hmdb51-near')!.training;
    for (const id of ['a2d', 'a2d_npmix', 'logitnorm_a2d', 'logitnorm_a2d_npmix', 'a2d_vos']) {
      const run = () => recipeById(id)!.configure(defaults, { encoder: 'identity' });
      expect(run).toThrow(/encoder=identity.*by construction.*--set encoder=adapter/);
    }
    // recipes that change the fused loss itself still run on identity encoders
    expect(recipeById('logitnorm')!.configure(defaults, { encoder: 'identity' }).encoder.kind).toBe('identity');
    expect(recipeById('baseline')!.configure(defaults, { encoder: 'identity' }).encoder.kind).toBe('identity');
    // outlier synthesis that never starts, or weighs nothing, would equal A2D alone
    expect(() => recipeById('a2d_npmix')!.configure(defaults, { epochs: 5 })).toThrow(/starts at epoch 10.*runs 5 epochs/);
    expect(() => recipeById('a2d_npmix')!.configure(defaults, { ood: 0, ent: 0 })).toThrow(/weigh 0/);
    const ok = recipeById('a2d_npmix')!.configure(defaults);
    expect(emptyComparison('a2d_npmix', ok)).toBeUndefined();
  });

  test('no dropout on audio: a modality listed in noDropout is never masked', async () => {
    // Dropout 0.995 on video wipes nearly every video entry; what the model learns then comes
    // from audio, which only trains when it is not dropped as well.
    const tiny = tinyBenchmark({ classes: 3, dims: [8, 8], perClass: { train: 60, val: 15, test: 15 }, separation: 3, seed: 9 });
    const modalities = ['video', 'audio'];
    const rename = (s: SplitData): SplitData => ({ ...s, features: { video: s.features.video!, audio: s.features.flow! } });
    const data: BenchmarkData = { train: rename(tiny.data.train), val: rename(tiny.data.val), test: rename(tiny.data.test), ood: new Map([...tiny.data.ood].map(([n, s]) => [n, rename(s)])) };
    const bench = (noDropout: string[]): Benchmark => ({
      ...tiny.benchmark,
      modalities: [{ name: 'video', dim: 8 }, { name: 'audio', dim: 8 }],
      training: { ...tiny.benchmark.training, epochs: { baseline: 6, a2d: 6, a2dNpmix: 6 }, encoder: 'mlp', hidden: 16, noDropout, lr: 1e-2 },
    });
    const trainAcc = async (noDropout: string[]) => {
      const r = await trainModel(data, { benchmark: bench(noDropout), modalities, recipe: 'baseline', seed: 1, overrides: { dropout: 0.995 } });
      expect(r.config.noDropout).toEqual(noDropout);
      return r.curve.at(-1)!.trainAcc;
    };
    const kept = await trainAcc(['audio']);
    const dropped = await trainAcc([]);
    expect(kept).toBeGreaterThan(0.8);
    expect(kept - dropped).toBeGreaterThan(0.2);
  }, 60_000);
});
