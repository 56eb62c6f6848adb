import { Command, Option } from 'commander';
import type { Benchmark } from '../../datasets/benchmark.ts';
import { BENCHMARKS, benchmarkCatalog, findBenchmark } from '../../datasets/registry.ts';
import { parseOverrideAssignments, type RecipeOverrides, type TrainingRecipe } from '../../methods/training/recipe.ts';
import { RECIPES, recipeById } from '../../methods/training/recipes/index.ts';
import type { EpochRecord, TrainProgress } from '../../methods/training/train.ts';
import { BACKEND_NAMES, initBackend, type BackendName } from '../backend.ts';
import { asInputErrorSync, InputError } from '../errors.ts';
import { runTraining, type ProgressSink, type TrainingRun } from '../pipeline.ts';
import { renderPaperTable } from '../report/paper-table.ts';
import { selectScorers } from '../scorer-selection.ts';

function formatTerms(r: EpochRecord): string {
  return [`loss ${r.loss.toFixed(4)}`, ...Object.entries(r.terms).map(([k, v]) => `${k} ${v!.toFixed(4)}`)].join(' ');
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * Progress on stderr: one live line redrawn in place on a TTY (epoch, step, last epoch's loss
 * terms and val accuracy, ETA), plain lines per epoch otherwise (logs, CI).
 */
export function stderrProgress(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  const tty = stream.isTTY === true;
  const started = performance.now();
  let last: EpochRecord | undefined;
  let lastDraw = 0;
  const eta = (p: TrainProgress) => {
    const done = p.epoch * p.steps + p.step;
    const total = p.epochs * p.steps;
    const elapsed = (performance.now() - started) / 1000;
    return done > 0 ? (elapsed * (total - done)) / done : NaN;
  };
  return {
    step(p) {
      if (!tty) return;
      const now = performance.now();
      if (now - lastDraw < 100 && p.step !== p.steps) return;
      lastDraw = now;
      const summary = last ? ` | ${formatTerms(last)} | val ${(last.valAcc * 100).toFixed(2)}%` : '';
      const line = `${label} epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.steps}${summary} | ETA ${formatDuration(eta(p))}`;
      const width = stream.columns ?? 120;
      stream.write(`\r\x1b[2K${line.length > width - 1 ? line.slice(0, width - 1) : line}`);
    },
    epoch(r, epochs) {
      last = r;
      if (!tty) {
        stream.write(`${label} epoch ${r.epoch + 1}/${epochs} ${formatTerms(r)} train ${(r.trainAcc * 100).toFixed(2)}% val ${(r.valAcc * 100).toFixed(2)}% (${r.seconds.toFixed(1)} s)\n`);
      }
    },
    done() {
      if (tty) stream.write('\r\x1b[2K');
    },
  };
}

/** The table, the best epoch and the modality prediction discrepancies, as printed without --json. */
export function renderTrainingReport(run: TrainingRun, benchmark: Benchmark, recipe: TrainingRecipe, seed: number): string {
  const { result } = run;
  const title = `${benchmark.title}: ${recipe.title} (${run.modalities.join('+')}), seed ${seed}, x100`;
  const best = result.curve[result.bestEpoch];
  const lines = [
    renderPaperTable(run.evaluation.results, title),
    ...run.evaluation.skipped.map((s) => `skipped ${s.scorer}: ${s.reason}`),
    `best epoch ${result.bestEpoch + 1}/${result.curve.length} (val acc ${((best?.valAcc ?? NaN) * 100).toFixed(2)}%)`,
    run.modalities.length < 2
      ? 'modality prediction discrepancy: none (one modality)'
      : `modality prediction discrepancy: l_ID ${result.discrepancy.lId.toFixed(4)}  ${Object.entries(result.discrepancy.lOod).map(([n, v]) => `l_OOD(${n}) ${v.toFixed(4)}`).join('  ')}`,
  ];
  return lines.join('\n');
}

interface TrainFlags {
  benchmark: string;
  recipe: string;
  modalities?: string;
  seed: string;
  epochs?: string;
  set: string[];
  scorers?: string;
  split?: string;
  dataDir?: string;
  benchmarkDir?: string[];
  backend: BackendName;
  json?: boolean;
}

function nonNegativeInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InputError(`${flag} ${value}: expected a non-negative integer`);
  return n;
}

