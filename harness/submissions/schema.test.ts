import { describe, expect, test } from 'bun:test';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSubmissionFiles, loadSubmissions, repoAccess, reportedRows, SUBMISSIONS_DIR } from './load.ts';
import { checkSubmission } from './schema.ts';

const repo = repoAccess();
const row = { table: '1', benchmark: 'hmdb51-near', modalities: ['video', 'flow'], recipe: 'baseline', scorer: 'msp', ood: 'near', fpr95: 44.66, auroc: 87.74, id_acc: 89.32 };
const reported = { id: 'my-paper', title: 'T', authors: ['A. Author'], paper: 'https://arxiv.org/abs/1', kind: 'reported', source: { paper: 'P', url: 'https://arxiv.org/abs/1' }, rows: [row] };
const scorer = { id: 'my-knn', title: 'KNN k=10', authors: ['A'], paper: 'https://arxiv.org/abs/2', kind: 'scorer', entry: 'methods/scorers/knn.ts', method: 'knn', settings: { k: 10 } };
const training = { id: 'my-a2d', title: 'A2D', authors: ['A'], paper: 'https://arxiv.org/abs/3', kind: 'training', entry: 'methods/training/recipes/a2d.ts', method: 'a2d', settings: { epochs: 2 } };
const check = (raw: unknown, folder: string | null = null) => checkSubmission(raw, folder, repo).problems;

