import { Command } from 'commander';
import { synthesizeModelOutputs } from '../../datasets/synthetic/model-outputs.ts';
import { InputError } from '../errors.ts';
import { evaluateOutputs } from '../evaluate.ts';
import { renderPaperTable } from '../report/paper-table.ts';
import { selectScorers } from '../scorer-selection.ts';

interface RunFlags {
  all?: boolean;
  scorers?: string;
  set: string[];
  seed: string;
  json?: boolean;
}

/**
 * The embedded default: generated model outputs shaped like a video+flow Near-OOD benchmark.
 * Training (A2D, NP-Mix) and the dataset grid plug in here as they land; today `run --all`
 * sweeps every scorer over these outputs so the whole scoring path runs on a fresh machine.
 */
export const EMBEDDED_OUTPUTS = {
  idClasses: 12,
  oodClasses: 10,
  modalities: [
    { name: 'video', dim: 96, signal: 1.6 },
    { name: 'flow', dim: 64, signal: 1.1 },
  ],
  sizes: { train: 1200, val: 360, test: 360, ood: 600 },
  noise: 1,
} as const;

export function runCommand(): Command {
  return new Command('run')
    .description('Run the benchmark: today, every scorer on the embedded generated outputs (training and datasets plug in later)')
    .option('--all', 'every scorer on every available benchmark')
    .option('--scorers <ids>', 'comma-separated scorer ids (default: all)')
    .option('--set <scorer.key=value>', 'override a scorer setting, repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--seed <n>', 'seed of the generated outputs', '0')
    .option('--json', 'print one JSON array of results (fractions)')
    .action((flags: RunFlags) => {
      if (!flags.all && !flags.scorers) throw new InputError('say what to run: --all, or --scorers msp,energy,...');
      const seed = Number(flags.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new InputError(`--seed ${flags.seed}: expected a non-negative integer`);
      const runs = selectScorers(flags.scorers, flags.set);
      const outputs = synthesizeModelOutputs({ seed, ...EMBEDDED_OUTPUTS });
      const results = evaluateOutputs(outputs, runs, { fitSplit: 'train' });
      if (flags.json) process.stdout.write(`${JSON.stringify(results)}\n`);
      else process.stdout.write(`${renderPaperTable(results, `embedded synthetic Near-OOD (video+flow), seed ${seed}, x100`)}\n`);
    });
}
