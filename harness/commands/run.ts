import { Command, Option } from 'commander';
import { BENCHMARKS, benchmarkById } from '../../datasets/registry.ts';
import { recipeById, RECIPES } from '../../methods/training/recipes/index.ts';
import { BACKEND_NAMES, initBackend } from '../backend.ts';
import { InputError } from '../errors.ts';
import { renderPaperTable } from '../report/paper-table.ts';
import { selectScorers } from '../scorer-selection.ts';
import { runTraining, stderrProgress, type TrainRow } from './train.ts';

/** The recipes of the paper's main tables; ablations are asked for by name. */
export const MAIN_RECIPES = ['baseline', 'a2d', 'a2d_npmix'] as const;

interface RunFlags {
  all?: boolean;
  benchmarks?: string;
  recipes?: string;
  seeds: string;
  scorers?: string;
  set: string[];
  backend: (typeof BACKEND_NAMES)[number];
  dataDir?: string;
  json?: boolean;
}

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter(Boolean);
}

function parseSeeds(value: string): number[] {
  const seeds = value.split(',').flatMap((part) => {
    const range = /^(\d+)-(\d+)$/.exec(part.trim());
    if (range) return Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i);
    if (!/^\d+$/.test(part.trim())) throw new InputError(`--seeds ${value}: expected integers and ranges, e.g. 0,1,2 or 0-4`);
    return [Number(part)];
  });
  if (seeds.length === 0) throw new InputError(`--seeds ${value}: no seed`);
  return seeds;
}

/**
 * Trains every chosen recipe on every chosen benchmark and seed, and scores each model with
 * every scorer. The resumable, sharded grid with its SQLite store builds on this loop.
 */
export async function runAction(flags: RunFlags): Promise<void> {
  if (!flags.all && !flags.benchmarks && !flags.recipes) throw new InputError('say what to run: --all, or --benchmarks / --recipes');
  const named = list(flags.benchmarks);
  const benchmarks = named
    ? named.map((id) => {
        const b = benchmarkById(id);
        if (!b) throw new InputError(`--benchmarks ${id}: unknown; known: ${BENCHMARKS.map((x) => x.id).join(', ')}`);
        const { available, hint } = b.availability(flags.dataDir);
        if (!available) throw new InputError(`--benchmarks ${id}: its data is not here${hint ? `: ${hint}` : ''}`);
        return b;
      })
    : BENCHMARKS.filter((b) => b.availability(flags.dataDir).available);
  const skipped = BENCHMARKS.filter((b) => !named && !benchmarks.includes(b));
  if (skipped.length) process.stderr.write(`skipping ${skipped.length} benchmarks whose data is not here (see bun harness datasets list): ${skipped.map((b) => b.id).join(', ')}\n`);
  const recipes = (list(flags.recipes) ?? [...MAIN_RECIPES]).map((id) => {
    const r = recipeById(id);
    if (!r) throw new InputError(`--recipes ${id}: unknown; known: ${RECIPES.map((x) => x.id).join(', ')}`);
    return r;
  });
  const seeds = parseSeeds(flags.seeds);
  const scorers = selectScorers(flags.scorers, flags.set);
  const backend = await initBackend(flags.backend);
  const total = benchmarks.length * recipes.length * seeds.length;
  process.stderr.write(`${total} training runs (${benchmarks.length} benchmarks x ${recipes.length} recipes x ${seeds.length} seeds), ${scorers.length} scorers each, backend ${backend.tfBackend}\n`);

  const rows: TrainRow[] = [];
  let done = 0;
  for (const benchmark of benchmarks) {
    for (const recipe of recipes) {
      for (const seed of seeds) {
        done++;
        const run = await runTraining({ benchmark, recipe, seed, scorers, ...(flags.dataDir ? { dataDir: flags.dataDir } : {}), progress: stderrProgress(`[${done}/${total} ${benchmark.id} ${recipe.id} seed ${seed}]`) });
        rows.push(...run.rows);
        if (!flags.json) {
          const title = `${benchmark.title}: ${recipe.title} (${run.modalities.join('+')}), seed ${seed}, x100`;
          process.stdout.write(`${renderPaperTable(run.scores, title)}\n`);
        }
      }
    }
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
}

export function runCommand(): Command {
  return new Command('run')
    .description('Run the benchmark: train each recipe on each benchmark and seed, score every model with every scorer')
    .option('--all', `every benchmark whose data is here, with the main recipes (${MAIN_RECIPES.join(', ')})`)
    .option('--benchmarks <ids>', `comma-separated benchmark ids (default: all: ${BENCHMARKS.map((b) => b.id).join(', ')})`)
    .option('--recipes <ids>', `comma-separated recipes (default: ${MAIN_RECIPES.join(', ')})`)
    .option('--seeds <list>', 'seeds, e.g. 0,1,2 or 0-4', '0')
    .option('--scorers <ids>', 'comma-separated scorer ids (default: all)')
    .option('--set <scorer.key=value>', 'override a scorer setting, repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_NAMES).default('wasm'))
    .option('--data-dir <dir>', 'data folder (default: $MULTIOOD_DATA, else ~/.multiood/data)')
    .option('--json', 'print one JSON array of result rows (fractions) instead of tables')
    .action((flags: RunFlags) => runAction(flags));
}
