import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Random } from '../../methods/random.ts';
import { featureFileName, labelFileName, MANIFEST_FILE, oodSplitKey, type FeatureManifest } from '../feature-folder/feature-folder.ts';
import { writeNpy } from '../io/npy.ts';
import { DECLARATION_FILE } from '../declared/declaration.ts';
import type { MultioodDefinition } from '../multiood/definitions.ts';

/**
 * Generated feature folders of a MultiOOD benchmark's exact shape (widths, classes, split and
 * OOD-set sizes), for measuring the harness at the real benchmarks' scale without their videos
 * (README tables, bench/). They are labelled as generated in their manifest
 * (`extraction.weights = "generated"`) and mean nothing about the real benchmark.
 *
 * Generative model, per modality of width d: a class's pre-activation mean is
 * -0.5 + s·N(0, I) (s: the modality's evidence per dimension), half of the classes paired up
 * into near-duplicates (each modality alone confuses some classes; fusion resolves them), a
 * sample is softplus(mean + N(0, I)): non-negative, as pooled post-ReLU backbone embeddings are.
 * An OOD class borrows, in each modality independently, the mean of a random ID class blended
 * with a fresh one (β = 0.75 for Near-OOD, 0.6 for Far-OOD sets): the modalities disagree more
 * on OOD than on ID. Rows are written split by split, modality by modality, as float32.
 */
export interface GeneratedFolderSpec {
  readonly benchmark: string;
  readonly modalities: readonly { readonly name: string; readonly dim: number; readonly evidence: number }[];
  readonly idClasses: number;
  readonly oodClasses: number;
  readonly sizes: { readonly train: number; readonly val: number; readonly test: number };
  readonly oodSets: readonly { readonly name: string; readonly size: number; readonly beta: number }[];
  readonly seed: number;
}

/**
 * Evidence per dimension: class means ~8 noise units apart in each modality, whatever its width,
 * so that a linear head learns them from a few thousand rows in a few epochs, as it does on real
 * backbone embeddings (with 2.5 units, HMDB51-near's shape stayed at chance after 10 epochs).
 */
const evidenceFor = (dim: number) => 8 / Math.sqrt(2 * dim);

/** The shape of a MultiOOD benchmark (sizes x `scale`, at least one row per class). */
export function generatedShapeOf(def: MultioodDefinition, o: { scale?: number; seed?: number; modalities?: readonly string[] } = {}): GeneratedFolderSpec {
  const scale = o.scale ?? 1;
  const rows = (n: number) => Math.max(def.idClasses, Math.round(n * scale));
  const wanted = o.modalities ?? def.modalities.map((m) => m.name);
  return {
    benchmark: def.id,
    modalities: def.modalities.filter((m) => wanted.includes(m.name)).map((m) => ({ name: m.name, dim: m.dim, evidence: evidenceFor(m.dim) })),
    idClasses: def.idClasses,
    oodClasses: def.oodClasses ?? def.idClasses,
    sizes: { train: rows(def.sizes.train), val: rows(def.sizes.val), test: rows(def.sizes.test) },
    oodSets: def.oodSets.map((s) => ({ name: s.name, size: rows(s.size), beta: def.setting === 'near' ? 0.75 : 0.6 })),
    seed: o.seed ?? 1,
  };
}

const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));

/**
 * Writes the folder (manifest last: a folder without one is incomplete) and returns its manifest.
 * With `declaration`, the folder is a declared benchmark: benchmark.json (the declaration plus the
 * rows written and the extraction) instead of manifest.json.
 */
export async function writeGeneratedFolder(dir: string, spec: GeneratedFolderSpec, declaration?: Record<string, unknown>): Promise<FeatureManifest> {
  await mkdir(dir, { recursive: true });
  const stream = (purpose: number) => new Random(spec.seed * 7919 + purpose);
  const C = spec.idClasses;
  const means = spec.modalities.map((m, k) => {
    const r = stream(100 + k);
    const rows = Array.from({ length: C }, () => Float32Array.from({ length: m.dim }, () => -0.5 + r.normal() * m.evidence));
    const perm = r.shuffle(Array.from({ length: C }, (_, i) => i));
    for (let p = 0; p + 1 < perm.length / 2; p += 2) rows[perm[p + 1]!] = rows[perm[p]!]!.map((v) => v + r.normal() * 0.25 * m.evidence);
    return rows;
  });
  const splits: { key: string; rows: number; labels?: Int32Array; meanOf: (k: number, i: number) => Float32Array; purpose: number }[] = [];
  (['train', 'val', 'test'] as const).forEach((key, s) => {
    const labels = Int32Array.from({ length: spec.sizes[key] }, (_, i) => i % C);
    splits.push({ key, rows: labels.length, labels, meanOf: (k, i) => means[k]![labels[i]!]!, purpose: 200 + s });
  });
  spec.oodSets.forEach((set, s) => {
    const r = stream(300 + s);
    const oodMeans = Array.from({ length: spec.oodClasses }, () =>
      spec.modalities.map((m, k) => {
        const borrowed = means[k]![r.int(C)]!;
        return borrowed.map((v) => -0.5 + set.beta * (v + 0.5) + Math.sqrt(1 - set.beta ** 2) * r.normal() * m.evidence);
      }),
    );
    splits.push({ key: oodSplitKey(set.name), rows: set.size, meanOf: (k, i) => oodMeans[i % spec.oodClasses]![k]!, purpose: 400 + s });
  });
  for (const split of splits) {
    for (const [k, m] of spec.modalities.entries()) {
      const r = stream(split.purpose * 31 + k);
      const x = new Float32Array(split.rows * m.dim);
      for (let i = 0; i < split.rows; i++) {
        const mu = split.meanOf(k, i);
        for (let j = 0; j < m.dim; j++) x[i * m.dim + j] = softplus(mu[j]! + r.normal());
      }
      await writeNpy(join(dir, featureFileName(split.key, m.name)), { dtype: 'float32', shape: [split.rows, m.dim], data: x });
    }
    if (split.labels) await writeNpy(join(dir, labelFileName(split.key)), { dtype: 'int64', shape: [split.rows], data: BigInt64Array.from(split.labels, (y) => BigInt(y)) });
  }
  const manifest: FeatureManifest = {
    benchmark: spec.benchmark,
    modalities: spec.modalities.map(({ name, dim }) => ({ name, dim })),
    splits: Object.fromEntries(splits.map((s) => [s.key, s.rows])),
    backbone: 'none: generated data (not features of any video)',
    created: new Date(0).toISOString(),
    extraction: { weights: 'generated', generator: `multiood generated-folder v1, seed ${spec.seed}` },
  };
  const path = join(dir, declaration ? DECLARATION_FILE : MANIFEST_FILE);
  const content = declaration ? { ...declaration, splits: manifest.splits, extraction: manifest.extraction } : manifest;
  await writeFile(`${path}.tmp`, `${JSON.stringify(content, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  return manifest;
}
