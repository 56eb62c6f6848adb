/**
 * Feature folders: a benchmark's precomputed per-modality embeddings on disk, one folder per
 * benchmark, read into `BenchmarkData` with every shape, dtype and label checked.
 *
 * Layout (`<dataDir>/multiood/<benchmark-id>/` for the MultiOOD benchmarks):
 *
 *   manifest.json                 what the folder holds (schema below)
 *   <split>.<modality>.npy        float32 or float64, N x dim, C order, little-endian
 *   <split>.labels.npy            int64 (int32 accepted), N, values 0..C-1; ID splits only
 *
 * Splits: `train`, `val`, `test` (ID), and the OOD sets: `ood` for Near-OOD, `ood-<name>` for
 * Far-OOD with <name> the OOD dataset as the benchmark names it (`ood-UCF`, `ood-Kinetics`,
 * `ood-HAC`, `ood-EPIC`, `ood-HMDB`). Row i of every modality of a split is the same clip.
 *
 * manifest.json:
 *   {
 *     "benchmark": "hmdb51-near",                    // the benchmark id
 *     "modalities": [{"name": "video", "dim": 2304}, {"name": "flow", "dim": 2048}],
 *     "splits": {"train": 2074, "val": 445, "test": 459, "ood": 3744},   // rows per split
 *     "backbone": "SlowFast R101 (upstream MultiOOD checkpoints)",      // free text
 *     "created": "2025-01-31T12:00:00Z",                                  // ISO 8601
 *     "classNames": ["brush_hair", ...]               // optional, one per ID class
 *   }
 *
 * What is an error (one line naming the file and the field, nothing loaded): a missing folder,
 * manifest or .npy file; a manifest that does not match the schema or names another benchmark
 * or an unknown modality or split; an .npy file whose dtype is not float32/float64
 * (int64/int32 for labels), whose shape is not (rows from the manifest) x (dim from the
 * manifest), or that holds NaN/Inf; a label outside 0..C-1; a missing ID split or (Near-OOD)
 * OOD set.
 *
 * What is a warning (returned, and printed by the benchmark's load()): row counts that differ
 * from the official split sizes (users often miss a few clips whose download or flow
 * extraction failed: the benchmark still runs, its numbers just are not exactly the paper's);
 * a modality width other than the upstream backbone's (any backbone may produce a folder); a
 * Far-OOD set absent from the folder (its column and the average are then not the paper's);
 * an ID class with no training rows.
 *
 * Only the modalities asked for are read and checked; other files in the folder are ignored.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { FloatMatrix } from '../../methods/linalg/matrix.ts';
import type { BenchmarkData, ModalitySpec, SplitData } from '../benchmark.ts';
import { readNpy, writeNpy, type NpyArray } from '../io/npy.ts';

export class FeatureFolderError extends Error {
  override readonly name = 'FeatureFolderError';
}

export const MANIFEST_FILE = 'manifest.json';

export const FeatureManifestSchema = z.object({
  benchmark: z.string().min(1),
  modalities: z
    .array(z.object({ name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a lower-case modality name such as video'), dim: z.number().int().positive() }))
    .min(1),
  splits: z.record(z.string(), z.number().int().nonnegative()),
  backbone: z.string().min(1),
  created: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 date, e.g. 2025-01-31T12:00:00Z'),
  classNames: z.array(z.string().min(1)).optional(),
  /**
   * How the embeddings were extracted. `weights: "pretrained"` (the backbones' public weights,
   * eval mode, the validation pipeline) is what a fair recipe comparison needs; `"fine-tuned"`
   * names the recipe whose checkpoint produced them (upstream's only feature writer loads a
   * trained checkpoint, so its features already contain that recipe).
   */
  extraction: z
    .discriminatedUnion('weights', [
      z.object({ weights: z.literal('pretrained') }).strict(),
      z.object({ weights: z.literal('fine-tuned'), recipe: z.string().min(1), checkpoint: z.string().min(1).optional() }).strict(),
      z.object({ weights: z.literal('generated'), generator: z.string().min(1) }).strict(),
    ])
    .optional(),
});
export type FeatureManifest = z.infer<typeof FeatureManifestSchema>;
export type FeatureExtraction = NonNullable<FeatureManifest['extraction']>;

/**
 * A warning when a model is trained with `recipe` on features extracted from a checkpoint that
 * another recipe fine-tuned: the comparison is then not the recipe against the others.
 */
export function extractionWarning(extraction: FeatureExtraction | undefined, recipe: string): string | undefined {
  if (extraction?.weights !== 'fine-tuned' || extraction.recipe === recipe) return undefined;
  return `the features were extracted from a checkpoint fine-tuned with ${extraction.recipe}: training ${recipe} on them measures ${recipe} on top of ${extraction.recipe}, not ${recipe} (extract with the pretrained weights for a fair recipe comparison)`;
}

