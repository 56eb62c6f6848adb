import { afterAll, beforeAll, expect } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { Benchmark, BenchmarkData, SplitData, TrainingDefaults } from '../../datasets/benchmark.ts';
import { matrix } from '../linalg/matrix.ts';
import { Random } from '../random.ts';
import type { EncoderKind } from './model.ts';
import type { TrainResult } from './train.ts';

/**
 * A tiny generated benchmark for the training tests: `classes` ID classes, modalities of the
 * given widths, each class a Gaussian blob (mean ~ N(0, separation² I), unit noise) per modality;
 * OOD sets borrow a different ID class's mean in each modality (so the modalities disagree).
 */
export interface TinyOptions {
  readonly classes?: number;
  readonly dims?: readonly number[];
  readonly perClass?: { readonly train: number; readonly val: number; readonly test: number };
  readonly oodSets?: readonly string[];
  readonly oodSize?: number;
  readonly separation?: number;
  readonly encoder?: EncoderKind;
  readonly epochs?: number;
  readonly seed?: number;
}

export const TINY_DEFAULTS: TrainingDefaults = {
  epochs: { baseline: 3, a2d: 3, a2dNpmix: 3 },
  a2dWeight: 1,
  npmix: { a2d: 0.5, ood: 0.5, ent: 0.5, startEpoch: 1 },
  encoder: 'adapter',
  rank: 4,
};

export function tinyBenchmark(o: TinyOptions = {}): { benchmark: Benchmark; data: BenchmarkData; modalities: string[] } {
  const C = o.classes ?? 3;
  const dims = o.dims ?? [6, 4];
  const names = dims.map((_, k) => ['video', 'flow', 'audio', 'depth'][k] ?? `m${k}`);
  const per = o.perClass ?? { train: 40, val: 10, test: 10 };
  const sep = o.separation ?? 3;
  const rng = new Random(o.seed ?? 7);
  const means = dims.map((d) => Array.from({ length: C }, () => Float64Array.from({ length: d }, () => rng.normal() * sep)));
  const draw = (n: number, meanOf: (k: number, i: number) => Float64Array): Record<string, ReturnType<typeof matrix>> =>
    Object.fromEntries(
      dims.map((d, k) => {
        const m = matrix(n, d);
        for (let i = 0; i < n; i++) {
          const mu = meanOf(k, i);
          for (let j = 0; j < d; j++) m.data[i * d + j] = mu[j]! + rng.normal();
        }
        return [names[k]!, m];
      }),
    );
  const idSplit = (perClass: number): SplitData => {
    const labels = Int32Array.from({ length: perClass * C }, (_, i) => i % C);
    return { features: draw(labels.length, (k, i) => means[k]![labels[i]!]!), labels };
  };
  const oodSize = o.oodSize ?? 30;
  const data: BenchmarkData = {
    train: idSplit(per.train),
    val: idSplit(per.val),
    test: idSplit(per.test),
    ood: new Map((o.oodSets ?? ['near']).map((name) => [name, { features: draw(oodSize, (k, i) => means[k]![(i + k) % C]!) }])),
  };
  const epochs = o.epochs ?? 3;
  const benchmark: Benchmark = {
    id: 'tiny',
    title: 'tiny test benchmark',
    origin: 'generated',
    setting: (o.oodSets?.length ?? 1) > 1 ? 'far' : 'near',
    classNames: Array.from({ length: C }, (_, i) => `c${i}`),
    modalities: dims.map((dim, k) => ({ name: names[k]!, dim })),
    modalitySets: [names],
    splits: 1,
    fitSplit: 'train',
    training: { ...TINY_DEFAULTS, epochs: { baseline: epochs, a2d: epochs, a2dNpmix: epochs }, encoder: o.encoder ?? 'adapter' },
    availability: () => ({ available: true }),
    load: async () => data,
  };
  return { benchmark, data, modalities: names };
}

/** Runs a test file on the wasm backend (the harness default) and restores the previous one after. */
export function useWasmBackend(): void {
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(async () => {
    if (previous) await tf.setBackend(previous);
  });
}

/** Every number a cell keeps: outputs of every split, the fused head, the curve, the selection. */
export function expectIdentical(a: TrainResult, b: TrainResult): void {
  expect(b.curve).toEqual(a.curve.map((r) => ({ ...r, seconds: expect.any(Number) })) as never);
  expect(b.bestEpoch).toBe(a.bestEpoch);
  expect(b.bestValAcc).toBe(a.bestValAcc);
  expect(b.config).toEqual(a.config);
  expect(b.discrepancy).toEqual(a.discrepancy);
  expect(Array.from(b.outputs.head.weight.data)).toEqual(Array.from(a.outputs.head.weight.data));
  expect(Array.from(b.outputs.head.bias)).toEqual(Array.from(a.outputs.head.bias));
  const splits = (r: TrainResult) => [r.outputs.id.train!, r.outputs.id.val!, r.outputs.id.test, ...r.outputs.ood.values()];
  const [sa, sb] = [splits(a), splits(b)];
  expect(sb.length).toBe(sa.length);
  sa.forEach((x, i) => {
    const y = sb[i]!;
    expect(Array.from(y.logits.data)).toEqual(Array.from(x.logits.data));
    expect(Array.from(y.features.data)).toEqual(Array.from(x.features.data));
    for (const [name, m] of Object.entries(x.modalityLogits!)) expect(Array.from(y.modalityLogits![name]!.data)).toEqual(Array.from(m.data));
  });
}
