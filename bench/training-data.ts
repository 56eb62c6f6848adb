import type { Benchmark, BenchmarkData } from '../datasets/benchmark.ts';
import { matrix } from '../methods/linalg/matrix.ts';
import { Random } from '../methods/random.ts';

/** The training benchmarks' model shape: video + flow at MultiOOD widths, C = 25, batch 16. */
export const DIMS = [2304, 2048];
export const CLASSES = 25;
export const BATCH = 16;

/** Gaussian class clusters at MultiOOD width, enough rows for `steps` batches of `batch` rows (bench/training.ts, bench/gpu-check.ts). */
export function benchData(steps: number, batch = BATCH): { benchmark: Benchmark; data: BenchmarkData } {
  const rng = new Random(11);
  const rows = steps * batch;
  const means = DIMS.map((d) => Array.from({ length: CLASSES }, () => Float32Array.from({ length: d }, () => rng.normal())));
  const split = (n: number) => {
    const labels = Int32Array.from({ length: n }, (_, i) => i % CLASSES);
    const features = Object.fromEntries(DIMS.map((d, k) => {
      const m = matrix(n, d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m.data[i * d + j] = means[k]![labels[i]!]![j]! + rng.normal();
      return [['video', 'flow'][k]!, m];
    }));
    return { features, labels };
  };
  const data: BenchmarkData = { train: split(rows), val: split(BATCH), test: split(BATCH), ood: new Map([['near', { features: split(BATCH).features }]]) };
  const benchmark: Benchmark = {
    id: 'bench', title: 'bench', origin: 'generated', setting: 'near',
    classNames: Array.from({ length: CLASSES }, (_, i) => `c${i}`),
    modalities: [{ name: 'video', dim: DIMS[0]! }, { name: 'flow', dim: DIMS[1]! }],
    modalitySets: [['video', 'flow']], splits: 1, fitSplit: 'train',
    training: { epochs: { baseline: 1, a2d: 1, a2dNpmix: 1 }, a2dWeight: 1, npmix: { a2d: 0.5, ood: 0.5, ent: 0.5, startEpoch: 0 }, encoder: 'identity' },
    availability: () => ({ available: true }),
    load: async () => data,
  };
  return { benchmark, data };
}

/** The fixed cells of bench/training.ts: HMDB51-near's shape (issue 12). */
export const CELLS_SHAPE = { train: 2074, val: 445, test: 459, ood: 3744, epochs: 2, startEpoch: 1 } as const;
export const CELL_RECIPES = ['baseline', 'a2d', 'a2d_npmix'] as const;
export const CELL_SEEDS = [0, 1, 2] as const;

/**
 * HMDB51-near-shaped generated data (train 2,074, val 445, test 459, OOD 3,744 rows; video 2304 +
 * flow 2048, C 25): non-negative class clusters, as pooled post-ReLU backbone features are.
 * Training defaults: HMDB51's weights (A2D 1.0, NP-Mix 0.5/0.5/0.5) and its default adapter
 * encoder, 2 epochs for every recipe, NP-Mix from epoch 1 (0-based) so that it runs.
 */
export function cellsData(): { benchmark: Benchmark; data: BenchmarkData } {
  const rng = new Random(12);
  const means = DIMS.map((d) => Array.from({ length: CLASSES }, () => Float32Array.from({ length: d }, () => Math.abs(rng.normal()))));
  const split = (n: number, offset: number) => {
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + offset) % CLASSES);
    const features = Object.fromEntries(DIMS.map((d, k) => {
      const m = matrix(n, d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m.data[i * d + j] = Math.max(0, means[k]![labels[i]!]![j]! + 0.8 * rng.normal());
      return [['video', 'flow'][k]!, m];
    }));
    return { features, labels };
  };
  const s = CELLS_SHAPE;
  const data: BenchmarkData = { train: split(s.train, 0), val: split(s.val, 1), test: split(s.test, 2), ood: new Map([['near', { features: split(s.ood, 3).features }]]) };
  const benchmark: Benchmark = {
    id: 'bench-cells', title: 'bench cells (HMDB51-near shape)', origin: 'generated', setting: 'near',
    classNames: Array.from({ length: CLASSES }, (_, i) => `c${i}`),
    modalities: [{ name: 'video', dim: DIMS[0]! }, { name: 'flow', dim: DIMS[1]! }],
    modalitySets: [['video', 'flow']], splits: 1, fitSplit: 'train',
    training: { epochs: { baseline: s.epochs, a2d: s.epochs, a2dNpmix: s.epochs }, a2dWeight: 1, npmix: { a2d: 0.5, ood: 0.5, ent: 0.5, startEpoch: s.startEpoch }, encoder: 'adapter', noDropout: ['audio'] },
    availability: () => ({ available: true }),
    load: async () => data,
  };
  return { benchmark, data };
}