/** What a benchmark expects of its feature folder. */
export interface FeatureFolderSpec {
  readonly benchmark: string;
  /** Every modality the benchmark offers with its reference width (a different width is a warning). */
  readonly modalities: readonly ModalitySpec[];
  readonly numClasses: number;
  /** Official sizes of the ID splits, where known. */
  readonly sizes?: { readonly train?: number; readonly val?: number; readonly test?: number };
  /** OOD sets in the benchmark's order ('near' for Near-OOD), with their official sizes. */
  readonly oodSets: readonly { readonly name: string; readonly size?: number }[];
  /** Whether a folder may lack some OOD sets (Far-OOD); at least one is always required. */
  readonly oodSetsOptional: boolean;
}

/** `ood` for the Near-OOD set (named 'near'), `ood-<name>` for a Far-OOD set. */
export function oodSplitKey(oodName: string): string {
  return oodName === 'near' ? 'ood' : `ood-${oodName}`;
}

const ID_SPLITS = ['train', 'val', 'test'] as const;

export function featureFileName(split: string, modality: string): string {
  return `${split}.${modality}.npy`;
}
export function labelFileName(split: string): string {
  return `${split}.labels.npy`;
}

/** Reads and validates manifest.json against the schema and the benchmark. */
export async function readManifest(dir: string, spec: FeatureFolderSpec): Promise<FeatureManifest> {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(dir)) throw new FeatureFolderError(`${dir}: feature folder not found`);
  if (!existsSync(path)) throw new FeatureFolderError(`${path}: file not found (every feature folder needs a manifest)`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new FeatureFolderError(`${path}: not valid JSON (${oneLine(e)})`);
  }
  const parsed = FeatureManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FeatureFolderError(`${path}: field ${fieldPath(issue.path) || '(root)'}: ${issue.message}`);
  }
  const m = parsed.data;
  if (m.benchmark !== spec.benchmark) throw new FeatureFolderError(`${path}: field benchmark: "${m.benchmark}", expected "${spec.benchmark}"`);
  const known = spec.modalities.map((x) => x.name);
  const seen = new Set<string>();
  m.modalities.forEach((mod, i) => {
    if (!known.includes(mod.name)) throw new FeatureFolderError(`${path}: field modalities[${i}].name: "${mod.name}" is not a modality of ${spec.benchmark} (${known.join(', ')})`);
    if (seen.has(mod.name)) throw new FeatureFolderError(`${path}: field modalities[${i}].name: "${mod.name}" is listed twice`);
    seen.add(mod.name);
  });
  const allowed = new Set<string>([...ID_SPLITS, ...spec.oodSets.map((o) => oodSplitKey(o.name))]);
  for (const key of Object.keys(m.splits)) {
    if (!allowed.has(key)) throw new FeatureFolderError(`${path}: field splits.${key}: unknown split (expected ${[...allowed].join(', ')})`);
  }
  for (const key of ID_SPLITS) {
    if (m.splits[key] === undefined) throw new FeatureFolderError(`${path}: field splits.${key}: missing (the ID splits train, val and test are required)`);
  }
  const oodPresent = spec.oodSets.filter((o) => m.splits[oodSplitKey(o.name)] !== undefined);
  if (oodPresent.length === 0 || (!spec.oodSetsOptional && oodPresent.length < spec.oodSets.length)) {
    const missing = spec.oodSets.filter((o) => m.splits[oodSplitKey(o.name)] === undefined).map((o) => oodSplitKey(o.name));
    throw new FeatureFolderError(`${path}: field splits.${missing[0]}: missing (the OOD set${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required)`);
  }
  if (m.classNames && m.classNames.length !== spec.numClasses) {
    throw new FeatureFolderError(`${path}: field classNames: ${m.classNames.length} names, ${spec.benchmark} has ${spec.numClasses} ID classes`);
  }
  return m;
}

export interface ReadFeatureFolderOptions {
  /** Modalities to load, in the benchmark's concatenation order. */
  readonly modalities: readonly string[];
}

export interface FeatureFolderContents {
  readonly data: BenchmarkData;
  readonly manifest: FeatureManifest;
  /** Differences from the official benchmark that still let it run (see the module comment). */
  readonly warnings: readonly string[];
}

/** Reads a feature folder into BenchmarkData; throws FeatureFolderError on anything unusable. */
export async function readFeatureFolder(dir: string, spec: FeatureFolderSpec, options: ReadFeatureFolderOptions): Promise<FeatureFolderContents> {
  return readFeatureData(dir, spec, await readManifest(dir, spec), join(dir, MANIFEST_FILE), options);
}