describe('the seeded MultiOOD paper submission', () => {
  const rows = reportedRows(SUBMISSIONS_DIR).filter((r) => r.submission === 'multiood-paper');
  const find = (benchmark: string, recipe: string, scorer: string, ood = 'near', modalities = 'video+flow') =>
    rows.filter((r) => r.benchmark === benchmark && r.recipe === recipe && r.scorer === scorer && r.ood === ood && r.modalities.join('+') === modalities);

  test('every submission in submissions/ is valid', () => {
    const r = loadSubmissions();
    expect(r.problems).toEqual([]);
    expect(r.submissions.map((s) => s.submission.id)).toContain('multiood-paper');
  });

  test('row counts per table', () => {
    const count = (t: string) => rows.filter((r) => r.table === t).length;
    // Table 1: 10 rows x 3 blocks (LogitNorm in each) x 4 benchmarks
    expect(count('1')).toBe(120);
    // Tables 7/8: 10 methods x 2 blocks x (4 OOD sets + average)
    expect(count('7')).toBe(100);
    expect(count('8')).toBe(100);
    // Table 9: 3 modality sets x 5 methods x 2 blocks x 2 benchmarks
    expect(count('9')).toBe(60);
    // Tables 5/6: 4 scorers x 3 new columns (Baseline, Hellinger/NP-Mix repeat Table 1)
    expect(count('5')).toBe(12);
    expect(count('6')).toBe(12);
    expect(rows.length).toBe(404);
  });

  test('agrees with docs/multiood-facts.md §7 (Table 1)', () => {
    const m = (b: string, r: string, s: string) => {
      const x = find(b, r, s);
      expect(x).toHaveLength(1);
      return [x[0]!.fpr95, x[0]!.auroc, x[0]!.id_acc];
    };
    expect(m('hmdb51-near', 'baseline', 'msp')).toEqual([44.66, 87.74, 89.32]);
    expect(m('hmdb51-near', 'a2d_npmix', 'msp')).toEqual([33.99, 88.79, 89.98]);
    expect(m('hmdb51-near', 'baseline', 'energy').slice(0, 2)).toEqual([43.36, 87.46]);
    expect(m('hmdb51-near', 'a2d_npmix', 'energy').slice(0, 2)).toEqual([36.38, 88.91]);
    expect(m('hmdb51-near', 'baseline', 'knn').slice(0, 2)).toEqual([42.92, 88.46]);
    expect(m('hmdb51-near', 'a2d_npmix', 'knn').slice(0, 2)).toEqual([33.77, 90.05]);
    expect(m('hmdb51-near', 'baseline', 'vim').slice(0, 2)).toEqual([36.82, 88.06]);
    expect(m('hmdb51-near', 'a2d_npmix', 'vim').slice(0, 2)).toEqual([34.64, 88.8]);
    expect(m('ucf101-near', 'baseline', 'msp')).toEqual([22.14, 95.73, 99.22]);
    expect(m('ucf101-near', 'a2d_npmix', 'msp')).toEqual([7.96, 98.24, 99.71]);
    expect(m('ucf101-near', 'baseline', 'vim').slice(0, 2)).toEqual([12.52, 97.66]);
    expect(m('ucf101-near', 'a2d_npmix', 'vim').slice(0, 2)).toEqual([4.56, 98.73]);
    expect(m('epic-kitchens-near', 'baseline', 'msp')).toEqual([76.31, 67.59, 71.46]);
    expect(m('epic-kitchens-near', 'a2d_npmix', 'msp')).toEqual([67.16, 71.52, 71.64]);
    expect(m('epic-kitchens-near', 'baseline', 'gen').slice(0, 2)).toEqual([76.87, 68.52]);
    expect(m('epic-kitchens-near', 'a2d_npmix', 'gen').slice(0, 2)).toEqual([65.3, 75.17]);
    expect(m('kinetics600-near', 'baseline', 'msp')).toEqual([64.08, 76.16, 80.11]);
    expect(m('kinetics600-near', 'a2d_npmix', 'msp')).toEqual([62.91, 76.92, 80.52]);
  });

  test('Far-OOD averages are the mean of the four OOD sets; LogitNorm rows are MSP', () => {
    for (const b of ['hmdb51-far', 'kinetics600-far']) {
      const avgs = rows.filter((r) => r.benchmark === b && r.ood === 'average');
      expect(avgs).toHaveLength(20);
      for (const a of avgs) {
        const sets = rows.filter((r) => r.benchmark === b && r.recipe === a.recipe && r.scorer === a.scorer && r.ood !== 'average');
        expect(sets).toHaveLength(4);
        expect(Math.abs(sets.reduce((s, r) => s + r.fpr95, 0) / 4 - a.fpr95)).toBeLessThan(0.011);
        expect(Math.abs(sets.reduce((s, r) => s + r.auroc, 0) / 4 - a.auroc)).toBeLessThan(0.011);
      }
    }
    expect(find('hmdb51-near', 'logitnorm', 'msp')[0]).toMatchObject({ fpr95: 48.84, auroc: 87.65, id_acc: 88.89 });
    expect(find('kinetics600-far', 'logitnorm_a2d_npmix', 'msp', 'HMDB')[0]).toMatchObject({ fpr95: 67.67, auroc: 79.15, id_acc: 70.81 });
    expect(find('epic-kitchens-near', 'a2d_npmix', 'knn', 'near', 'audio+flow')[0]).toMatchObject({ fpr95: 82.09, auroc: 58.14, id_acc: 68.47 });
    expect(find('hmdb51-near', 'a2d_npos', 'knn')[0]).toMatchObject({ table: '6', fpr95: 40.52, auroc: 88.81 });
  });
});

