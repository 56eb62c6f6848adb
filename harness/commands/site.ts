import { Command } from 'commander';
import { buildSite } from '../site/build.ts';
import { DEFAULT_DB } from './show.ts';

export function siteCommand(): Command {
  const site = new Command('site').description('The static leaderboard site (Astro, site/)');
  site
    .command('build')
    .description('Fetch every result through the API in process and build the static site (works without JavaScript)')
    .option('--db <path>', 'results database (opened read-only)', DEFAULT_DB)
    .option('--out <dir>', 'output folder', 'site/dist')
    .option('--repo-url <url>', 'repository URL, for the link to CONTRIBUTING.md')
    .action(async (flags: { db: string; out: string; repoUrl?: string }) => {
      const report = await buildSite({ db: flags.db, out: flags.out, ...(flags.repoUrl ? { repoUrl: flags.repoUrl } : {}) });
      process.stderr.write(
        `site: ${report.pages} pages (${report.cells} cells) in ${report.out}; data ${report.collectSeconds.toFixed(1)} s, astro ${report.astroSeconds.toFixed(1)} s\n`,
      );
    });
  site.commands.forEach((c) => c.exitOverride().showHelpAfterError());
  return site;
}
