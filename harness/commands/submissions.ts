import { Command } from 'commander';
import { relative } from 'node:path';
import { InputError } from '../errors.ts';
import { loadSubmissionFiles, REPO_ROOT, SUBMISSIONS_DIR } from '../submissions/load.ts';
import type { Submission } from '../submissions/schema.ts';

/** Paths shown relative to the working directory when inside it. */
const shown = (p: string) => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

export interface ValidateOutcome {
  readonly ok: boolean;
  readonly lines: string[];
}

/** Validates submissions; every problem is one line `<file>: <field path>: <expected>`. */
export function validateSubmissions(paths: readonly string[]): ValidateOutcome {
  const r = loadSubmissionFiles(paths.length ? paths : [SUBMISSIONS_DIR]);
  const lines = r.problems.map((p) => (p.startsWith(REPO_ROOT) ? shown(p.split(': ')[0]!) + p.slice(p.indexOf(': ')) : p));
  if (!r.problems.length) lines.push(`${r.submissions.length} submission${r.submissions.length === 1 ? '' : 's'} valid`);
  return { ok: r.problems.length === 0, lines };
}

function describe(s: Submission): string {
  if (s.kind === 'reported') return `${s.rows.length} reported rows`;
  return `${s.method} (${s.entry})${Object.keys(s.settings).length ? ` ${JSON.stringify(s.settings)}` : ''}`;
}

/** The `bun harness run` arguments that run a code submission on the embedded benchmarks. */
export function runArgs(s: Submission, opts: { seeds: string; splits: string; epochs?: string; db?: string; workers?: string }): string[] {
  if (s.kind === 'reported') throw new InputError(`${s.id} is a reported submission: there is no code to run`);
  const args = ['run', '--seeds', opts.seeds, '--splits', opts.splits, '--db', opts.db ?? `results/submission-${s.id}.sqlite`];
  if (opts.workers) args.push('--workers', opts.workers);
  if (s.kind === 'training') {
    args.push('--recipes', s.method);
    for (const [k, v] of Object.entries(s.settings)) if (k !== 'epochs' || opts.epochs === undefined) args.push('--set', `${k}=${String(v)}`);
  } else {
    // a scorer is run on the main baseline recipe's models (cached models are reused)
    args.push('--recipes', 'baseline', '--scorers', s.method);
    for (const [k, v] of Object.entries(s.settings)) args.push('--set', `${s.method}.${k}=${String(v)}`);
  }
  if (opts.epochs !== undefined) args.push('--set', `epochs=${opts.epochs}`);
  return args;
}

export function submissionsCommand(): Command {
  const cmd = new Command('submissions').description('Leaderboard submissions in submissions/: validate, list, run');
  cmd
    .command('validate')
    .description('check submissions (default: every folder in submissions/); one line per problem, exit 2 when any')
    .argument('[paths...]', 'submission folders, submission.json files, or folders of submissions')
    .action((paths: string[]) => {
      const r = validateSubmissions(paths);
      (r.ok ? process.stdout : process.stderr).write(`${r.lines.join('\n')}\n`);
      if (!r.ok) process.exitCode = 2;
    });
  cmd
    .command('list')
    .description('list the submissions')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      const r = loadSubmissionFiles([SUBMISSIONS_DIR]);
      if (flags.json) process.stdout.write(`${JSON.stringify(r.submissions.map(({ submission: s }) => ({ id: s.id, kind: s.kind, title: s.title, paper: s.paper, ...(s.kind === 'reported' ? { rows: s.rows.length } : { method: s.method, entry: s.entry, settings: s.settings }) })))}\n`);
      else for (const { submission: s } of r.submissions) process.stdout.write(`${s.id.padEnd(28)} ${s.kind.padEnd(9)} ${describe(s)}  ${s.title}\n`);
      if (r.problems.length) {
        process.stderr.write(`${r.problems.length} problem(s); see bun harness submissions validate\n`);
        process.exitCode = 2;
      }
    });
  cmd
    .command('run')
    .description('run a code submission through the grid on the embedded benchmarks, into results/submission-<id>.sqlite')
    .argument('<id>', 'submission id')
    .option('--seeds <list>', 'seeds', '0')
    .option('--splits <list>', 'dataset splits', '0')
    .option('--epochs <n>', 'training epochs (default: the benchmark defaults)')
    .option('--workers <n>', 'parallel workers')
    .option('--db <path>', 'results database (default results/submission-<id>.sqlite)')
    .option('--dry-run', 'print the harness command and the plan, run nothing')
    .action(async (id: string, flags: { seeds: string; splits: string; epochs?: string; workers?: string; db?: string; dryRun?: boolean }) => {
      const r = loadSubmissionFiles([SUBMISSIONS_DIR]);
      const found = r.submissions.find((x) => x.submission.id === id);
      if (!found) {
        const bad = r.problems.filter((p) => p.includes(`/${id}/`));
        throw new InputError(bad.length ? `submission ${id} is invalid: ${bad[0]}` : `no submission ${id}; known: ${r.submissions.map((x) => x.submission.id).join(', ')}`);
      }
      const args = runArgs(found.submission, flags);
      if (flags.dryRun) args.push('--dry-run');
      process.stderr.write(`bun harness ${args.join(' ')}\n`);
      const child = Bun.spawn([process.execPath, `${REPO_ROOT}/harness/cli.ts`, ...args], { stdio: ['inherit', 'inherit', 'inherit'], cwd: process.cwd() });
      const code = await child.exited;
      if (code !== 0) process.exitCode = code;
    });
  return cmd;
}
