import { describe, expect, test } from 'bun:test';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../submissions/load.ts';
import type { Submission } from '../submissions/schema.ts';
import { runArgs } from './submissions.ts';

const cli = (...args: string[]) => {
  const r = Bun.spawnSync([process.execPath, join(REPO_ROOT, 'harness/cli.ts'), 'submissions', ...args], { cwd: REPO_ROOT, stdout: 'pipe', stderr: 'pipe' });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
};

describe('bun harness submissions', () => {
  test('validate: every submission in submissions/ (exit 0)', () => {
    const r = cli('validate');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d+ submissions? valid\n$/);
  });

  test('validate PATH: one line per problem, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'subs-cli-'));
    try {
      mkdirSync(join(dir, 'bad-one'));
      writeFileSync(
        join(dir, 'bad-one', 'submission.json'),
        JSON.stringify({ id: 'bad-two', title: 'x', authors: ['A'], paper: 'https://a.b', kind: 'reported', source: { paper: 'P', url: 'https://a.b' }, rows: [{ table: '1', benchmark: 'hmdb51-near', modalities: ['video', 'flow'], recipe: 'baseline', scorer: 'odin', ood: 'near', fpr95: 101, auroc: 50 }] }),
      );
      const r = cli('validate', join(dir, 'bad-one'), join(REPO_ROOT, 'submissions/multiood-paper'));
      expect(r.code).toBe(2);
      const file = join(dir, 'bad-one', 'submission.json');
      expect(r.err.trim().split('\n')).toEqual([
        `${file}: rows[0].fpr95: expected a number in [0, 100]`,
        `${file}: id: expected the folder name "bad-one", got "bad-two"`,
        `${file}: rows[0].scorer: expected a scorer id (msp, energy, maxlogit, mahalanobis, react, ash, gen, knn, vim), got "odin"`,
      ]);
      expect(cli('validate', join(dir, 'missing')).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('list names the seeded paper submission', () => {
    const r = cli('list', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toContainEqual(expect.objectContaining({ id: 'multiood-paper', kind: 'reported', rows: 404 }));
  });

  test('run: a reported submission has no code; an unknown id is an input error (exit 2)', () => {
    expect(cli('run', 'multiood-paper').code).toBe(2);
    expect(cli('run', 'no-such-submission').code).toBe(2);
  });

  test('runArgs maps code submissions onto bun harness run', () => {
    const base = { title: 't', authors: ['a'], paper: 'https://a.b' };
    const scorer: Submission = { ...base, id: 'my-knn', kind: 'scorer', entry: 'methods/scorers/knn.ts', method: 'knn', settings: { k: 10 } };
    expect(runArgs(scorer, { seeds: '0', splits: '0' })).toEqual(['run', '--seeds', '0', '--splits', '0', '--db', 'results/submission-my-knn.sqlite', '--recipes', 'baseline', '--scorers', 'knn', '--set', 'knn.k=10']);
    const training: Submission = { ...base, id: 'my-a2d', kind: 'training', entry: 'methods/training/recipes/a2d.ts', method: 'a2d', settings: { a2dWeight: 0.5, epochs: 30 } };
    expect(runArgs(training, { seeds: '0,1', splits: '0', epochs: '2' })).toEqual(['run', '--seeds', '0,1', '--splits', '0', '--db', 'results/submission-my-a2d.sqlite', '--recipes', 'a2d', '--set', 'a2dWeight=0.5', '--set', 'epochs=2']);
  });
});
