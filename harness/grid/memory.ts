import type { Benchmark } from '../../datasets/benchmark.ts';

/**
 * How many cells fit in memory at once. A cell holds its data as stored (float32 feature files:
 * rows x input width x 4 bytes) while it trains; each split's inputs are dropped once its outputs
 * exist, so the outputs (at most as wide as the inputs) never add to the data. Scoring adds the
 * D x D statistics of Mahalanobis and ViM (the shared Gram matrix, the covariance whose buffer its
 * eigendecomposition reuses, the eigenvectors or Cholesky factor, and a whitening map). The
 * estimate is an upper bound from the benchmark's declared sizes plus the runtime (Bun, TF.js's
 * heap, garbage between collections); bench/memory.ts measures the real peak. The pool runs no
 * more workers than fit in the free memory, and says so.
 */

/** Bun, TF.js's WebAssembly heap and the garbage between two collections, measured at the Kinetics-600 shapes. */
export const RUNTIME_BYTES = 512 * 1024 ** 2;

/** Bytes one cell of `benchmark` with `modalities` needs at most (0 when its sizes are not declared). */
export function estimateCellBytes(benchmark: Pick<Benchmark, 'modalities' | 'declaredRows'>, modalities: readonly string[]): number {
  const rows = benchmark.declaredRows ?? 0;
  const width = modalities.reduce((s, m) => s + (benchmark.modalities.find((x) => x.name === m)?.dim ?? 0), 0);
  if (rows === 0) return 0;
  const data = rows * width * 4;
  const scorers = 4 * width * width * 8;
  return data + scorers + RUNTIME_BYTES;
}

export interface WorkerBudget {
  /** workers to run */
  readonly workers: number;
  /** why fewer than asked, one line; absent when all asked run */
  readonly reason?: string;
}

const GiB = 1024 ** 3;

/** Workers for cells needing up to `cellBytes` each, within `freeBytes` (80% of it, leaving room for the rest of the machine). */
export function workersWithinMemory(requested: number, cellBytes: number, freeBytes: number): WorkerBudget {
  if (cellBytes <= 0 || requested <= 1) return { workers: Math.max(1, requested) };
  const fit = Math.max(1, Math.floor((0.8 * freeBytes) / cellBytes));
  if (fit >= requested) return { workers: requested };
  return {
    workers: fit,
    reason: `running ${fit} worker${fit > 1 ? 's' : ''} instead of ${requested}: a cell needs up to ${(cellBytes / GiB).toFixed(1)} GiB and ${(freeBytes / GiB).toFixed(1)} GiB are available`,
  };
}
