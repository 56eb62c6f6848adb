import { createHash } from 'node:crypto';
import { benchmarkTrainingDefaults, type Benchmark } from '../../datasets/benchmark.ts';
import { overridesFor, type RecipeOverrides, type TrainingRecipe } from '../../methods/training/recipe.ts';
import { InputError } from '../errors.ts';
import type { ScorerRun } from '../evaluate.ts';
import type { CellConfig } from '../store/contract.ts';
import { canonicalJson, cellId, trainingKey } from './cell-id.ts';

/** The recipes of the paper's main tables; the ablations are asked for by name (--recipes). */
export const MAIN_RECIPES = ['baseline', 'a2d', 'a2d_npmix', 'logitnorm', 'logitnorm_a2d', 'logitnorm_a2d_npmix'] as const;

/** What a worker needs to run one cell: plain data (it crosses a postMessage). */
export interface CellTask {
  readonly id: string;
  readonly trainingKey: string;
  readonly config: CellConfig;
  readonly overrides: RecipeOverrides;
  /** scorer id -> the user's raw overrides (the config holds the resolved settings) */
  readonly scorerSettings: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly dataDir?: string;
}

export interface GridSpec {
  readonly benchmarks: readonly Benchmark[];
  /** One modality set for every benchmark; default: each benchmark's own modality sets. */
  readonly modalities?: readonly string[];
  readonly recipes: readonly TrainingRecipe[];
  readonly seeds: readonly number[];
  /** Dataset split indices; each benchmark runs those it has. Default: all of each benchmark's splits. */
  readonly splits?: readonly number[];
  readonly scorers: readonly ScorerRun[];
  readonly overrides?: RecipeOverrides;
  readonly backend: string;
  readonly harnessVersion: string;
  readonly dataDir?: string;
}

export interface GridPlan {
  /** In plan order: benchmark, modality set, recipe, seed, split. */
  readonly cells: readonly CellTask[];
  /** Combinations left out of the plan, one line each (e.g. A2D on one modality). */
  readonly notes: readonly string[];
}

/** Parses `0,1,2`, `0-4` or a mix into distinct non-negative integers in the order given. */
export function parseIntList(flag: string, value: string): number[] {
  const out: number[] = [];
  for (const raw of value.split(',')) {
    const part = raw.trim();
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a) throw new InputError(`${flag} ${value}: range ${part} is empty`);
      for (let i = a; i <= b; i++) out.push(i);
    } else if (/^\d+$/.test(part)) out.push(Number(part));
    else throw new InputError(`${flag} ${value}: expected integers and ranges, e.g. 0,1,2 or 0-4`);
  }
  if (out.length === 0) throw new InputError(`${flag} ${value}: empty`);
  return [...new Set(out)];
}

/** `--shard K/N`: 1 <= K <= N. */
export function parseShard(value: string): { readonly k: number; readonly n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const k = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || k < 1 || k > n) throw new InputError(`--shard ${value}: expected K/N with 1 <= K <= N, e.g. 2/3`);
  return { k, n };
}

/**
 * The benchmark's declaration (classes, modalities, splits, training defaults) hashed: generated
 * benchmarks are a pure function of it. For file-backed benchmarks it does not see the files
 * themselves (the Benchmark interface does not expose their paths).
 */
export function dataFingerprint(b: Benchmark): string {
  const declared = {
    id: b.id,
    title: b.title,
    setting: b.setting,
    classNames: b.classNames,
    modalities: b.modalities,
    modalitySets: b.modalitySets,
    splits: b.splits,
    fitSplit: b.fitSplit,
    training: b.training,
  };
  return createHash('sha256').update(canonicalJson(declared)).digest('hex').slice(0, 16);
}