export async function trainAction(flags: TrainFlags): Promise<void> {
  const sources = { ...(flags.dataDir ? { dataDir: flags.dataDir } : {}), benchmarkDirs: flags.benchmarkDir ?? [] };
  const benchmark = asInputErrorSync(() => findBenchmark(flags.benchmark, sources));
  if (!benchmark) throw new InputError(`--benchmark ${flags.benchmark}: unknown; known: ${benchmarkCatalog(sources).benchmarks.map((b) => b.id).join(', ')}`);
  const recipe = recipeById(flags.recipe);
  if (!recipe) throw new InputError(`--recipe ${flags.recipe}: unknown; known: ${RECIPES.map((r) => r.id).join(', ')}`);
  const seed = nonNegativeInt('--seed', flags.seed);
  // --set KEY=VALUE trains, --set SCORER.KEY=VALUE tunes a scorer.
  const scorerSets = flags.set.filter((s) => /^[^=]*\./.test(s));
  const trainingSets = flags.set.filter((s) => !scorerSets.includes(s));
  if (flags.epochs !== undefined) trainingSets.push(`epochs=${flags.epochs}`);
  let overrides: RecipeOverrides;
  try {
    overrides = parseOverrideAssignments(trainingSets);
  } catch (e) {
    throw new InputError(`--set ${e instanceof Error ? e.message : String(e)}`);
  }
  const scorers = selectScorers(flags.scorers, scorerSets);
  const modalities = flags.modalities?.split(',').map((s) => s.trim()).filter(Boolean);
  const split = flags.split === undefined ? undefined : nonNegativeInt('--split', flags.split);
  if (split !== undefined && split >= benchmark.splits) throw new InputError(`--split ${split}: ${benchmark.id} has splits 0..${benchmark.splits - 1}`);

  const backend = await initBackend(flags.backend);
  process.stderr.write(`training ${recipe.id} on ${benchmark.id}, seed ${seed}, backend ${backend.tfBackend}${backend.simd ? ' (SIMD)' : ''}\n`);
  const run = await runTraining({
    benchmark,
    recipe,
    ...(modalities ? { modalities } : {}),
    seed,
    overrides,
    scorers,
    ...(split !== undefined ? { split } : {}),
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
    progress: stderrProgress(`[${recipe.id}]`),
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(run.rows)}\n`);
  else process.stdout.write(`${renderTrainingReport(run, benchmark, recipe, seed)}\n`);
}

export function trainCommand(): Command {
  return new Command('train')
    .description('Train one model with a recipe (baseline, A2D, NP-Mix, ...) on a benchmark, then evaluate every scorer on it')
    .requiredOption('--benchmark <id>', `benchmark id (${BENCHMARKS.map((b) => b.id).join(', ')})`)
    .requiredOption('--recipe <id>', `training recipe (${RECIPES.map((r) => r.id).join(', ')})`)
    .option('--modalities <names>', 'comma-separated modalities in concatenation order (default: the benchmark\'s first set)')
    .option('--seed <n>', 'seed of initialisation, shuffles, dropout and outlier synthesis', '0')
    .option('--epochs <n>', 'shortcut for --set epochs=N')
    .option('--set <key=value>', 'override a training setting (epochs, lr, weightDecay, batchSize, dropout, encoder, hidden, a2dWeight, ood, ent, startEpoch, distance, synthesis, tau, queueSize, nnK, alpha) or a scorer setting (knn.k=50); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--scorers <ids>', 'comma-separated scorer ids (default: all)')
    .option('--split <n>', 'dataset split (class partition) index (default: 0)')
    .option('--data-dir <dir>', 'data folder, for benchmarks backed by files (declared benchmarks in <data-dir>/benchmarks/* too)')
    .option('--benchmark-dir <dir>', 'a declared benchmark\'s folder (benchmark.json + .npy files); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_NAMES).default('wasm'))
    .option('--json', 'print one JSON array of result rows (fractions) with recipe, seed, l_id and l_ood')
    .action((flags: TrainFlags) => trainAction(flags));
}
