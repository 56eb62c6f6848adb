import type { Matrix } from '../methods/linalg/matrix.ts';
import type { FeatureExtraction } from './feature-folder/feature-folder.ts';
import type { TrainingConstants } from '../methods/training/defaults.ts';
import type { EncoderKind } from '../methods/training/model.ts';

/**
 * The one interface between data and training: a benchmark yields, per split, one feature
 * matrix per modality (rows aligned across modalities) plus labels on the ID splits, and
 * declares its classes, setting, modalities and upstream training defaults.
 */
export interface ModalitySpec {
  readonly name: string;
  /** Width of this modality's input features. */
  readonly dim: number;
}

export interface SplitData {
  /** One N x dim matrix per modality name; all have the same N. */
  readonly features: Readonly<Record<string, Matrix>>;
  /** ID class per row (0..numClasses-1) on ID splits; absent on OOD sets. */
  readonly labels?: Int32Array;
}

export interface BenchmarkData {
  readonly train: SplitData;
  readonly val: SplitData;
  readonly test: SplitData;
  /** OOD sets by name: 'near' for Near-OOD, else the OOD dataset name, in the paper's order. */
  readonly ood: ReadonlyMap<string, SplitData>;
  /** How precomputed embeddings were extracted (feature folders that say so). */
  readonly extraction?: FeatureExtraction;
}

/**
 * Loss weights and schedule of one benchmark as the upstream code ran it (docs/multiood-facts.md §5). The
 * constants no benchmark changes (optimiser, batch, dropout, NP-Mix queue, encoder sizes) come
 * from the one table in methods/training/defaults.ts; a benchmark may override any of them here.
 */
export interface TrainingDefaults extends Partial<TrainingConstants> {
  readonly epochs: { readonly baseline: number; readonly a2d: number; readonly a2dNpmix: number };
  /** weight of L_discr in A2D-only runs */
  readonly a2dWeight: number;
  /** weights of L_discr, L_discr_syn and L_ent in A2D + NP-Mix runs, and the epoch NP-Mix starts */
  readonly npmix: { readonly a2d: number; readonly ood: number; readonly ent: number; readonly startEpoch: number };
  /** 'adapter' for ready-made embeddings (feature folders), 'mlp' for raw features; 'identity' trains the heads only */
  readonly encoder: EncoderKind;
  /** Modalities whose embedding is never dropped out (upstream's audio model has no dropout). */
  readonly noDropout?: readonly string[];
}

export interface LoadOptions {
  /** Modality names to load, in the benchmark's concatenation order. */
  readonly modalities: readonly string[];
  /** Dataset split (class partition / seed) index; 0 is the canonical one. */
  readonly split?: number;
  /** The user's data folder, for benchmarks backed by files. */
  readonly dataDir?: string;
}

/** The training settings a benchmark declares for a modality set. */
export function benchmarkTrainingDefaults(benchmark: Pick<Benchmark, 'training' | 'trainingFor'>, modalities: readonly string[]): TrainingDefaults {
  return benchmark.trainingFor?.(modalities) ?? benchmark.training;
}

export interface Benchmark {
  readonly id: string;
  readonly title: string;
  readonly setting: 'near' | 'far';
  readonly classNames: readonly string[];
  /** Every modality the benchmark offers, in concatenation order. */
  readonly modalities: readonly ModalitySpec[];
  /** The modality sets the benchmark is run with; the first one is the default. */
  readonly modalitySets: readonly (readonly string[])[];
  /** Number of dataset splits (class partitions) available; 1 when there is only the canonical one. */
  readonly splits: number;
  /** The ID split KNN, Mahalanobis and ViM fit on. */
  readonly fitSplit: 'train' | 'val';
  /** Upstream training settings of the default modality set. */
  readonly training: TrainingDefaults;
  /** Training settings this project assumed where upstream ran none (shown by `datasets info`, the API and the site). */
  readonly extrapolated?: readonly string[];
  /** Settings for another modality set where upstream used different ones (e.g. V+A+F). */
  trainingFor?(modalities: readonly string[]): TrainingDefaults;
  /** Whether this machine has the benchmark's data (generated benchmarks always do), and if not how to get it. */
  availability(dataDir?: string): { readonly available: boolean; readonly hint?: string };
  load(options: LoadOptions): Promise<BenchmarkData>;
}
