import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Random } from '../../methods/random.ts';
import { matrix, type Matrix } from '../../methods/linalg/matrix.ts';
import type { Benchmark, BenchmarkData, ClassPartition, SplitData, TrainingDefaults } from '../benchmark.ts';
import { resolveDataDir } from '../data-dir.ts';
import { featureFolderFiles, oodSplitKey, readFeatureData, type FeatureFolderSpec, type FeatureManifest } from '../feature-folder/feature-folder.ts';
import { DECLARATION_FILE, DeclarationError, readDeclaration, type BenchmarkDeclaration } from './declaration.ts';

/**
 * Training defaults of a declared benchmark where its declaration sets none: the adapter on
 * embeddings (identity at the start), 20 epochs, and the A2D / NP-Mix weights of the MultiOOD
 * Near-OOD video benchmarks with synthesis from epoch 5.
 */
export const DECLARED_TRAINING: TrainingDefaults = {
  epochs: { baseline: 20, a2d: 20, a2dNpmix: 20 },
  a2dWeight: 1,
  npmix: { a2d: 0.5, ood: 0.5, ent: 0.5, startEpoch: 5 },
  encoder: 'adapter',
};

/** The classes of partition `k`: a seeded shuffle of all classes, the first `idClasses` ID (kept in declared order). */
export function classPartition(classNames: readonly string[], partitions: NonNullable<BenchmarkDeclaration['partitions']>, k: number): { id: number[]; ood: number[] } {
  const order = new Random(partitions.seed * 7919 + k * 104729 + 17).shuffle(Array.from({ length: classNames.length }, (_, i) => i));
  const byIndex = (a: number, b: number) => a - b;
  return { id: order.slice(0, partitions.idClasses).sort(byIndex), ood: order.slice(partitions.idClasses).sort(byIndex) };
}

function rowsWhere(split: SplitData, keep: (label: number) => boolean, relabel?: (label: number) => number): SplitData {
  const labels = split.labels!;
  const idx: number[] = [];
  for (let i = 0; i < labels.length; i++) if (keep(labels[i]!)) idx.push(i);
  const features: Record<string, Matrix> = {};
  for (const [name, m] of Object.entries(split.features)) {
    const out = matrix(idx.length, m.cols);
    idx.forEach((r, i) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
    features[name] = out;
  }
  return relabel ? { features, labels: Int32Array.from(idx, (r) => relabel(labels[r]!)) } : { features };
}

/** A declared benchmark backed by its folder. */
export function declaredBenchmark(decl: BenchmarkDeclaration, folder: string): Benchmark {
  const dir = resolve(folder);
  const declPath = join(dir, DECLARATION_FILE);
  const names = decl.modalities.map((m) => m.name);
  const parts = decl.partitions;
  const idNames = (k: number) => (parts ? classPartition(decl.classNames, parts, k).id.map((i) => decl.classNames[i]!) : decl.classNames);
  const oodSets = parts ? [] : (decl.oodSets ?? []).map((o) => ({ name: o.name }));
  const spec: FeatureFolderSpec = {
    benchmark: decl.id,
    modalities: decl.modalities.map(({ name, dim }) => ({ name, dim })),
    numClasses: decl.classNames.length,
    oodSets,
    oodSetsOptional: false,
  };
  const manifest: FeatureManifest = {
    benchmark: decl.id,
    modalities: decl.modalities.map(({ name, dim }) => ({ name, dim })),
    splits: decl.splits,
    backbone: decl.backbone ?? 'not stated',
    created: new Date(0).toISOString(),
    classNames: decl.classNames,
    ...(decl.extraction ? { extraction: decl.extraction } : {}),
  };
  const noDropout = decl.modalities.filter((m) => !m.dropout).map((m) => m.name);
  const training: TrainingDefaults = { ...DECLARED_TRAINING, ...decl.training, ...(noDropout.length ? { noDropout } : {}) };
  return {
    id: decl.id,
    title: decl.title,
    origin: 'user',
    declaredRows: Object.values(decl.splits).reduce((s, n) => s + n, 0),
    ...(decl.extraction?.weights === 'generated' ? { generatedData: true } : {}),
    description: [decl.description, decl.source ? `Source: ${decl.source}.` : ''].filter(Boolean).join(' '),
    setting: decl.setting,
    classNames: idNames(0),
    modalities: decl.modalities.map(({ name, dim }) => ({ name, dim })),
    modalitySets: decl.modalitySets ?? [names],
    splits: parts ? parts.count : 1,
    fitSplit: decl.fitSplit,
    training,
    ...(parts ? { partitions: { idClasses: parts.idClasses, classes: decl.classNames.length, count: parts.count, seed: parts.seed } } : {}),
    ...(parts
      ? {
          partition(k: number): ClassPartition {
            const p = classPartition(decl.classNames, parts, k);
            return { id: p.id.map((i) => decl.classNames[i]!), ood: p.ood.map((i) => decl.classNames[i]!) };
          },
        }
      : {}),
    dataFiles: (o) => featureFolderFiles(dir, spec, manifest, o.modalities, declPath),
    availability: () => (existsSync(declPath) ? { available: true } : { available: false, hint: `${declPath} is missing` }),
    async load(o): Promise<BenchmarkData> {
      const k = o.split ?? 0;
      const count = parts ? parts.count : 1;
      if (!Number.isInteger(k) || k < 0 || k >= count) throw new DeclarationError(`${decl.id}: dataset split ${k} does not exist (0..${count - 1})`);
      const { data, warnings } = await readFeatureData(dir, spec, manifest, declPath, { modalities: o.modalities });
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      if (!parts) return data;
      const p = classPartition(decl.classNames, parts, k);
      const idOf = new Map(p.id.map((c, i) => [c, i] as const));
      const isId = (y: number) => idOf.has(y);
      const relabel = (y: number) => idOf.get(y)!;
      return {
        train: rowsWhere(data.train, isId, relabel),
        val: rowsWhere(data.val, isId, relabel),
        test: rowsWhere(data.test, isId, relabel),
        // The OOD classes' test rows are the Near-OOD set, as in the paper's random partitions.
        ood: new Map([['near', rowsWhere(data.test, (y) => !isId(y))]]),
        ...(data.extraction ? { extraction: data.extraction } : {}),
      };
    },
  };
}

export interface DeclaredBenchmarks {
  readonly benchmarks: readonly Benchmark[];
  /** Folders that hold a benchmark.json that cannot be used, one line each. */
  readonly problems: readonly { readonly dir: string; readonly error: string }[];
}

/** `<dataDir>/benchmarks/<id>/` holding benchmark.json, then the folders given explicitly. */
export function declaredBenchmarkDirs(dataDir?: string, extra: readonly string[] = []): string[] {
  const root = join(resolveDataDir(dataDir), 'benchmarks');
  const found = existsSync(root)
    ? readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(join(root, e.name, DECLARATION_FILE)))
        .map((e) => join(root, e.name))
        .sort()
    : [];
  return [...new Set([...found, ...extra.map((d) => resolve(d))])];
}

/** Reads every declared benchmark; a folder that cannot be used is a problem, not a crash. */
export function loadDeclaredBenchmarks(dirs: readonly string[]): DeclaredBenchmarks {
  const benchmarks: Benchmark[] = [];
  const problems: { dir: string; error: string }[] = [];
  for (const dir of dirs) {
    try {
      benchmarks.push(declaredBenchmark(readDeclaration(dir), dir));
    } catch (e) {
      problems.push({ dir, error: (e instanceof Error ? e.message : String(e)).split('\n')[0]! });
    }
  }
  return { benchmarks, problems };
}
