import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkSubmission, type RepoAccess, type ReportedRow, type Submission } from './schema.ts';

/** The repository root (this file is harness/submissions/load.ts). */
export const REPO_ROOT = resolve(import.meta.dir, '..', '..');
/** The submissions folder of this checkout. */
export const SUBMISSIONS_DIR = join(REPO_ROOT, 'submissions');

export const repoAccess = (root = REPO_ROOT): RepoAccess => ({
  exists: (p) => existsSync(join(root, p)),
  read: (p) => readFileSync(join(root, p), 'utf8'),
});

export interface LoadedSubmission {
  readonly file: string;
  readonly submission: Submission;
}

export interface LoadResult {
  readonly submissions: LoadedSubmission[];
  /** one line each: `<file>: <field path>: <what was expected>` */
  readonly problems: string[];
}

/** `submission.json` files of the given paths: a submission.json, a submission folder, or a folder of submission folders. */
export function submissionFiles(paths: readonly string[]): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) {
      problems.push(`${p}: (path): expected a submission folder or submission.json, nothing is there`);
      continue;
    }
    if (statSync(p).isFile()) files.push(p);
    else if (existsSync(join(p, 'submission.json'))) files.push(join(p, 'submission.json'));
    else {
      const subdirs = readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
      for (const d of subdirs.sort((a, b) => a.name.localeCompare(b.name))) {
        const f = join(p, d.name, 'submission.json');
        if (existsSync(f)) files.push(f);
        else problems.push(`${join(p, d.name)}: (folder): expected a submission.json`);
      }
    }
  }
  return { files, problems };
}

/** Parses and checks submissions (plus duplicate ids across them). */
export function loadSubmissionFiles(paths: readonly string[], repo: RepoAccess = repoAccess()): LoadResult {
  const { files, problems } = submissionFiles(paths);
  const submissions: LoadedSubmission[] = [];
  const ids = new Map<string, string>();
  for (const file of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      problems.push(`${file}: (root): expected valid JSON (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
      continue;
    }
    const folder = basename(file) === 'submission.json' ? basename(dirname(resolve(file))) : null;
    const r = checkSubmission(raw, folder, repo);
    for (const p of r.problems) problems.push(`${file}: ${p}`);
    const id = r.submission?.id ?? (raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined);
    if (id !== undefined) {
      const other = ids.get(id);
      if (other !== undefined) problems.push(`${file}: id: expected an id no other submission uses, "${id}" is also ${other}'s`);
      else ids.set(id, file);
    }
    if (r.submission) submissions.push({ file, submission: r.submission });
  }
  return { submissions, problems };
}

/** Every submission in `dir` (one folder each). */
export function loadSubmissions(dir: string = SUBMISSIONS_DIR): LoadResult {
  return loadSubmissionFiles([dir]);
}

/** A reported row with where it comes from, labelled so it is never mistaken for a reproduced result. */
export interface ReportedResult extends ReportedRow {
  readonly kind: 'reported';
  readonly submission: string;
  readonly title: string;
  readonly paper: string;
  readonly source: { readonly paper: string; readonly url: string; readonly venue?: string };
}

/** The rows of every valid `reported` submission in `dir` (invalid submissions are left out; `submissions validate` names them). */
export function reportedRows(dir: string = SUBMISSIONS_DIR): ReportedResult[] {
  const out: ReportedResult[] = [];
  for (const { submission: s } of loadSubmissions(dir).submissions) {
    if (s.kind !== 'reported') continue;
    for (const row of s.rows) out.push({ kind: 'reported', submission: s.id, title: s.title, paper: s.paper, source: s.source, ...row });
  }
  return out;
}
