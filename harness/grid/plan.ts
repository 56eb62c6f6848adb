import { benchmarkTrainingDefaults, type Benchmark } from '../../datasets/benchmark.ts';
import { overridesFor, type RecipeOverrides, type TrainingRecipe } from '../../methods/training/recipe.ts';
import { InputError } from '../errors.ts';
import type { ScorerRun } from '../evaluate.ts';
import { canonicalJson, sha256Hex } from '../identity/canonical.ts';
import { scorerCodeVersion, trainingCodeVersion } from '../identity/code-version.ts';
import { scorerKeyOf } from '../identity/configuration.ts';
import { dataFingerprint, declaredFacts } from '../identity/data-fingerprint.ts';
import { parseScorerSettings } from '../scorer-settings.ts';
import type { CellConfig, ScorerConfig } from '../store/contract.ts';
import { cellId, trainingKey } from './cell-id.ts';

/** The fingerprint of generated data: its declaration (the generator's code is part of the training code version). */
function declarationFingerprint(b: Benchmark): string {
  return sha256Hex(canonicalJson(declaredFacts(b))).slice(0, 16);
}

/** The recipes of the paper's main tables; the ablations are asked for by name (--recipes). */
export const MAIN_RECIPES = ['baseline', 'a2d', 'a2d_npmix', 'logitnorm', 'logitnorm_a2d', 'logitnorm_a2d_npmix'] as const;

/** What a worker needs to run one cell: plain data (it crosses a postMessage). */
export interface CellTask {
  readonly id: string;
  readonly trainingKey: string;
  /** the cell; `config.scorers` are the scorer configurations still to compute */
  readonly config: CellConfig;
  readonly overrides: RecipeOverrides;
  readonly dataDir?: string;
  /** folders of declared benchmarks given with --benchmark-dir */
  readonly benchmarkDirs?: readonly string[];
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
  readonly dataDir?: string;
  readonly benchmarkDirs?: readonly string[];
  /** Data fingerprints by `fingerprintKey(benchmark, modalities)`, for benchmarks backed by files (see fingerprintGrid). */
  readonly dataFingerprints?: ReadonlyMap<string, string>;
  /** Training code version (default: the current sources'). */
  readonly trainingCode?: string;
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

export function fingerprintKey(benchmark: string, modalities: readonly string[]): string {
  return `${benchmark}|${modalities.join('+')}`;
}

function modalitySetsOf(spec: Pick<GridSpec, 'modalities'>, b: Benchmark): readonly (readonly string[])[] {
  return spec.modalities ? [spec.modalities] : b.modalitySets;
}

/**
 * The data fingerprint of every (benchmark, modality set) of a grid: the contents of the files
 * it reads (hashes cached by size and mtime), or its declaration alone for generated data.
 */
export async function fingerprintGrid(spec: Pick<GridSpec, 'benchmarks' | 'modalities' | 'dataDir'>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const b of spec.benchmarks) {
    for (const modalities of modalitySetsOf(spec, b)) {
      if (!modalities.every((m) => b.modalities.some((x) => x.name === m))) continue;
      out.set(fingerprintKey(b.id, modalities), await dataFingerprint(b, { modalities, ...(spec.dataDir ? { dataDir: spec.dataDir } : {}) }));
    }
  }
  return out;
}

/** The resolved scorer configurations of a grid (strict settings: an unknown key is an error). */
export function scorerConfigs(runs: readonly ScorerRun[]): ScorerConfig[] {
  return runs.map((run) => {
    const settings = parseScorerSettings(run.scorer, run.settings ?? {});
    const defaults = parseScorerSettings(run.scorer, {});
    return {
      id: run.scorer.id,
      key: scorerKeyOf(run.scorer.id, settings),
      settings,
      code: scorerCodeVersion(run.scorer.id),
      isDefault: canonicalJson(settings) === canonicalJson(defaults),
    };
  });
}

/** The grid: benchmarks x modality sets x recipes x seeds x splits, each cell scored by every scorer. */
export function planGrid(spec: GridSpec): GridPlan {
  const scorers = scorerConfigs(spec.scorers);
  const trainingCode = spec.trainingCode ?? trainingCodeVersion();
  const cells: CellTask[] = [];
  const notes: string[] = [];
  const overrides = spec.overrides ?? {};
  const unused = Object.keys(overrides).filter((k) => spec.recipes.every((r) => !(k in overridesFor(r, overrides))));
  if (unused.length) throw new InputError(`--set ${unused.join(', ')}: none of the recipes ${spec.recipes.map((r) => r.id).join(', ')} has this setting`);
  for (const benchmark of spec.benchmarks) {
    const sets = modalitySetsOf(spec, benchmark);
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
      const key = fingerprintKey(benchmark.id, modalities);
      const fingerprint = spec.dataFingerprints?.get(key) ?? (benchmark.dataFiles ? undefined : declarationFingerprint(benchmark));
      if (fingerprint === undefined) throw new Error(`planGrid: no data fingerprint for ${key} (compute them with fingerprintGrid)`);
      for (const recipe of spec.recipes) {
        let training: Record<string, unknown>;
        const recipeOverrides = overridesFor(recipe, overrides);
        try {
          training = { ...recipe.configure(benchmarkTrainingDefaults(benchmark, modalities), recipeOverrides) };
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
              trainingCode,
              defaultTraining: Object.keys(recipeOverrides).length === 0,
              scorers,
            };
            cells.push({
              id: cellId(config),
              trainingKey: trainingKey(config),
              config,
              overrides: recipeOverrides,
              ...(spec.dataDir ? { dataDir: spec.dataDir } : {}),
              ...(spec.benchmarkDirs?.length ? { benchmarkDirs: spec.benchmarkDirs } : {}),
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
