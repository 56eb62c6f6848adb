import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkSubmission, type RepoAccess, type ReportedRow, type Submission } from './schema.ts';

/** The repository root (this file is harness/submissions/load.ts). */
export const REPO_ROOT = resolve(import.meta.dir, '..', '..');
/** The submissions folder of this checkout. */
export const SUBMISSIONS_DIR = join(REPO_ROOT, 'submissions');

/** A submission.json larger than this is refused unread (the seeded paper's 400 rows are ~70 KB). */
export const MAX_SUBMISSION_BYTES = 1024 * 1024;
/** A method file a submission names is read to find its id; larger ones are refused unread. */
export const MAX_ENTRY_BYTES = 1024 * 1024;

/** What a non-regular file is, for the refusal. */
function fileKind(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The text of a regular file of at most `maxBytes`, read without following a symlink and without
 * blocking on a FIFO (O_NOFOLLOW | O_NONBLOCK, then fstat on the opened descriptor, so nothing can
 * be swapped in between). A pull request can commit a symlink to a token file or to /dev/zero;
 * this refuses it with one line, never reading what it points at.
 */
export function readRegularFile(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new SubmissionFileError('expected a regular file, found a symlink');
    if (code === 'ENXIO') throw new SubmissionFileError('expected a regular file, found a socket or FIFO');
    throw new SubmissionFileError(`expected a readable file (${code ?? 'unreadable'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SubmissionFileError(`expected a regular file, found ${fileKind(st)}`);
    if (st.size > maxBytes) throw new SubmissionFileError(`expected at most ${maxBytes} bytes, the file has ${st.size}`);
    const buffer = Buffer.alloc(st.size);
    let filled = 0;
    while (filled < st.size) {
      const n = readSync(fd, buffer, filled, st.size - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A refusal of the file itself (not of its content): reported as `<file>: (file): <expected>`. */
export class SubmissionFileError extends Error {}

export const repoAccess = (root = REPO_ROOT): RepoAccess => ({
  exists: (p) => existsSync(join(root, p)),
  read: (p) => readRegularFile(join(root, p), MAX_ENTRY_BYTES),
});

/** Control characters escaped (a newline becomes \\u000a): a problem line stays one line in any log. */
export function singleLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON.parse's message without the text it quotes from the file (which could be a secret). */
function jsonErrorWithoutContent(e: unknown): string {
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return message.replace(/(["'`]).*?\1/g, '<text>').replace(/\s+at\s+.*$/, '').slice(0, 120);
}

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
  // lstat: a submission.json or a submission folder that is a symlink is listed (and refused when
  // read, or here), never followed; only the paths given on the command line are followed.
  const lexists = (p: string) => {
    try {
      lstatSync(p);
      return true;
    } catch {
      return false;
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) {
      problems.push(`${p}: (path): expected a submission folder or submission.json, nothing is there`);
      continue;
    }
    if (!statSync(p).isDirectory()) files.push(p);
    else if (lexists(join(p, 'submission.json'))) files.push(join(p, 'submission.json'));
    else {
      const entries = readdirSync(p, { withFileTypes: true }).filter((d) => (d.isDirectory() || d.isSymbolicLink()) && !d.name.startsWith('.'));
      for (const d of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const folder = join(p, d.name);
        if (d.isSymbolicLink()) {
          problems.push(`${folder}: (folder): expected a folder, found a symlink`);
          continue;
        }
        const f = join(folder, 'submission.json');
        if (lexists(f)) files.push(f);
        else problems.push(`${folder}: (folder): expected a submission.json`);
      }
    }
  }
  return { files, problems };
}

/** Parses and checks submissions (plus duplicate ids across them). */
export function loadSubmissionFiles(paths: readonly string[], repo: RepoAccess = repoAccess()): LoadResult {
  const { files, problems } = submissionFiles(paths);
  // (every problem line passes through singleLine on the way out: ids, names and paths come from the PR)
  const submissions: LoadedSubmission[] = [];
  const ids = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = readRegularFile(file, MAX_SUBMISSION_BYTES);
    } catch (e) {
      if (!(e instanceof SubmissionFileError)) throw e;
      problems.push(`${file}: (file): ${e.message}`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      problems.push(`${file}: (root): expected valid JSON (${jsonErrorWithoutContent(e)})`);
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
  return { submissions, problems: problems.map(singleLine) };
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
