import { Command } from 'commander';
import Table from 'cli-table3';
import { SCORERS } from '../../methods/scorers/index.ts';
import { tableStyle } from '../report/table-style.ts';

export function scorersCommand(): Command {
  return new Command('scorers')
    .description('List the post-hoc scorers with their default settings and papers')
    .option('--json', 'print JSON instead of a table')
    .action((flags: { json?: boolean }) => {
      const rows = SCORERS.map((s) => ({ id: s.id, title: s.title, defaults: s.settings.parse({}), paper: s.paper.url, summary: s.summary }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const table = new Table({ head: ['id', 'name', 'defaults', 'paper'], ...tableStyle() });
      for (const r of rows) table.push([r.id, r.title, JSON.stringify(r.defaults), r.paper]);
      process.stdout.write(`${table.toString()}\n`);
    });
}