/** The files a load with these modalities reads (for the data fingerprint), given a valid manifest. */
export function featureFolderFiles(dir: string, spec: Pick<FeatureFolderSpec, 'oodSets'>, manifest: Pick<FeatureManifest, 'splits'>, modalities: readonly string[], manifestPath = join(dir, MANIFEST_FILE)): string[] {
  const keys = [...ID_SPLITS, ...spec.oodSets.map((o) => oodSplitKey(o.name)).filter((k) => manifest.splits[k] !== undefined)];
  return [
    manifestPath,
    ...keys.flatMap((k) => [...modalities.map((m) => join(dir, featureFileName(k, m))), ...((ID_SPLITS as readonly string[]).includes(k) ? [join(dir, labelFileName(k))] : [])]),
  ];
}

/**
 * Reads the arrays a manifest describes (from manifest.json, or from a benchmark declaration
 * that carries the same fields); `manifestPath` is the file errors name for manifest fields.
 */
export async function readFeatureData(dir: string, spec: FeatureFolderSpec, manifest: FeatureManifest, manifestPath: string, options: ReadFeatureFolderOptions): Promise<FeatureFolderContents> {
  const manifestName = basename(manifestPath);
  const warnings: string[] = [];
  const dims = new Map<string, number>();
  for (const name of options.modalities) {
    const i = manifest.modalities.findIndex((m) => m.name === name);
    if (i < 0) throw new FeatureFolderError(`${manifestPath}: field modalities: no "${name}" (the folder has ${manifest.modalities.map((m) => m.name).join(', ')})`);
    const dim = manifest.modalities[i]!.dim;
    dims.set(name, dim);
    const reference = spec.modalities.find((m) => m.name === name)?.dim;
    if (reference !== undefined && reference !== dim) {
      warnings.push(`${manifestPath}: modality ${name} is ${dim} wide, the upstream backbone's is ${reference} (results are not comparable with the paper's)`);
    }
  }

  const expected: Record<string, number | undefined> = { ...spec.sizes };
  for (const o of spec.oodSets) expected[oodSplitKey(o.name)] = o.size;
  for (const [key, rows] of Object.entries(manifest.splits)) {
    const official = expected[key];
    if (official !== undefined && official !== rows) {
      warnings.push(`${manifestPath}: split ${key} has ${rows} rows, the official split has ${official} (${rows < official ? `${official - rows} clips missing` : `${rows - official} extra`})`);
    }
  }
  for (const o of spec.oodSets) {
    if (manifest.splits[oodSplitKey(o.name)] === undefined) {
      warnings.push(`${manifestPath}: no OOD set ${o.name} (${oodSplitKey(o.name)}): its column and the Far-OOD average are not the paper's`);
    }
  }

  const readSplit = async (key: string, withLabels: boolean): Promise<SplitData> => {
    const rows = manifest.splits[key]!;
    const features: Record<string, FloatMatrix> = {};
    for (const name of options.modalities) {
      features[name] = await readFeatureFile(join(dir, featureFileName(key, name)), rows, dims.get(name)!, `${manifestName} splits.${key}`, `${manifestName} modalities[${manifest.modalities.findIndex((m) => m.name === name)}].dim`);
    }
    if (!withLabels) return { features };
    const labels = await readLabelFile(join(dir, labelFileName(key)), rows, spec.numClasses, `${manifestName} splits.${key}`);
    return { features, labels };
  };

  const train = await readSplit('train', true);
  const val = await readSplit('val', true);
  const test = await readSplit('test', true);
  const ood = new Map<string, SplitData>();
  for (const o of spec.oodSets) {
    if (manifest.splits[oodSplitKey(o.name)] !== undefined) ood.set(o.name, await readSplit(oodSplitKey(o.name), false));
  }

  const counts = new Int32Array(spec.numClasses);
  for (const y of train.labels!) counts[y]!++;
  const empty = [...counts.keys()].filter((c) => counts[c] === 0);
  if (empty.length > 0) {
    const names = empty.slice(0, 5).map((c) => manifest.classNames?.[c] ?? String(c));
    warnings.push(`${join(dir, labelFileName('train'))}: ${empty.length} ID class${empty.length > 1 ? 'es have' : ' has'} no training rows (${names.join(', ')}${empty.length > 5 ? ', ...' : ''})`);
  }
  return { data: { train, val, test, ood, ...(manifest.extraction ? { extraction: manifest.extraction } : {}) }, manifest, warnings };
}

async function readArray(path: string): Promise<NpyArray> {
  if (!existsSync(path)) throw new FeatureFolderError(`${path}: file not found`);
  try {
    return await readNpy(path);
  } catch (e) {
    throw new FeatureFolderError(oneLine(e));
  }
}