describe('malformed submissions: one line per problem', () => {
  test('valid reported, scorer and training submissions pass', () => {
    expect(check(reported, 'my-paper')).toEqual([]);
    expect(check(scorer, 'my-knn')).toEqual([]);
    expect(check(training, 'my-a2d')).toEqual([]);
  });

  test('missing fields and wrong types', () => {
    const { title: _t, ...noTitle } = reported;
    expect(check({ ...noTitle, authors: 'me' })).toEqual(['title: missing; expected a non-empty string', 'authors: expected a list of author names']);
    expect(check({ ...reported, authors: [] })).toEqual(['authors: expected at least one author']);
    expect(check({ ...reported, paper: 'arxiv 1234' })).toEqual(['paper: expected an http(s) URL']);
    expect(check({ ...reported, kind: 'blog' })).toEqual(['kind: expected one of scorer, training, reported']);
    expect(check({ ...reported, rows: [{ ...row, auroc: '87.74' }] })).toEqual(['rows[0].auroc: expected a number (x100, as printed)']);
    expect(check({ ...reported, extra: 1 })).toEqual(['(root): unknown field extra']);
  });

  test('numbers outside [0, 100]', () => {
    expect(check({ ...reported, rows: [{ ...row, fpr95: 0.4466, auroc: 120, id_acc: -1 }] })).toEqual([
      'rows[0].auroc: expected a number in [0, 100]',
      'rows[0].id_acc: expected a number in [0, 100]',
    ]);
  });

  test('unknown scorer, recipe, benchmark, OOD set, modality', () => {
    expect(check({ ...reported, rows: [{ ...row, scorer: 'odin' }] })).toEqual(['rows[0].scorer: expected a scorer id (msp, energy, maxlogit, mahalanobis, react, ash, gen, knn, vim), got "odin"']);
    expect(check({ ...reported, rows: [{ ...row, recipe: 'oe' }] })[0]).toStartWith('rows[0].recipe: expected a recipe id (baseline, a2d,');
    expect(check({ ...reported, rows: [{ ...row, benchmark: 'cifar10' }] })[0]).toStartWith('rows[0].benchmark: expected one of hmdb51-near, ucf101-near,');
    expect(check({ ...reported, rows: [{ ...row, ood: 'UCF' }] })).toEqual(['rows[0].ood: expected one of near for hmdb51-near, got "UCF"']);
    expect(check({ ...reported, rows: [{ ...row, modalities: ['video', 'audio'] }] })).toEqual(['rows[0].modalities: expected modalities of hmdb51-near (video, flow), got audio']);
    expect(check({ ...scorer, method: 'odin' })).toEqual([
      "method: expected methods/scorers/knn.ts to define id 'odin'",
      'method: expected a scorer registered in methods/scorers/index.ts SCORERS (msp, energy, maxlogit, mahalanobis, react, ash, gen, knn, vim), got "odin"',
    ]);
  });

  test('code entries must exist and settings parse with the method schema', () => {
    expect(check({ ...scorer, entry: 'methods/scorers/nope.ts' })).toEqual(['entry: expected an existing file, methods/scorers/nope.ts is not in the repository']);
    expect(check({ ...scorer, entry: 'src/knn.ts' })).toEqual(['entry: expected a path like methods/scorers/<file>.ts']);
    expect(check({ ...scorer, settings: { k: 0 } })[0]).toStartWith('settings.k: ');
    expect(check({ ...training, settings: { epochs: 0, colour: 'red' } })).toEqual(['settings.epochs: Too small: expected number to be >0', 'settings: unknown field colour']);
    expect(check({ ...training, entry: 'methods/scorers/knn.ts' })).toEqual(['entry: expected a path like methods/training/recipes/<file>.ts', "method: expected methods/scorers/knn.ts to define id 'a2d'"]);
  });

  test('duplicate rows, id not the folder name, id not kebab-case', () => {
    expect(check({ ...reported, rows: [row, { ...row, modalities: ['flow', 'video'] }] })).toEqual([
      'rows[1]: expected a unique (benchmark, modalities, recipe, scorer, ood), duplicates rows[0] (hmdb51-near | flow+video | baseline | msp | near)',
    ]);
    expect(check(reported, 'other-folder')).toEqual(['id: expected the folder name "other-folder", got "my-paper"']);
    expect(check({ ...reported, id: 'My_Paper' })).toEqual(['id: expected a kebab-case id (lowercase letters, digits, single hyphens)']);
  });

  test('duplicate ids across submissions, invalid JSON, a folder without submission.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'subs-'));
    try {
      for (const f of ['a', 'b', 'c', 'd']) mkdirSync(join(dir, f));
      writeFileSync(join(dir, 'a', 'submission.json'), JSON.stringify({ ...reported, id: 'a' }));
      writeFileSync(join(dir, 'b', 'submission.json'), JSON.stringify({ ...reported, id: 'a' }));
      writeFileSync(join(dir, 'c', 'submission.json'), '{ nope');
      const r = loadSubmissionFiles([dir]);
      const rel = (p: string) => p.replace(`${dir}/`, '');
      expect(r.problems.map(rel)).toEqual([
        'd: (folder): expected a submission.json',
        'b/submission.json: id: expected the folder name "b", got "a"',
        `b/submission.json: id: expected an id no other submission uses, "a" is also ${dir}/a/submission.json's`,
        expect.stringMatching(/^c\/submission\.json: \(root\): expected valid JSON/),
      ]);
      expect(r.submissions.map((s) => s.submission.id)).toEqual(['a']);
      expect(reportedRows(dir)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
