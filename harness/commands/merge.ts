import { Command } from 'commander';
import { mergeStores } from '../store/merge.ts';

export function mergeCommand(): Command {
  return new Command('merge')
    .description('Merge shard databases into OUT (idempotent; one transaction per input; a conflicting cell is an error)')
    .argument('<out>', 'database to merge into (created if missing)')
    .argument('<inputs...>', 'shard databases')
    .option('--json', 'print the per-input report as JSON')
    .action((out: string, inputs: string[], flags: { json?: boolean }) => {
      const reports = mergeStores(out, inputs);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
        return;
      }
      for (const r of reports) {
        process.stdout.write(`${r.input}: ${r.cellsAdded} cells added, ${r.cellsReplaced} failed cells replaced, ${r.cellsUnchanged} unchanged, ${r.runsAdded} runs added\n`);
      }
    });
}
