import { afterAll, beforeAll, expect, test } from 'bun:test';
import { openStore, type Store } from './store.ts';
import { cellConfig, finishedCell, resultRow, runMeta, tempDir } from './test-helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let store: Store;

beforeAll(() => {
  tmp = tempDir();
  store = openStore(tmp.file('board.sqlite'));
  const run = store.beginRun(runMeta());
  const ucf = [0.2, 0.3, 0.7];
  const hmdb = [0.1, 0.1, 0.4];
  for (let seed = 0; seed < 3; seed++) {
    store.commitCell(run, finishedCell(cellConfig({ seed }), [resultRow('msp', 'ucf', ucf[seed]!), resultRow('msp', 'hmdb', hmdb[seed]!)]));
  }
  // excluded: a failed cell's results, another recipe, another modality set
  store.commitCell(run, finishedCell(cellConfig({ seed: 3 }), [resultRow('msp', 'ucf', 1), resultRow('msp', 'hmdb', 1)], { status: 'failed', error: 'x' }));
  store.commitCell(run, finishedCell(cellConfig({ recipe: 'baseline' }), [resultRow('msp', 'ucf', 0.9)]));
  store.commitCell(run, finishedCell(cellConfig({ modalities: ['video'] }), [resultRow('msp', 'ucf', 0.8)]));
});
afterAll(() => {
  store.close();
  tmp.cleanup();
});

test('mean, sample std and n over seeds, per OOD set and the Far-OOD average', () => {
  const rows = store.queries.leaderboard({ benchmark: 'toy-far', recipe: 'a2d', modalities: ['audio', 'video'], scorer: 'msp' });
  expect(rows.map((r) => r.ood)).toEqual(['hmdb', 'ucf', 'average']);
  const [hmdb, ucf, avg] = rows;
  expect(ucf!.n).toBe(3);
  expect(ucf!.fpr95.mean).toBeCloseTo(0.4, 12);
  expect(ucf!.fpr95.std!).toBeCloseTo(Math.sqrt(0.07), 12);
  expect(ucf!.auroc.mean).toBeCloseTo(0.6, 12);
  expect(ucf!.auroc.std!).toBeCloseTo(Math.sqrt(0.07), 12);
  expect(ucf!.idAcc).toEqual({ mean: 0.9, std: 0 });
  expect(hmdb!.fpr95.mean).toBeCloseTo(0.2, 12);
  expect(hmdb!.fpr95.std!).toBeCloseTo(Math.sqrt(0.03), 12);
  // per-cell averages 0.15, 0.2, 0.55
  expect(avg).toMatchObject({ benchmark: 'toy-far', modalities: 'video+audio', recipe: 'a2d', scorer: 'msp', n: 3 });
  expect(avg!.fpr95.mean).toBeCloseTo(0.3, 12);
  expect(avg!.fpr95.std!).toBeCloseTo(Math.sqrt(0.0475), 12);
});

test('groups by recipe and modalities; a single seed has no std; a single OOD set no average', () => {
  const rows = store.queries.leaderboard({ benchmark: 'toy-far' });
  expect(rows.map((r) => `${r.modalities}/${r.recipe}/${r.ood}/${r.n}`)).toEqual([
    'video/a2d/ucf/1',
    'video+audio/a2d/hmdb/3',
    'video+audio/a2d/ucf/3',
    'video+audio/a2d/average/3',
    'video+audio/baseline/ucf/1',
  ]);
  expect(rows[0]!.fpr95).toEqual({ mean: 0.8, std: null });
  expect(store.queries.leaderboard({ benchmark: 'nope' })).toEqual([]);
});

test('results filter and paginate', () => {
  const all = store.queries.results({ benchmark: 'toy-far', recipe: 'a2d', modalities: ['video', 'audio'] });
  expect(all.total).toBe(6);
  const page = store.queries.results({ benchmark: 'toy-far', recipe: 'a2d', modalities: ['video', 'audio'] }, { limit: 4, offset: 4 });
  expect(page.total).toBe(6);
  expect(page.items.map((r) => [r.ood, r.seed])).toEqual([
    ['ucf', 1],
    ['ucf', 2],
  ]);
  expect(store.queries.results({ seed: 2, ood: 'hmdb' }).items.map((r) => r.fpr95)).toEqual([0.4]);
});
