/**
 * `utd-mhad-near`: Near-OOD detection on the real UTD-MHAD recordings (inertial, skeleton and
 * depth), with the features of features.ts.
 *
 * Classes. Split 0, the canonical one: ID = actions 1-14, OOD = actions 15-27 (a fixed cut of
 * the official action list). Splits 1-5: five seeded random partitions of the 27 actions into 14
 * ID and 13 OOD classes (seed PARTITION_SEED + split), the analogue of the paper's "different
 * dataset splits". ID labels are 0..13 in ascending action order.
 *
 * Protocol (cross-subject, the dataset's standard one): subjects 1, 3, 5, 7 for training and
 * 2, 4, 6, 8 for testing.
 * - ID train: the ID classes' sequences of the training subjects, minus ID val;
 * - ID val: 20% of every ID class's training-subject sequences (rounded), drawn by a seeded
 *   shuffle per class (stratified; seed VAL_SEED + split), used for model selection;
 * - ID test: the ID classes' sequences of the test subjects;
 * - OOD 'near': the OOD classes' sequences of the test subjects. The OOD classes' sequences of
 *   the training subjects are not used at all: OOD detection is then tested on unseen classes
 *   performed by unseen people, like ID test, so the detector cannot key on who performs.
 * Rows are in (action, subject, trial) order.
 *
 * Standardisation: every feature dimension is z-scored with the mean and standard deviation of
 * the ID train rows of the split being loaded (never val, test or OOD statistics); a dimension
 * that is constant on ID train (std < 1e-8) is only centred. The stored features (cache.ts) are
 * the raw ones, so one cache serves every split.
 *
 * Training defaults (no upstream numbers exist for this dataset; chosen here, see README):
 * - encoder 'mlp' with hidden 160: raw hand-made features need a learned encoder, and 160 per
 *   modality keeps the fused embedding (320 or 480) wider than ViM's fixed 256-dim subspace;
 * - 100 epochs for every family: ID train is small (~180 sequences, ~12 steps of 16 per epoch,
 *   0.1-0.2 s per epoch), and at the upstream learning rate 1e-4 the baseline reaches 100% train
 *   accuracy only at ~50 epochs, its loss still falling at 100 (val, from the training subjects,
 *   saturates near 100% by ~40, and ties go to the later epoch);
 * - A2D weight 1.0, NP-Mix weights 0.5 / 0.5 / 0.5 (A2D, synthetic OOD, entropy) as on the
 *   synthetic benchmarks and the paper's HMDB51/UCF101 runs; NP-Mix starts at epoch 10, once the
 *   class queues are full (65 embeddings per class take ~5 epochs at ~13 sequences per class).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { matrix, type Matrix } from '../../methods/linalg/matrix.ts';
import { Random } from '../../methods/random.ts';
import type { Benchmark, BenchmarkData, LoadOptions, SplitData, TrainingDefaults } from '../benchmark.ts';
import { cacheDir as defaultCacheDir, resolveDataDir } from '../data-dir.ts';
import { extractModality, type ExtractStats } from './cache.ts';
import { listSequences, modalityFolder, sequenceFile, UTD_ACTIONS, UTD_FOLDER, UTD_TEST_SUBJECTS, UTD_TRAIN_SUBJECTS, type Sequence } from './catalog.ts';
import { featureDim, UTD_MODALITIES, type UtdModality } from './features.ts';

export const UTD_BENCHMARK_ID = 'utd-mhad-near';
export const UTD_SPLITS = 6;
export const UTD_ID_CLASSES = 14;
export const VAL_FRACTION = 0.2;
const PARTITION_SEED = 27014;
const VAL_SEED = 5150;

export const UTD_TRAINING: TrainingDefaults = {
  epochs: { baseline: 100, a2d: 100, a2dNpmix: 100 },
  a2dWeight: 1.0,
  npmix: { a2d: 0.5, ood: 0.5, ent: 0.5, startEpoch: 10 },
  encoder: 'mlp',
  hidden: 160,
};

/** ID and OOD actions (1-based, ascending) of a dataset split. */
export function utdSplitClasses(split: number): { readonly id: number[]; readonly ood: number[] } {
  checkSplit(split);
  const actions = Array.from({ length: UTD_ACTIONS.length }, (_, i) => i + 1);
  if (split > 0) new Random(PARTITION_SEED + split).shuffle(actions);
  const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
  return { id: sorted(actions.slice(0, UTD_ID_CLASSES)), ood: sorted(actions.slice(UTD_ID_CLASSES)) };
}

