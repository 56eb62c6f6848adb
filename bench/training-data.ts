import type { Benchmark, BenchmarkData } from '../datasets/benchmark.ts';
import { matrix } from '../methods/linalg/matrix.ts';
import { Random } from '../methods/random.ts';

/** The training benchmarks' model shape: video + flow at MultiOOD widths, C = 25, batch 16. */
export const DIMS = [2304, 2048];
export const CLASSES = 25;
export const BATCH = 16;

/** Gaussian class clusters at MultiOOD width, enough rows for `steps` batches (bench/training.ts, bench/gpu-check.ts). */
export function benchData(steps: number): { benchmark: Benchmark; data: BenchmarkData } {
  const rng = new Random(11);
  const rows = steps * BATCH;
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