/** The grid: benchmarks x modality sets x recipes x seeds x splits, each cell scored by every scorer. */
export function planGrid(spec: GridSpec): GridPlan {
  const scorers: Record<string, Record<string, unknown>> = {};
  const scorerSettings: Record<string, Record<string, unknown>> = {};
  for (const run of spec.scorers) {
    const parsed = run.scorer.settings.safeParse(run.settings ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InputError(`settings of scorer ${run.scorer.id}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    scorers[run.scorer.id] = parsed.data as Record<string, unknown>;
    scorerSettings[run.scorer.id] = { ...(run.settings ?? {}) };
  }
  const cells: CellTask[] = [];
  const notes: string[] = [];
  const overrides = spec.overrides ?? {};
  const unused = Object.keys(overrides).filter((k) => spec.recipes.every((r) => !(k in overridesFor(r, overrides))));
  if (unused.length) throw new InputError(`--set ${unused.join(', ')}: none of the recipes ${spec.recipes.map((r) => r.id).join(', ')} has this setting`);
  for (const benchmark of spec.benchmarks) {
    const fingerprint = dataFingerprint(benchmark);
    const sets = spec.modalities ? [spec.modalities] : benchmark.modalitySets;
    const known = benchmark.modalities.map((m) => m.name);
    const splits = (spec.splits ?? Array.from({ length: benchmark.splits }, (_, i) => i)).filter((s) => s < benchmark.splits);
    if (splits.length === 0) {
      notes.push(`${benchmark.id}: none of the asked splits exist (it has 0..${benchmark.splits - 1})`);
      continue;
    }
    for (const modalities of sets) {
      const unknown = modalities.filter((m) => !known.includes(m));
      if (unknown.length) {
        notes.push(`${benchmark.id}: has no modality ${unknown.join(', ')} (has ${known.join(', ')})`);
        continue;
      }
      for (const recipe of spec.recipes) {
        let training: Record<string, unknown>;
        try {
          training = { ...recipe.configure(benchmarkTrainingDefaults(benchmark, modalities), overridesFor(recipe, overrides)) };
        } catch (e) {
          throw new InputError(`recipe ${recipe.id}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
        }
        if ((training.a2d || training.synthesis) && modalities.length < 2) {
          notes.push(`${benchmark.id} ${modalities.join('+')}: ${recipe.id} needs at least two modalities`);
          continue;
        }
        // JSON round trip: the config is what the store keeps and what a worker receives.
        training = JSON.parse(JSON.stringify(training)) as Record<string, unknown>;
        for (const seed of spec.seeds) {
          for (const split of splits) {
            const config: CellConfig = {
              benchmark: benchmark.id,
              dataFingerprint: fingerprint,
              modalities: [...modalities],
              recipe: recipe.id,
              training,
              seed,
              split,
              backend: spec.backend,
              harnessVersion: spec.harnessVersion,
              scorers,
            };
            cells.push({
              id: cellId(config),
              trainingKey: trainingKey(config),
              config,
              overrides: overridesFor(recipe, overrides),
              scorerSettings,
              ...(spec.dataDir ? { dataDir: spec.dataDir } : {}),
            });
          }
        }
      }
    }
  }
  return { cells, notes };
}

/** Shard K of N: the cells whose rank in id order is K-1 modulo N (deterministic, balanced, disjoint). */
export function shardCells<T extends { readonly id: string }>(cells: readonly T[], k: number, n: number): T[] {
  const rank = new Map([...cells].map((c) => c.id).sort().map((id, i) => [id, i] as const));
  return cells.filter((c) => rank.get(c.id)! % n === k - 1);
}

/**
 * Rough seconds of one cell on one core: start-up and scoring plus epochs x a per-epoch constant
 * measured on this project's reference machine (synthetic benchmarks: ~0.5 s per epoch with the
 * wasm backend); unknown benchmarks count 2 s per epoch. The live view refines it from real timings.
 */
const SECONDS_PER_EPOCH: Readonly<Record<string, number>> = { 'synthetic-near': 0.45, 'synthetic-far': 0.55 };
export function estimateCellSeconds(cell: CellTask): number {
  const epochs = typeof cell.config.training.epochs === 'number' ? cell.config.training.epochs : 20;
  return 2 + epochs * (SECONDS_PER_EPOCH[cell.config.benchmark] ?? 2);
}

/** One line per cell for logs: `synthetic-near video+flow a2d seed 0 split 1`. */
export function cellLabel(c: CellConfig): string {
  return `${c.benchmark} ${c.modalities.join('+')} ${c.recipe} seed ${c.seed} split ${c.split}`;
}
