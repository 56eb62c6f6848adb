import type { Benchmark } from './benchmark.ts';
import { declaredBenchmarkDirs, loadDeclaredBenchmarks } from './declared/declared-benchmark.ts';
import { SYNTHETIC_DEFINITIONS, syntheticBenchmark } from './synthetic/benchmarks.ts';
import { MULTIOOD_DEFINITIONS } from './multiood/definitions.ts';
import { multioodBenchmark } from './multiood/feature-benchmark.ts';
import { utdMhadNearBenchmark } from './utd-mhad/benchmark.ts';

/** The built-in benchmarks. Adding one: its definition plus one line here (or, without code, a declared folder: CONTRIBUTING). */
export const BENCHMARKS: readonly Benchmark[] = [
  ...SYNTHETIC_DEFINITIONS.map(syntheticBenchmark),
  ...MULTIOOD_DEFINITIONS.map((d) => multioodBenchmark(d)),
  utdMhadNearBenchmark(),
];

/** A built-in benchmark by id. */
export function benchmarkById(id: string): Benchmark | undefined {
  return BENCHMARKS.find((b) => b.id === id);
}

/** Where declared benchmarks are looked for: `<dataDir>/benchmarks/*` and folders given with --benchmark-dir. */
export interface BenchmarkSources {
  readonly dataDir?: string;
  readonly benchmarkDirs?: readonly string[];
}

export interface BenchmarkCatalog {
  /** Built-in benchmarks, then declared ones. */
  readonly benchmarks: readonly Benchmark[];
  /** Declared folders that cannot be used, one line each (e.g. a malformed benchmark.json). */
  readonly problems: readonly string[];
}

/** Every benchmark this machine knows: the built-ins and the declared folders. */
export function benchmarkCatalog(sources: BenchmarkSources = {}): BenchmarkCatalog {
  const declared = loadDeclaredBenchmarks(declaredBenchmarkDirs(sources.dataDir, sources.benchmarkDirs));
  const problems = declared.problems.map((p) => p.error);
  const benchmarks: Benchmark[] = [...BENCHMARKS];
  for (const b of declared.benchmarks) {
    const taken = benchmarks.find((x) => x.id === b.id);
    if (taken) problems.push(`declared benchmark ${b.id}: the id is already taken by ${taken.origin === 'user' ? 'another declared benchmark' : 'a built-in benchmark'}; choose another id`);
    else benchmarks.push(b);
  }
  return { benchmarks, problems };
}

/**
 * A benchmark by id, built-in or declared. A declared folder whose benchmark.json is broken and
 * that would have held `id` (its folder is named so, or it was given explicitly) is an error
 * naming the file and the field, not an "unknown benchmark".
 */
export function findBenchmark(id: string, sources: BenchmarkSources = {}): Benchmark | undefined {
  const builtin = benchmarkById(id);
  if (builtin) return builtin;
  const catalog = benchmarkCatalog(sources);
  const found = catalog.benchmarks.find((b) => b.id === id);
  if (found) return found;
  const explicit = (sources.benchmarkDirs?.length ?? 0) > 0;
  const related = catalog.problems.find((p) => explicit || p.includes(`/benchmarks/${id}/`));
  if (related) throw new Error(related);
  return undefined;
}