/** ID class names of a split, in label order. */
export function utdClassNames(split = 0): string[] {
  return utdSplitClasses(split).id.map((a) => UTD_ACTIONS[a - 1]!);
}

function checkSplit(split: number): void {
  if (!Number.isInteger(split) || split < 0 || split >= UTD_SPLITS) {
    throw new Error(`${UTD_BENCHMARK_ID}: dataset split ${split} does not exist (0..${UTD_SPLITS - 1})`);
  }
}

export interface SplitAssignment {
  readonly train: Sequence[];
  readonly val: Sequence[];
  readonly test: Sequence[];
  readonly ood: Sequence[];
  /** action (1-based) -> ID label */
  readonly labelOf: ReadonlyMap<number, number>;
}

/** Which sequences go where under split `split` (see the module doc). */
export function assignSequences(sequences: readonly Sequence[], split: number): SplitAssignment {
  const { id, ood } = utdSplitClasses(split);
  const labelOf = new Map(id.map((a, label) => [a, label] as const));
  const oodSet = new Set(ood);
  const isTrainSubject = (s: Sequence) => UTD_TRAIN_SUBJECTS.includes(s.subject);
  const isTestSubject = (s: Sequence) => UTD_TEST_SUBJECTS.includes(s.subject);
  const rng = new Random(VAL_SEED + split);
  const valIds = new Set<string>();
  for (const action of id) {
    const pool = sequences.filter((s) => s.action === action && isTrainSubject(s));
    const shuffled = rng.shuffle([...pool]);
    for (const s of shuffled.slice(0, Math.round(pool.length * VAL_FRACTION))) valIds.add(s.id);
  }
  return {
    train: sequences.filter((s) => labelOf.has(s.action) && isTrainSubject(s) && !valIds.has(s.id)),
    val: sequences.filter((s) => valIds.has(s.id)),
    test: sequences.filter((s) => labelOf.has(s.action) && isTestSubject(s)),
    ood: sequences.filter((s) => oodSet.has(s.action) && isTestSubject(s)),
    labelOf,
  };
}

export function utdRoot(dataDir?: string): string {
  return join(resolveDataDir(dataDir), UTD_FOLDER);
}

const HINT = 'get it with `bun harness datasets fetch utd-mhad`, or point --data-dir / MULTIOOD_DATA at a folder holding utd-mhad/{Inertial,Skeleton,Depth}';

export function utdAvailability(dataDir?: string): { available: boolean; hint?: string } {
  const root = utdRoot(dataDir);
  const missing = UTD_MODALITIES.map((m) => modalityFolder(root, m)).filter((d) => !existsSync(d));
  if (missing.length === 0) return { available: true };
  return { available: false, hint: `UTD-MHAD not found at ${root} (missing ${missing.map((d) => d.slice(root.length + 1)).join(', ')}): ${HINT}` };
}

export interface UtdLoadResult {
  readonly sequences: Sequence[];
  /** Raw (not standardised) features, one row per sequence, per modality. */
  readonly features: Record<string, Matrix>;
  readonly stats: ExtractStats[];
}

/** Every sequence's raw features for the requested modalities (from the cache where it can). */
export async function loadUtdFeatures(root: string, modalities: readonly UtdModality[], options: { cacheDir: string; log?: (line: string) => void }): Promise<UtdLoadResult> {
  const sequences = listSequences(root, modalities);
  const features: Record<string, Matrix> = {};
  const stats: ExtractStats[] = [];
  for (const m of modalities) {
    const dim = featureDim(m);
    let lastShown = performance.now();
    const { rows, stats: st } = await extractModality(root, sequences, m, {
      cacheDir: options.cacheDir,
      onProgress: (done, total) => {
        const now = performance.now();
        // a line every 5 s on long extractions (depth); the summary below reports the end
        if (options.log && done < total && now - lastShown > 5000) {
          lastShown = now;
          options.log(`utd-mhad: extracted ${m} features ${done}/${total}`);
        }
      },
    });
    const x = matrix(sequences.length, dim);
    rows.forEach((row, i) => x.data.set(row, i * dim));
    features[m] = x;
    stats.push(st);
    if (st.extracted > 0) options.log?.(`utd-mhad: ${m}: ${st.extracted} extracted, ${st.hits} cached, ${st.seconds.toFixed(1)} s (cache ${st.cacheFile})`);
  }
  return { sequences, features, stats };
}

