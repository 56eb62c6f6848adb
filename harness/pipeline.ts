import { benchmarkTrainingDefaults, type Benchmark } from '../datasets/benchmark.ts';
import type { RecipeOverrides, TrainingRecipe } from '../methods/training/recipe.ts';
import { trainModel, yieldToEventLoop, type EpochRecord, type TrainProgress, type TrainResult } from '../methods/training/train.ts';
import { collectGarbage, featureBytes } from '../methods/memory.ts';
import { extractionWarning } from '../datasets/feature-folder/feature-folder.ts';
import { asInputError, InputError } from './errors.ts';
import { evaluate, type Evaluation, type ScorerResult, type ScorerRun } from './evaluate.ts';

/**
 * Train-then-score, shared by `bun harness train` and the grid's cells: validate the recipe's
 * settings, load the benchmark's data, train one model, hand its outputs to `onTrained` (the grid
 * caches them there, so a scorer that fails never costs a retraining), then run every scorer.
 */

/** A number, or null where it is undefined (NaN: e.g. a discrepancy with one modality). */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** One line of `train --json`: an eval-dumps row plus what identifies the run and its discrepancies. */
export interface TrainRow extends ScorerResult {
  readonly benchmark: string;
  readonly recipe: string;
  readonly seed: number;
  /** modality prediction discrepancy on ID test (null with one modality: there is no pair to compare) */
  readonly l_id: number | null;
  /** ... and on this row's OOD set */
  readonly l_ood: number | null;
}

/** Receives training progress (a TTY line, log lines, or nothing). */
export interface ProgressSink {
  step(p: TrainProgress): void;
  epoch(r: EpochRecord, epochs: number): void;
  done(): void;
}

export interface RunTrainingOptions {
  readonly benchmark: Benchmark;
  readonly recipe: TrainingRecipe;
  /** Default: the benchmark's first modality set. */
  readonly modalities?: readonly string[];
  readonly seed: number;
  readonly overrides?: RecipeOverrides;
  readonly scorers: readonly ScorerRun[];
  readonly split?: number;
  readonly dataDir?: string;
  readonly progress?: ProgressSink;
  /** Receives warnings about the data (default: stderr). */
  readonly onWarning?: (message: string) => void;
  /** Called with the trained model's outputs before any scorer runs (the grid caches them here). */
  readonly onTrained?: (result: TrainResult) => void;
  /** Called after each scorer (progress lines, the memory benchmark's phases). */
  readonly onScorerDone?: (scorerId: string, seconds: number) => void;
}

export interface TrainingRun {
  readonly modalities: readonly string[];
  readonly result: TrainResult;
  readonly evaluation: Evaluation;
  readonly rows: TrainRow[];
}

/** Loads the benchmark's data, trains one model, scores it with every requested scorer. */
export async function runTraining(o: RunTrainingOptions): Promise<TrainingRun> {
  const { benchmark, recipe } = o;
  const modalities = o.modalities ?? benchmark.modalitySets[0] ?? benchmark.modalities.map((m) => m.name);
  const known = benchmark.modalities.map((m) => m.name);
  for (const m of modalities) {
    if (!known.includes(m)) throw new InputError(`--modalities: ${benchmark.id} has no modality "${m}" (has ${known.join(', ')})`);
  }
  if (new Set(modalities).size !== modalities.length) throw new InputError(`--modalities ${modalities.join(',')}: a modality is named twice`);
  // Validate the recipe's settings before loading anything.
  const config = (() => {
    try {
      return recipe.configure(benchmarkTrainingDefaults(benchmark, modalities), o.overrides);
    } catch (e) {
      throw new InputError(e instanceof Error ? e.message.split('\n')[0]! : String(e));
    }
  })();
  if ((config.a2d || config.synthesis) && modalities.length < 2) {
    throw new InputError(`recipe ${recipe.id} needs at least two modalities, got ${modalities.join(', ')}`);
  }
  const data = await asInputError(() => benchmark.load({ modalities, ...(o.split !== undefined ? { split: o.split } : {}), ...(o.dataDir ? { dataDir: o.dataDir } : {}) }));
  const warning = extractionWarning(data.extraction, recipe.id);
  if (warning) (o.onWarning ?? ((m: string) => process.stderr.write(`warning: ${benchmark.id}: ${m}\n`)))(warning);
  const progress = o.progress;
  let result: TrainResult;
  try {
    result = await trainModel(data, {
      benchmark,
      modalities,
      recipe,
      seed: o.seed,
      ...(o.overrides ? { overrides: o.overrides } : {}),
      // ID train outputs only matter when the scorers fit on them
      trainOutputs: benchmark.fitSplit === 'train' && o.scorers.some((r) => r.scorer.usesFitFeatures),
      // loaded for this model alone: each split's inputs go once its outputs exist
      releaseInputs: true,
      ...(progress ? { onStep: (p: TrainProgress) => progress.step(p), onEpoch: (r: EpochRecord) => progress.epoch(r, config.epochs) } : {}),
    });
  } finally {
    progress?.done();
  }
  // Training's temporaries (and any split a stack slot still pointed to) go before scoring starts.
  await yieldToEventLoop();
  const { id, ood } = result.outputs;
  collectGarbage(featureBytes([id.train, id.val, id.test, ...ood.values()].flatMap((s) => (s ? [s.features] : []))));
  o.onTrained?.(result);
  const evaluation = evaluate(result.outputs, o.scorers, { fitSplit: benchmark.fitSplit, ...(o.onScorerDone ? { onScorerDone: o.onScorerDone } : {}) });
  const rows = evaluation.results.map((s) => ({
    ...s,
    benchmark: benchmark.id,
    recipe: recipe.id,
    seed: o.seed,
    l_id: finiteOrNull(result.discrepancy.lId),
    l_ood: finiteOrNull(result.discrepancy.lOod[s.ood] ?? NaN),
  }));
  return { modalities, result, evaluation, rows };
}

