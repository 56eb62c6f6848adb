import { describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { applyHead } from '../logits.ts';
import { matrix } from '../linalg/matrix.ts';
import { Random } from '../random.ts';
import { Adam } from './adam.ts';
import fixture from './fixtures/model.json';
import { MultimodalModel } from './model.ts';
import { defineRecipe } from './recipe.ts';
import { useWasmBackend } from './test-helpers.ts';
import { fillDropoutMask, splitOutputs, trainStep } from './train.ts';

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
/** torch's [out, in] weight as the model's [in, out] variable. */
const transposed = (w: number[][]) => w[0]!.map((_, j) => w.map((row) => row[j]!));

useWasmBackend();

describe('MultimodalModel', () => {
  test('initialises like torch.nn.Linear from the seeded Random: U(-1/sqrt(fan_in), 1/sqrt(fan_in))', () => {
    const spec = { modalities: [{ name: 'video', dim: 30 }, { name: 'flow', dim: 20 }, { name: 'audio', dim: 10 }], numClasses: 4, encoder: { kind: 'mlp' as const, hidden: 8 } };
    const model = new MultimodalModel(spec, new Random(5));
    const vars = model.variables;
    // encoders (w, b) x 3, heads (w, b) x 3, fused W per modality x 3, fused b
    expect(vars.length).toBe(3 * 2 + 3 * 2 + 3 + 1);
    const fanIns = [30, 30, 20, 20, 10, 10, 8, 8, 8, 8, 8, 8, 24, 24, 24, 24];
    vars.forEach((v, i) => {
      const bound = 1 / Math.sqrt(fanIns[i]!);
      const values = v.dataSync();
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
      // spread over the whole interval, not a constant
      expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(bound * (values.length > 20 ? 1.5 : 0.2));
    });
    expect(model.embedDims).toEqual([8, 8, 8]);
    expect(model.slices).toEqual([{ name: 'video', start: 0, end: 8 }, { name: 'flow', start: 8, end: 16 }, { name: 'audio', start: 16, end: 24 }]);
    const again = new MultimodalModel(spec, new Random(5));
    const other = new MultimodalModel(spec, new Random(6));
    expect(Array.from(again.variables[0]!.dataSync())).toEqual(Array.from(vars[0]!.dataSync()));
    expect(Array.from(other.variables[0]!.dataSync())).not.toEqual(Array.from(vars[0]!.dataSync()));
    for (const m of [model, again, other]) m.dispose();
  });

  test('eval outputs: fused logits = Z W^T + b with the assembled head; modality slices and logits per name', () => {
    const before = tf.memory().numTensors;
    const rng = new Random(9);
    const model = new MultimodalModel({ modalities: [{ name: 'rgb', dim: 5 }, { name: 'depth', dim: 3 }], numClasses: 3, encoder: { kind: 'mlp', hidden: 4 } }, rng);
    const n = 7;
    const features = { rgb: matrix(n, 5, Float64Array.from({ length: n * 5 }, () => rng.normal())), depth: matrix(n, 3, Float64Array.from({ length: n * 3 }, () => rng.normal())) };
    const out = splitOutputs(model, { features, labels: new Int32Array(n) }, ['rgb', 'depth']);
    expect(out.features.cols).toBe(8);
    expect(Object.keys(out.modalityLogits!)).toEqual(['rgb', 'depth']);
    const head = model.fusedHead();
    expect([head.weight.rows, head.weight.cols, head.bias.length]).toEqual([3, 8, 3]);
    const recomputed = applyHead(out.features, head);
    for (let i = 0; i < recomputed.data.length; i++) expect(Math.abs(recomputed.data[i]! - out.logits.data[i]!)).toBeLessThan(1e-5);
    // ReLU embeddings, no dropout in eval mode: non-negative and deterministic
    expect(Math.min(...out.features.data)).toBeGreaterThanOrEqual(0);
    const again = splitOutputs(model, { features }, ['rgb', 'depth']);
    expect(Array.from(again.logits.data)).toEqual(Array.from(out.logits.data));
    expect(again.labels).toBeUndefined();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('snapshot / restore round-trips every parameter', () => {
    const model = new MultimodalModel({ modalities: [{ name: 'a', dim: 4 }, { name: 'b', dim: 2 }], numClasses: 2, encoder: { kind: 'identity', hidden: 0 } }, new Random(1));
    const snap = model.snapshot();
    const original = model.variables.map((v) => Array.from(v.dataSync()));
    for (const v of model.variables) tf.tidy(() => v.assign(tf.zerosLike(v)));
    model.restore(snap);
    expect(model.variables.map((v) => Array.from(v.dataSync()))).toEqual(original);
    tf.dispose(snap);
    model.dispose();
  });

  test('dropout masks: entries are 0 or 1/(1-p), kept with probability 1-p, reproducible from the seed', () => {
    for (const p of [0.5, 0.2]) {
      const mask = new Float32Array(20000);
      fillDropoutMask(new Random(3), mask, p);
      const kept = mask.filter((v) => v !== 0);
      expect(new Set(kept)).toEqual(new Set([Math.fround(1 / (1 - p))]));
      expect(Math.abs(kept.length / mask.length - (1 - p))).toBeLessThan(0.015);
      const again = new Float32Array(20000);
      fillDropoutMask(new Random(3), again, p);
      expect(again).toEqual(mask);
    }
    const none = new Float32Array(10);
    fillDropoutMask(new Random(1), none, 0);
    expect(Array.from(none)).toEqual(new Array(10).fill(1));
  });
});

describe('one training step vs PyTorch (fixtures/make_model.py)', () => {
  test('MLP encoders, dropout masks, A2D loss, one Adam step: loss terms, logits and updated parameters', () => {
    const before = tf.memory().numTensors;
    const f = fixture;
    const spec = { modalities: f.dims.map((dim, k) => ({ name: `m${k}`, dim })), numClasses: f.classes, encoder: { kind: 'mlp' as const, hidden: f.hidden } };
    const model = new MultimodalModel(spec, new Random(0));
    const M = f.dims.length;
    const H = f.hidden;
    const load = (fused: number[][], bias: number[], encoders: number[][][][], heads: number[][][][]) => {
      const values: { data: number[]; shape: number[] }[] = [];
      const pushLinear = ([w, b]: number[][][]) =>
        values.push({ data: flat(transposed(w!)), shape: [w![0]!.length, w!.length] }, { data: flat(b), shape: [flat(b).length] });
      encoders.forEach(pushLinear);
      heads.forEach(pushLinear);
      const wt = transposed(fused); // [M*H, C]
      for (let k = 0; k < M; k++) values.push({ data: flat(wt.slice(k * H, (k + 1) * H)), shape: [H, f.classes] });
      values.push({ data: bias, shape: [f.classes] });
      return values;
    };
    const initial = load(f.fused[0] as number[][], f.fused[1] as number[], f.encoders as unknown as number[][][][], f.heads as unknown as number[][][][]);
    model.variables.forEach((v, i) => {
      expect(v.shape).toEqual(initial[i]!.shape);
      tf.tidy(() => v.assign(tf.tensor(initial[i]!.data, initial[i]!.shape)));
    });

    const recipe = defineRecipe({ id: 'a2d-test', title: '', summary: '', paper: { title: '', url: '' }, family: 'a2d', classification: { perModality: true, logitNorm: false }, a2d: 'hellinger' });
    const cfg = recipe.configure(
      { epochs: { baseline: 1, a2d: 1, a2dNpmix: 1 }, a2dWeight: f.a2dWeight, npmix: { a2d: 0, ood: 0, ent: 0, startEpoch: 0 }, encoder: 'mlp' },
      { lr: f.lr, weightDecay: f.weightDecay, hidden: H },
    );
    const adam = new Adam(model.variables, { lr: cfg.lr, weightDecay: cfg.weightDecay });
    const inputs = f.inputs.map((x, k) => tf.tensor2d(flat(x), [f.batch, f.dims[k]!]));
    const masks = f.masks.map((m) => tf.tensor2d(flat(m), [f.batch, H]));
    const labels = Int32Array.from(f.labels);
    const labelsT = tf.tensor1d(labels, 'int32');

    // the forward pass in training mode matches torch's logits
    const fwd = tf.tidy(() => {
      const out = model.forward(inputs, masks);
      return { fused: Array.from(out.fused.dataSync()), uni: out.unimodal.map((u) => Array.from(u.dataSync())) };
    });
    flat(f.fusedLogits).forEach((v, i) => expect(Math.abs(fwd.fused[i]! - v)).toBeLessThan(1e-5));
    f.unimodalLogits.forEach((u, k) => flat(u).forEach((v, i) => expect(Math.abs(fwd.uni[k]![i]! - v)).toBeLessThan(1e-5)));

    const step = trainStep(model, adam, cfg, { inputs, masks, labels, labelsT }, { synthRng: new Random(0), synthesisOn: false });
    expect(Math.abs(step.stats[0]! - f.loss)).toBeLessThan(1e-5);
    expect(Math.abs(step.stats[1]! - f.cls)).toBeLessThan(1e-5);
    expect(Math.abs(step.stats[2]! - f.a2d)).toBeLessThan(1e-5);

    const after = load(f.after.fused[0] as number[][], f.after.fused[1] as number[], f.after.encoders as unknown as number[][][][], f.after.heads as unknown as number[][][][]);
    let worst = 0;
    model.variables.forEach((v, i) => {
      const got = v.dataSync();
      after[i]!.data.forEach((w, j) => (worst = Math.max(worst, Math.abs(got[j]! - w))));
    });
    // Adam's first step moves every parameter by ~lr = 1e-2; float32 rounding of the gradients
    // can only perturb that step by a relative few ulps of m/sqrt(v).
    expect(worst).toBeLessThan(2e-6);
    tf.dispose([...inputs, ...masks, labelsT]);
    adam.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