/** Column means and standard deviations of the rows `rows` of x. */
export function trainStatistics(x: Matrix, rows: readonly number[]): { mean: Float64Array; std: Float64Array } {
  const d = x.cols;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const i of rows) for (let j = 0; j < d; j++) mean[j]! += x.data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= rows.length;
  for (const i of rows) for (let j = 0; j < d; j++) std[j]! += (x.data[i * d + j]! - mean[j]!) ** 2;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]! / rows.length);
  return { mean, std };
}

function standardisedRows(x: Matrix, rows: readonly number[], mean: Float64Array, std: Float64Array): Matrix {
  const d = x.cols;
  const out = matrix(rows.length, d);
  rows.forEach((src, i) => {
    for (let j = 0; j < d; j++) out.data[i * d + j] = (x.data[src * d + j]! - mean[j]!) / (std[j]! < 1e-8 ? 1 : std[j]!);
  });
  return out;
}

/** Splits and standardises loaded features for dataset split `split`. */
export function buildBenchmarkData(loaded: UtdLoadResult, split: number): BenchmarkData {
  const assignment = assignSequences(loaded.sequences, split);
  const index = new Map(loaded.sequences.map((s, i) => [s.id, i] as const));
  const rowsOf = (seqs: readonly Sequence[]) => seqs.map((s) => index.get(s.id)!);
  const trainRows = rowsOf(assignment.train);
  const stats = Object.fromEntries(Object.entries(loaded.features).map(([m, x]) => [m, trainStatistics(x, trainRows)] as const));
  const make = (seqs: readonly Sequence[], labelled: boolean): SplitData => {
    const rows = rowsOf(seqs);
    const features = Object.fromEntries(Object.entries(loaded.features).map(([m, x]) => [m, standardisedRows(x, rows, stats[m]!.mean, stats[m]!.std)] as const));
    return labelled ? { features, labels: Int32Array.from(seqs, (s) => assignment.labelOf.get(s.action)!) } : { features };
  };
  return {
    train: make(assignment.train, true),
    val: make(assignment.val, true),
    test: make(assignment.test, true),
    ood: new Map([['near', make(assignment.ood, false)]]),
  };
}

export interface UtdBenchmarkOptions {
  /** Where extracted features are cached (default: cacheDir(), i.e. $MULTIOOD_CACHE or ~/.cache/multiood). */
  readonly cacheDir?: string;
  /** Progress lines while features are extracted (default: stderr). */
  readonly log?: (line: string) => void;
}

export function utdMhadNearBenchmark(options: UtdBenchmarkOptions = {}): Benchmark {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return {
    id: UTD_BENCHMARK_ID,
    title: 'UTD-MHAD Near-OOD (inertial, skeleton, depth; 14 ID / 13 OOD actions, cross-subject)',
    origin: 'dataset',
    description: 'UTD-MHAD (Chen, Jafari, Kehtarnavaz, ICIP 2015): 861 sequences of 27 actions by 8 subjects, inertial, skeleton and depth; cross-subject protocol, features computed by this project.',
    setting: 'near',
    classNames: utdClassNames(0),
    modalities: UTD_MODALITIES.map((name) => ({ name, dim: featureDim(name) })),
    modalitySets: [['inertial', 'skeleton'], ['inertial', 'skeleton', 'depth']],
    splits: UTD_SPLITS,
    fitSplit: 'train',
    training: UTD_TRAINING,
    availability: (dataDir) => utdAvailability(dataDir),
    dataFiles(o) {
      const root = utdRoot(o.dataDir);
      const modalities = o.modalities.filter((m): m is UtdModality => (UTD_MODALITIES as readonly string[]).includes(m));
      return listSequences(root, modalities).flatMap((seq) => modalities.map((m) => sequenceFile(root, seq, m)));
    },
    async load(o: LoadOptions): Promise<BenchmarkData> {
      const split = o.split ?? 0;
      checkSplit(split);
      const modalities = o.modalities.map((name) => {
        if (!(UTD_MODALITIES as readonly string[]).includes(name)) throw new Error(`${UTD_BENCHMARK_ID}: no modality "${name}" (has ${UTD_MODALITIES.join(', ')})`);
        return name as UtdModality;
      });
      const available = utdAvailability(o.dataDir);
      if (!available.available) throw new Error(available.hint);
      const loaded = await loadUtdFeatures(utdRoot(o.dataDir), modalities, { cacheDir: options.cacheDir ?? defaultCacheDir(), log });
      return buildBenchmarkData(loaded, split);
    },
  };
}
