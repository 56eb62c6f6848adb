import type { Benchmark } from '../datasets/benchmark.ts';
import type { BenchmarkRecord } from './store/contract.ts';

/**
 * What the results database keeps about a benchmark (and the API serves): its declared facts,
 * its origin (generated, MultiOOD, a public dataset, or a user's own), the training settings
 * assumed where upstream ran none, and, for class partitions, which classes each split uses.
 */
export function benchmarkRecord(b: Benchmark): BenchmarkRecord {
  return {
    id: b.id,
    origin: b.origin,
    declaration: {
      id: b.id,
      title: b.title,
      origin: b.origin,
      generated: b.generatedData === true,
      ...(b.description ? { description: b.description } : {}),
      setting: b.setting,
      classNames: [...b.classNames],
      modalities: b.modalities.map((m) => ({ ...m })),
      modalitySets: b.modalitySets.map((s) => [...s]),
      splits: b.splits,
      fitSplit: b.fitSplit,
      training: JSON.parse(JSON.stringify(b.training)) as unknown,
      ...(b.extrapolated ? { extrapolated: [...b.extrapolated] } : {}),
      ...(b.partitions && b.partition
        ? { partitions: { ...b.partitions, bySplit: Array.from({ length: b.partitions.count }, (_, k) => b.partition!(k)) } }
        : {}),
    },
  };
}
