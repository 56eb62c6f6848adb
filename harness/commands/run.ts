import { Command, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { availableParallelism, cpus, freemem, hostname } from 'node:os';
import { estimateCellBytes, workersWithinMemory } from '../grid/memory.ts';
import { dirname, join, resolve } from 'node:path';
import type { Benchmark } from '../../datasets/benchmark.ts';
import { BENCHMARKS, benchmarkCatalog, findBenchmark } from '../../datasets/registry.ts';
import { loadDeclaredBenchmarks } from '../../datasets/declared/declared-benchmark.ts';
import { benchmarkRecord } from '../benchmark-record.ts';
import { parseOverrideAssignments, type RecipeOverrides } from '../../methods/training/recipe.ts';
import { recipeById, RECIPES } from '../../methods/training/recipes/index.ts';
import { BACKEND_NAMES, type BackendName } from '../backend.ts';
import { asInputError, asInputErrorSync, InputError } from '../errors.ts';
import { cellLabel, estimateCellSeconds, fingerprintGrid, MAIN_RECIPES, parseIntList, parseShard, planGrid, shardCells, type GridPlan } from '../grid/plan.ts';
import { formatDuration, gridProgress, summaryLine } from '../grid/progress.ts';
import { runGrid, workerPool } from '../grid/runner.ts';
import { selectScorers } from '../scorer-selection.ts';
import { openStore } from '../store/index.ts';
import { DEFAULT_DB, loadLeaderboard, renderLeaderboard } from './show.ts';
import pkg from '../../package.json';

export { MAIN_RECIPES };

/**
 * Default dataset splits: the first two of each benchmark (synthetic-near has 5). With the 6 main
 * recipes, 3 seeds and both embedded benchmarks (synthetic-far has 2 modality sets) that is
 * 6 x 3 x (2 + 2) = 72 cells, measured at 5m02s on 2 cores (`bun harness run --all`, wasm); `--splits 0-4` runs all.
 */
export const DEFAULT_SPLITS = '0-1';

interface RunFlags {
  all?: boolean;
  benchmark?: string;
  modalities?: string;
  recipes?: string;
  scorers?: string;
  seeds: string;
  splits: string;
  set: string[];
  backend: BackendName;
  workers?: string;
  memory?: string;
  db: string;
  dataDir?: string;
  benchmarkDir: string[];
  json?: boolean;
  shard?: string;
  dryRun?: boolean;
}

/** --memory in bytes (0.8 of it is used, as of free memory), or undefined when absent. */
function memoryBudget(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const gib = Number(value);
  if (!(gib > 0) || !Number.isFinite(gib)) throw new InputError(`--memory ${value}: expected a positive number of GiB, e.g. 8`);
  return gib * 1024 ** 3;
}

function list(value: string | undefined): string[] | undefined {
  const xs = value?.split(',').map((s) => s.trim()).filter(Boolean);
  return xs?.length ? xs : undefined;
}

function gitCommit(): string | null {
  try {
    const r = Bun.spawnSync(['git', 'rev-parse', 'HEAD'], { stdout: 'pipe', stderr: 'ignore' });
    return r.exitCode === 0 ? r.stdout.toString().trim() || null : null;
  } catch {
    return null;
  }
}

export interface ResolvedRun {
  readonly plan: GridPlan;
  /** the cells of this shard (all when not sharded) */
  readonly cells: GridPlan['cells'];
  readonly skippedBenchmarks: readonly { readonly id: string; readonly hint?: string }[];
  readonly shard: { readonly k: number; readonly n: number } | null;
  readonly benchmarks: readonly Benchmark[];
}

/** Flags -> plan (reads the data only to fingerprint it; writes nothing). */
export async function resolveRun(flags: RunFlags): Promise<ResolvedRun> {
  if (!flags.all && !flags.benchmark && !flags.recipes && !flags.benchmarkDir?.length) throw new InputError('say what to run: --all, or --benchmark / --benchmark-dir / --recipes');
  const sources = { ...(flags.dataDir ? { dataDir: flags.dataDir } : {}), benchmarkDirs: flags.benchmarkDir ?? [] };
  const catalog = asInputErrorSync(() => benchmarkCatalog(sources));
  // A folder given explicitly must be usable; one found under the data folder is reported and skipped.
  if (sources.benchmarkDirs.length && catalog.problems.length) throw new InputError(catalog.problems[0]!);
  // --benchmark-dir alone runs the benchmarks of those folders.
  const fromDirs = loadDeclaredBenchmarks(sources.benchmarkDirs.map((d) => resolve(d))).benchmarks.map((b) => b.id);
  const named = list(flags.benchmark) ?? (fromDirs.length && !flags.all ? fromDirs : undefined);
  let benchmarks: Benchmark[];
  const skippedBenchmarks: { id: string; hint?: string }[] = catalog.problems.map((p) => ({ id: 'declared benchmark', hint: p }));
  if (named) {
    benchmarks = named.map((id) => {
      const b = asInputErrorSync(() => findBenchmark(id, sources));
      if (!b) throw new InputError(`--benchmark ${id}: unknown; known: ${catalog.benchmarks.map((x) => x.id).join(', ')}`);
      const { available, hint } = b.availability(flags.dataDir);
      if (!available) throw new InputError(`--benchmark ${id}: its data is not here${hint ? `: ${hint}` : ''}`);
      return b;
    });
  } else {
    benchmarks = [];
    for (const b of catalog.benchmarks) {
      const a = b.availability(flags.dataDir);
      if (a.available) benchmarks.push(b);
      else skippedBenchmarks.push({ id: b.id, ...(a.hint ? { hint: a.hint } : {}) });
    }
  }
  const recipes = (list(flags.recipes) ?? [...MAIN_RECIPES]).map((id) => {
    const r = recipeById(id);
    if (!r) throw new InputError(`--recipes ${id}: unknown; known: ${RECIPES.map((x) => x.id).join(', ')}`);
    return r;
  });
  // --set KEY=VALUE trains, --set SCORER.KEY=VALUE tunes a scorer (as in `train`).
  const scorerSets = flags.set.filter((s) => /^[^=]*\./.test(s));
  let overrides: RecipeOverrides;
  try {
    overrides = parseOverrideAssignments(flags.set.filter((s) => !scorerSets.includes(s)));
  } catch (e) {
    throw new InputError(`--set ${e instanceof Error ? e.message : String(e)}`);
  }
  const modalities = flags.modalities ? { modalities: list(flags.modalities) ?? [] } : {};
  const dataFingerprints = await asInputError(() => fingerprintGrid({ benchmarks, ...modalities, ...(flags.dataDir ? { dataDir: flags.dataDir } : {}) }));
  const plan = planGrid({
    benchmarks,
    ...modalities,
    recipes,
    seeds: parseIntList('--seeds', flags.seeds),
    splits: parseIntList('--splits', flags.splits),
    scorers: selectScorers(flags.scorers, scorerSets),
    overrides,
    backend: flags.backend,
    dataFingerprints,
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
    ...(sources.benchmarkDirs.length ? { benchmarkDirs: sources.benchmarkDirs.map((d) => resolve(d)) } : {}),
  });
  const shard = flags.shard ? parseShard(flags.shard) : null;
  return { plan, cells: shard ? shardCells(plan.cells, shard.k, shard.n) : plan.cells, skippedBenchmarks, shard, benchmarks };
}

function planCounts(cells: GridPlan['cells']) {
  const by = <K extends string>(key: (c: GridPlan['cells'][number]) => K) => {
    const m: Record<string, number> = {};
    for (const c of cells) m[key(c)] = (m[key(c)] ?? 0) + 1;
    return m;
  };
  return {
    cells: cells.length,
    byBenchmark: by((c) => `${c.config.benchmark} ${c.config.modalities.join('+')}`),
    byRecipe: by((c) => c.config.recipe),
    scorersPerCell: Object.keys(cells[0]?.config.scorers ?? {}).length,
  };
}

export async function runAction(flags: RunFlags, command = 'run'): Promise<void> {
  const r = await resolveRun(flags);
  const workers = flags.workers === undefined ? availableParallelism() : parseIntList('--workers', flags.workers)[0]!;
  if (workers < 1) throw new InputError('--workers: at least 1');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  if (r.skippedBenchmarks.length) {
    log(`skipping ${r.skippedBenchmarks.length} benchmarks whose data is not here (see bun harness datasets list):`);
    for (const s of r.skippedBenchmarks) log(`  ${s.id}${s.hint ? `: ${s.hint}` : ''}`);
  }
  for (const note of r.plan.notes) log(`left out: ${note}`);

  // No more workers than the largest cell's memory allows (estimated from the declared sizes).
  const cellBytes = Math.max(0, ...r.cells.map((c) => estimateCellBytes(r.benchmarks.find((b) => b.id === c.config.benchmark)!, c.config.modalities)));
  const budget = workersWithinMemory(Math.max(1, Math.min(workers, r.cells.length)), cellBytes, memoryBudget(flags.memory) ?? freemem());
  if (budget.reason) log(budget.reason);
  const lanes = budget.workers;
  const estimate = r.cells.reduce((s, c) => s + estimateCellSeconds(c), 0) / lanes;
  if (flags.dryRun) {
    const counts = planCounts(r.cells);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ...counts, shard: flags.shard ?? null, workers: lanes, estimateSeconds: estimate, cellIds: r.cells.map((c) => c.id), cells: r.cells.map((c) => ({ id: c.id, config: c.config })) })}\n`);
      return;
    }
    const lines = [
      `${counts.cells} cells${r.shard ? ` (shard ${r.shard.k}/${r.shard.n} of ${r.plan.cells.length})` : ''}, ${counts.scorersPerCell} scorers each; estimated ${formatDuration(estimate)} on ${lanes} workers`,
      ...Object.entries(counts.byBenchmark).map(([k, v]) => `  ${k}: ${v}`),
      `  recipes: ${Object.entries(counts.byRecipe).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ...r.cells.map((c) => `${c.id.slice(0, 12)}  ${cellLabel(c.config)}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }

  mkdirSync(dirname(flags.db) || '.', { recursive: true });
  const store = openStore(flags.db);
  store.recordBenchmarks(r.benchmarks.map(benchmarkRecord));
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    log('\ninterrupted: stopping (cells in flight are lost; run the same command again to resume)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let summary;
  try {
    summary = await runGrid({
      cells: r.cells,
      store,
      meta: {
        command: [command, ...process.argv.slice(3)].join(' '),
        gitCommit: gitCommit(),
        harnessVersion: pkg.version,
        backend: flags.backend,
        machine: `${hostname()} (${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores)`,
        shard: flags.shard ?? null,
        startedAt: new Date().toISOString(),
      },
      executor: workerPool(lanes, flags.backend, join(dirname(flags.db), 'outputs')),
      observer: gridProgress(),
      signal: controller.signal,
      estimate: estimateCellSeconds,
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    store.close();
  }
  if (flags.json) process.stdout.write(`${JSON.stringify({ ...summary, summary: summaryLine(summary) })}\n`);
  else if (!summary.interrupted && summary.done + summary.alreadyDone > 0) {
    const rows = loadLeaderboard(flags.db, [...new Set(r.cells.map((c) => c.config.benchmark))]);
    if (rows.length) process.stdout.write(`${renderLeaderboard(rows)}\n`);
  }
  if (summary.interrupted) process.exitCode = 130;
  else if (summary.failed.length) process.exitCode = 1;
}

export function runCommand(): Command {
  return new Command('run')
    .description('Run the benchmark grid (benchmarks x modality sets x recipes x seeds x splits, every scorer), resumable, into a results database')
    .option('--all', `every benchmark whose data is here, with the main recipes (${MAIN_RECIPES.join(', ')})`)
    .option('--benchmark <ids>', `comma-separated benchmark ids (default: every one whose data is here: ${BENCHMARKS.map((b) => b.id).join(', ')})`)
    .addOption(new Option('--benchmarks <ids>').hideHelp().conflicts('benchmark'))
    .option('--modalities <names>', "one modality set for every benchmark, e.g. video,flow (default: each benchmark's modality sets)")
    .option('--recipes <ids>', `comma-separated recipes (default: ${MAIN_RECIPES.join(', ')}; ablations: ${RECIPES.map((r) => r.id).filter((id) => !(MAIN_RECIPES as readonly string[]).includes(id)).join(', ')})`)
    .option('--scorers <ids>', 'comma-separated scorer ids (default: all)')
    .option('--seeds <list>', 'seeds, e.g. 0,1,2 or 0-4', '0,1,2')
    .option('--splits <list>', `dataset split indices, capped by each benchmark's splits (default ${DEFAULT_SPLITS}; 0-4 runs all of synthetic-near's)`, DEFAULT_SPLITS)
    .option('--set <key=value>', 'override a training setting (epochs=2) or a scorer setting (knn.k=50); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_NAMES).default('wasm'))
    .option('--workers <n>', `parallel workers (default: one per core, ${availableParallelism()} here)`)
    .option('--memory <GiB>', "memory the workers may use together, e.g. 8 on a shared machine (default: the machine's free memory)")
    .option('--db <path>', 'results database (trained outputs are cached in outputs/ beside it)', DEFAULT_DB)
    .option('--data-dir <dir>', 'data folder (default: $MULTIOOD_DATA, else ~/.multiood/data); declared benchmarks in <data-dir>/benchmarks/* are found too')
    .option('--benchmark-dir <dir>', 'a declared benchmark\'s folder (benchmark.json + .npy files); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--shard <K/N>', 'run only the K-th of N deterministic parts of the plan (merge the databases with bun harness merge)')
    .option('--dry-run', 'print the plan (cells, counts, estimated time) and exit')
    .option('--json', 'print JSON (the plan with --dry-run, else the run summary) instead of text')
    .action((flags: RunFlags & { benchmarks?: string }) => runAction({ ...flags, ...(flags.benchmarks && !flags.benchmark ? { benchmark: flags.benchmarks } : {}) }));
}
