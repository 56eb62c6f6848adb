import { Command } from 'commander';
import { InputError } from '../errors.ts';
import { exportStore, importExports } from '../store/export.ts';
import { DEFAULT_DB } from './show.ts';

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

export function exportCommand(): Command {
  return new Command('export')
    .description('Write the done cells of a database as reviewable JSON, one <benchmark>.json per benchmark (provenance, configuration, results, diagnostics)')
    .option('--db <path>', 'results database (opened read-only)', DEFAULT_DB)
    .requiredOption('--out <dir>', 'folder to write <benchmark>.json files into (a file per benchmark is replaced)')
    .option('--benchmark <ids>', 'only these benchmarks (comma-separated)', list)
    .option('--json', 'print the report as JSON')
    .action((flags: { db: string; out: string; benchmark?: string[]; json?: boolean }) => {
      const reports = exportStore(flags.db, flags.out, flags.benchmark ? { benchmarks: flags.benchmark } : {});
      if (flags.json) return void process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      for (const r of reports) process.stdout.write(`${r.file}: ${r.cells} cells, ${r.results} results, ${r.runs} runs\n`);
      if (reports.length === 0) process.stdout.write(`${flags.db}: no done cells to export\n`);
    });
}

export function importCommand(): Command {
  return new Command('import')
    .description('Import results exports (files or folders of <benchmark>.json) into a database; several contributors\' exports merge like shard databases')
    .argument('<paths...>', 'export files or folders (searched for *.json)')
    .option('--db <path>', 'database to import into (created if missing)')
    .option('--check', 'validate only (schema, identities, conflicts between the files); writes nothing')
    .option('--json', 'print the report as JSON')
    .action((paths: string[], flags: { db?: string; check?: boolean; json?: boolean }) => {
      if (flags.check && flags.db) throw new InputError('--check writes nothing: give either --check or --db');
      const report = importExports(flags.check ? null : (flags.db ?? DEFAULT_DB), paths);
      if (flags.json) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      for (const f of report.files) process.stdout.write(`${f.file}: ${f.benchmark}, ${f.cells} cells${flags.check ? ', valid' : ''}\n`);
      if (flags.check) return;
      for (const r of report.merged) process.stdout.write(`${r.file}: ${r.cellsAdded} cells added, ${r.cellsReplaced} failed cells replaced, ${r.cellsUnchanged} unchanged, ${r.runsAdded} runs added\n`);
    });
}
