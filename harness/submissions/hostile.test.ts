/**
 * Hostile submissions (issue 14, case 7): a pull request controls every byte of its folder,
 * including symlinks, FIFOs and what its strings contain. Each is refused with one line, without
 * reading what a link points at, and in bounded time and memory.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSubmissionFiles, MAX_SUBMISSION_BYTES, repoAccess } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'hostile-subs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reported = {
  title: 'T',
  authors: ['A. Author'],
  paper: 'https://arxiv.org/abs/1',
  kind: 'reported',
  source: { paper: 'P', url: 'https://arxiv.org/abs/1' },
  rows: [{ table: '1', benchmark: 'hmdb51-near', modalities: ['video', 'flow'], recipe: 'baseline', scorer: 'msp', ood: 'near', fpr95: 44.66, auroc: 87.74 }],
};

/** A submission folder `name` whose submission.json is made by `make`; the problems it gets. */
function problemsOf(name: string, make: (file: string) => void): string[] {
  const folder = join(dir, name);
  mkdirSync(folder);
  make(join(folder, 'submission.json'));
  const start = performance.now();
  const r = loadSubmissionFiles([folder]);
  expect(performance.now() - start).toBeLessThan(2000);
  for (const p of r.problems) expect(p).not.toMatch(/[\n\r\u2028\u2029]/);
  return r.problems.map((p) => p.replace(`${folder}/`, ''));
}

describe('the file itself', () => {
  test('a symlink to a token file is refused unread: the secret never reaches the log', () => {
    const token = join(dir, 'token');
    writeFileSync(token, 'ghp_SECRETSECRET rest of the file');
    const problems = problemsOf('symlink-token', (f) => symlinkSync(token, f));
    expect(problems).toEqual(['submission.json: (file): expected a regular file, found a symlink']);
    expect(problems.join()).not.toContain('ghp_');
  });

  test('a symlink to /dev/zero is refused without reading it', () => {
    expect(problemsOf('symlink-zero', (f) => symlinkSync('/dev/zero', f))).toEqual(['submission.json: (file): expected a regular file, found a symlink']);
  });

  test('a FIFO is refused without blocking', () => {
    const problems = problemsOf('fifo', (f) => expect(Bun.spawnSync(['mkfifo', f]).exitCode).toBe(0));
    expect(problems).toEqual(['submission.json: (file): expected a regular file, found a FIFO']);
  });

  test('a file over the size cap is refused unread', () => {
    const problems = problemsOf('huge', (f) => writeFileSync(f, Buffer.alloc(MAX_SUBMISSION_BYTES + 1, 0x20)));
    expect(problems).toEqual([`submission.json: (file): expected at most ${MAX_SUBMISSION_BYTES} bytes, the file has ${MAX_SUBMISSION_BYTES + 1}`]);
  });

  test('a symlinked submission folder is refused, not followed', () => {
    const parent = join(dir, 'parent');
    mkdirSync(parent);
    symlinkSync('/etc', join(parent, 'evil'));
    expect(loadSubmissionFiles([parent]).problems).toEqual([`${join(parent, 'evil')}: (folder): expected a folder, found a symlink`]);
  });

  test('invalid JSON is reported without quoting the file', () => {
    const problems = problemsOf('bad-json', (f) => writeFileSync(f, 'ghp_SECRETSECRET'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith('submission.json: (root): expected valid JSON (');
    expect(problems[0]).not.toContain('SECRET');
  });
});

describe('the content', () => {
  test('a newline inside an id cannot forge an output line', () => {
    const forged = 'x"\nsubmissions/evil/submission.json: all good';
    const problems = problemsOf('newline-id', (f) => writeFileSync(f, JSON.stringify({ ...reported, id: forged })));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.includes('\\u000asubmissions/evil/submission.json: all good'))).toBe(true);
  });

  test('strings that reach logs must be one line', () => {
    const problems = problemsOf('multiline-title', (f) => writeFileSync(f, JSON.stringify({ ...reported, id: 'multiline-title', title: 'ok\nforged line' })));
    expect(problems).toEqual(['submission.json: title: expected one line of text (no newlines or control characters)']);
  });

  test.each([
    ['training', { kind: 'training', entry: 'methods/training/recipes/a2d.ts', method: 'a2d', settings: { epochs: 1e9 } }, 'settings.epochs: expected at most 1000 (an epoch count), got 1000000000'],
    ['scorer', { kind: 'scorer', entry: 'methods/scorers/knn.ts', method: 'knn', settings: { k: 1e9 } }, 'settings.k: expected at most 100000 (neighbours (at most the fit rows of the largest benchmark)), got 1000000000'],
  ])('%s settings are bounded by what the field can mean', (kind, fields, problem) => {
    const id = `bounded-${kind}`;
    const problems = problemsOf(id, (f) => writeFileSync(f, JSON.stringify({ id, title: 'T', authors: ['A'], paper: 'https://arxiv.org/abs/2', ...fields })));
    expect(problems).toEqual([`submission.json: ${problem}`]);
  });

  test('a method entry committed as a symlink is refused unread', () => {
    const root = join(dir, 'repo');
    mkdirSync(join(root, 'methods', 'scorers'), { recursive: true });
    symlinkSync('/dev/zero', join(root, 'methods', 'scorers', 'evil.ts'));
    const folder = join(dir, 'symlinked-entry');
    mkdirSync(folder);
    const submission = { id: 'symlinked-entry', title: 'T', authors: ['A'], paper: 'https://arxiv.org/abs/2', kind: 'scorer', entry: 'methods/scorers/evil.ts', method: 'knn' };
    writeFileSync(join(folder, 'submission.json'), JSON.stringify(submission));
    const r = loadSubmissionFiles([folder], repoAccess(root));
    expect(r.problems).toEqual([`${folder}/submission.json: entry: methods/scorers/evil.ts: expected a regular file, found a symlink`]);
  });
});
