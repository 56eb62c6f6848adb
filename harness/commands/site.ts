import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { InputError } from '../errors.ts';
import { buildSite } from '../site/build.ts';
import { importExports } from '../store/export.ts';
import { DEFAULT_DB } from './show.ts';

export function siteCommand(): Command {
  const site = new Command('site').description('The static leaderboard site (Astro, site/)');
  site
    .command('build')
    .description('Fetch every result through the API in process and build the static site (works without JavaScript)')
    .option('--db <path>', `results database (opened read-only; default ${DEFAULT_DB})`)
    .option('--from-export <paths...>', 'build from results exports (files or folders of <benchmark>.json) instead of a database: they are imported into a temporary one')
    .option('--out <dir>', 'output folder', 'site/dist')
    .option('--repo-url <url>', 'repository URL, for the link to CONTRIBUTING.md')
    .action(async (flags: { db?: string; fromExport?: string[]; out: string; repoUrl?: string }) => {
      if (flags.db && flags.fromExport) throw new InputError('give either --db or --from-export, not both');
      let work: string | null = null;
      let db = flags.db ?? DEFAULT_DB;
      try {
        if (flags.fromExport) {
          work = mkdtempSync(join(tmpdir(), 'multiood-site-export-'));
          db = join(work, 'results.sqlite');
          const imported = importExports(db, flags.fromExport);
          process.stderr.write(`site: imported ${imported.files.length} export files (${imported.merged.reduce((n, r) => n + r.cellsAdded, 0)} cells)\n`);
        }
        const report = await buildSite({ db, out: flags.out, ...(flags.repoUrl ? { repoUrl: flags.repoUrl } : {}) });
        process.stderr.write(
          `site: ${report.pages} pages (${report.cells} cells) in ${report.out}; data ${report.collectSeconds.toFixed(1)} s, astro ${report.astroSeconds.toFixed(1)} s\n`,
        );
      } finally {
        if (work) rmSync(work, { recursive: true, force: true });
      }
    });
  site.commands.forEach((c) => c.exitOverride().showHelpAfterError());
  return site;
}
