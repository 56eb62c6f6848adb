import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from '../benchmark.ts';
import { resolveDataDir } from '../data-dir.ts';
import { featureFolderFiles, MANIFEST_FILE, readFeatureFolder, type FeatureFolderSpec, type FeatureManifest } from '../feature-folder/feature-folder.ts';
import { trainingDefaultsFor, type MultioodDefinition } from './definitions.ts';

/** `<dataDir>/multiood/<benchmark-id>`: where a MultiOOD benchmark's feature folder lives. */
export function featureFolderPath(def: Pick<MultioodDefinition, 'id'>, dataDir?: string): string {
  return join(resolveDataDir(dataDir), 'multiood', def.id);
}

export function featureFolderSpec(def: MultioodDefinition): FeatureFolderSpec {
  return {
    benchmark: def.id,
    modalities: def.modalities,
    numClasses: def.idClasses,
    sizes: def.sizes,
    oodSets: def.oodSets.map((o) => ({ name: o.name, size: o.size })),
    oodSetsOptional: def.setting === 'far',
  };
}

/** How to produce a feature folder, in one line (availability hint, fetch refusal). */
export function featureFolderHint(def: MultioodDefinition, dataDir?: string): string {
  return (
    `put a feature folder in ${featureFolderPath(def, dataDir)} (per-split, per-modality embeddings as .npy + manifest.json: ` +
    `extract them with the upstream MultiOOD code or any backbone; see \`bun harness datasets info ${def.id}\`), ` +
    `or evaluate upstream dumps directly with \`bun harness eval-dumps\``
  );
}

export interface MultioodBenchmarkOptions {
  /** Receives load() warnings (official size mismatches, ...); default: stderr. */
  readonly onWarning?: (message: string) => void;
}

/** A MultiOOD definition as a registry Benchmark backed by a feature folder. */
export function multioodBenchmark(def: MultioodDefinition, options: MultioodBenchmarkOptions = {}): Benchmark {
  const warn = options.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  return {
    id: def.id,
    title: def.title,
    origin: 'multiood',
    declaredRows: def.sizes.train + def.sizes.val + def.sizes.test + def.oodSets.reduce((s, o) => s + o.size, 0),
    description: `MultiOOD (Dong et al., NeurIPS 2024) ${def.title}: embeddings extracted by the user from the benchmark's videos (see the folder's manifest for the backbone and the extraction).`,
    setting: def.setting,
    // Names only where the definition states them; see definitions.ts for why.
    classNames: def.classNames ?? Array.from({ length: def.idClasses }, (_, i) => `class ${i}`),
    modalities: def.modalities,
    modalitySets: def.modalitySets,
    splits: 1,
    fitSplit: def.fitSplit,
    training: def.training,
    trainingFor: (modalities) => trainingDefaultsFor(def, modalities),
    ...(def.extrapolated ? { extrapolated: def.extrapolated } : {}),
    dataFiles(o) {
      const dir = featureFolderPath(def, o.dataDir);
      const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as FeatureManifest;
      return featureFolderFiles(dir, featureFolderSpec(def), manifest, o.modalities);
    },
    availability(dataDir?: string) {
      const dir = featureFolderPath(def, dataDir);
      return existsSync(join(dir, MANIFEST_FILE)) ? { available: true } : { available: false, hint: featureFolderHint(def, dataDir) };
    },
    async load(o) {
      if ((o.split ?? 0) !== 0) throw new Error(`${def.id}: dataset split ${o.split} does not exist (MultiOOD has one canonical split: 0)`);
      const { data, warnings } = await readFeatureFolder(featureFolderPath(def, o.dataDir), featureFolderSpec(def), { modalities: o.modalities });
      for (const w of warnings) warn(w);
      return data;
    },
  };
}