/** The file's values as stored: float32 stays float32 (no float64 copy: the largest allocation of a cell). */
async function readFeatureFile(path: string, rows: number, cols: number, rowField: string, colField: string): Promise<FloatMatrix> {
  const a = await readArray(path);
  if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new FeatureFolderError(`${path}: dtype ${a.dtype}, expected float32 or float64`);
  if (a.shape.length !== 2) throw new FeatureFolderError(`${path}: shape (${a.shape.join(', ')}), expected 2-D (${rows}, ${cols})`);
  const [n, d] = a.shape as [number, number];
  if (n !== rows) throw new FeatureFolderError(`${path}: ${n} rows, but ${rowField} says ${rows}`);
  if (d !== cols) throw new FeatureFolderError(`${path}: ${d} columns, but ${colField} says ${cols}`);
  const data = a.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new FeatureFolderError(`${path}: row ${Math.floor(i / cols)} column ${i % cols} is ${data[i]}, expected finite numbers only`);
  }
  return { rows, cols, data };
}

async function readLabelFile(path: string, rows: number, numClasses: number, rowField: string): Promise<Int32Array> {
  const a = await readArray(path);
  if (a.dtype !== 'int64' && a.dtype !== 'int32') throw new FeatureFolderError(`${path}: dtype ${a.dtype}, expected int64 labels`);
  if (a.shape.length !== 1) throw new FeatureFolderError(`${path}: shape (${a.shape.join(', ')}), expected 1-D (${rows},)`);
  if (a.shape[0] !== rows) throw new FeatureFolderError(`${path}: ${a.shape[0]} labels, but ${rowField} says ${rows}`);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const y = Number(a.data[i]!);
    if (!(y >= 0 && y < numClasses)) throw new FeatureFolderError(`${path}: label ${a.data[i]} at row ${i}, expected 0..${numClasses - 1}`);
    labels[i] = y;
  }
  return labels;
}

export interface WriteFeatureFolderOptions {
  readonly benchmark: string;
  readonly data: BenchmarkData;
  /** The modalities to write, in concatenation order, with their widths. */
  readonly modalities: readonly ModalitySpec[];
  readonly backbone: string;
  readonly classNames?: readonly string[];
  readonly extraction?: FeatureExtraction;
  /** Default float32 (what backbones emit; half the disk). */
  readonly dtype?: 'float32' | 'float64';
  readonly created?: Date;
}

/** Writes BenchmarkData as a feature folder; the manifest is written last, so a folder without one is incomplete. */
export async function writeFeatureFolder(dir: string, o: WriteFeatureFolderOptions): Promise<FeatureManifest> {
  await mkdir(dir, { recursive: true });
  const splits: [string, SplitData, boolean][] = [
    ['train', o.data.train, true],
    ['val', o.data.val, true],
    ['test', o.data.test, true],
    ...[...o.data.ood].map(([name, s]) => [oodSplitKey(name), s, false] as [string, SplitData, boolean]),
  ];
  const rows: Record<string, number> = {};
  for (const [key, split, withLabels] of splits) {
    let n: number | undefined;
    for (const m of o.modalities) {
      const x = split.features[m.name];
      if (!x) throw new FeatureFolderError(`writeFeatureFolder: split ${key} has no modality ${m.name}`);
      if (x.cols !== m.dim) throw new FeatureFolderError(`writeFeatureFolder: split ${key} modality ${m.name} has ${x.cols} columns, expected ${m.dim}`);
      if (n !== undefined && x.rows !== n) throw new FeatureFolderError(`writeFeatureFolder: split ${key}: modalities have ${n} and ${x.rows} rows`);
      n = x.rows;
      const data = o.dtype === 'float64' ? (x.data instanceof Float64Array ? x.data : Float64Array.from(x.data)) : x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
      await writeNpy(join(dir, featureFileName(key, m.name)), { dtype: o.dtype ?? 'float32', shape: [x.rows, x.cols], data } as NpyArray);
    }
    rows[key] = n ?? 0;
    if (withLabels) {
      if (!split.labels || split.labels.length !== n) throw new FeatureFolderError(`writeFeatureFolder: split ${key}: labels missing or not one per row`);
      await writeNpy(join(dir, labelFileName(key)), { dtype: 'int64', shape: [n], data: BigInt64Array.from(split.labels, (y) => BigInt(y)) });
    }
  }
  const manifest: FeatureManifest = {
    benchmark: o.benchmark,
    modalities: o.modalities.map(({ name, dim }) => ({ name, dim })),
    splits: rows,
    backbone: o.backbone,
    created: (o.created ?? new Date()).toISOString(),
    ...(o.classNames ? { classNames: [...o.classNames] } : {}),
    ...(o.extraction ? { extraction: o.extraction } : {}),
  };
  const path = join(dir, MANIFEST_FILE);
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temporary, path);
  return manifest;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}
