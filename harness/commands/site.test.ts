import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../api/index.ts';
import { buildSite } from '../site/build.ts';
import { normaliseReported } from '../site/collect.ts';
import { makeFixtureDb } from '../site/test-fixture.ts';
import { bestMethod, formatDelta, formatMeanStd, paperTables } from '../site/view.ts';
import { type LeaderboardRow, openStore } from '../store/index.ts';

const CLI = join(import.meta.dir, '..', 'cli.ts');
let dir: string;
let db: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'multiood-site-cmd-'));
  db = join(dir, 't.sqlite');
  makeFixtureDb(db);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function leaderboard(benchmark: string): Promise<LeaderboardRow[]> {
  const store = openStore(db, { readonly: true });
  try {
    const res = await createApp(store, { staticRoot: null }).request(`/api/leaderboard/${benchmark}`);
    return ((await res.json()) as { rows: LeaderboardRow[] }).rows;
  } finally {
    store.close();
  }
}

const page = (out: string, path: string) => readFileSync(join(out, path), 'utf8');

describe('view models', () => {
  const ms = (mean: number, std: number | null = null) => ({ mean, std });
  const lb = (recipe: string, scorer: string, ood: string, auroc: number, fpr95: number): LeaderboardRow => ({
    benchmark: 'b', modalities: 'video+flow', recipe, scorer, ood, n: 2,
    fpr95: ms(fpr95, 0.01), auroc: ms(auroc, 0.02), auprIn: ms(0.5), auprOut: ms(0.5), idAcc: ms(0.9),
  });

  test('paper tables: baseline first, deltas against the baseline with the right direction', () => {
    const rows = [lb('a2d', 'msp', 'near', 0.8, 0.5), lb('baseline', 'msp', 'near', 0.7, 0.6), lb('baseline', 'knn', 'near', 0.75, 0.4), lb('a2d', 'knn', 'near', 0.7, 0.45)];
    const [t] = paperTables(rows, ['baseline', 'a2d'], ['msp', 'knn']);
    expect(t!.recipes).toEqual(['baseline', 'a2d']);
    expect(t!.scorers).toEqual(['msp', 'knn']);
    expect(t!.cells.baseline!.msp!.auroc.delta).toBeNull();
    expect(t!.cells.a2d!.msp!.auroc.delta).toBeCloseTo(0.1, 12);
    expect(t!.cells.a2d!.msp!.auroc.better).toBe(true);
    expect(t!.cells.a2d!.msp!.fpr95.better).toBe(true); // 0.6 -> 0.5 is better
    expect(t!.cells.a2d!.knn!.auroc.better).toBe(false);
    expect(t!.cells.a2d!.knn!.fpr95.better).toBe(false); // 0.4 -> 0.45 is worse
  });

  test('best method ranks the Far-OOD average, not a single OOD set', () => {
    const rows = [lb('baseline', 'msp', 'easy', 0.99, 0.1), lb('baseline', 'msp', 'hard', 0.5, 0.9), lb('baseline', 'msp', 'average', 0.745, 0.5), lb('baseline', 'knn', 'easy', 0.8, 0.3), lb('baseline', 'knn', 'hard', 0.78, 0.3), lb('baseline', 'knn', 'average', 0.79, 0.3)];
    expect(bestMethod(rows)).toMatchObject({ scorer: 'knn', ood: 'average' });
    expect(bestMethod([])).toBeNull();
  });

  test('formatting: x100, ± std, signed deltas', () => {
    expect(formatMeanStd({ mean: 0.87654, std: 0.0123 })).toBe('87.65 ± 1.23');
    expect(formatMeanStd({ mean: 0.5, std: null })).toBe('50.00');
    expect(formatDelta(0.0123)).toBe('+1.23');
    expect(formatDelta(-0.0123)).toBe('−1.23');
  });

  test('reported rows are normalised (table beside source, modalities as a list, id_acc)', () => {
    const r = normaliseReported({ benchmark: 'hmdb51-near', modalities: ['video', 'flow'], recipe: 'baseline', scorer: 'msp', ood: 'near', fpr95: 44.66, auroc: 87.74, id_acc: 89.32, table: '1', source: { paper: 'Dong et al.', url: 'https://arxiv.org/abs/2405.17419' } });
    expect(r).toEqual({ benchmark: 'hmdb51-near', modalities: 'video+flow', recipe: 'baseline', scorer: 'msp', ood: 'near', fpr95: 44.66, auroc: 87.74, idAcc: 89.32, source: { paper: 'Dong et al.', url: 'https://arxiv.org/abs/2405.17419', table: '1', page: null } });
    expect(normaliseReported({ benchmark: 'x' })).toBeNull();
  });
});

test('bun harness site build builds every page from the database, without JavaScript needed', async () => {
  const out = join(dir, 'dist-cli');
  const proc = Bun.spawnSync([process.execPath, CLI, 'site', 'build', '--db', db, '--out', out], { stdout: 'pipe', stderr: 'pipe' });
  expect(proc.exitCode, proc.stderr.toString()).toBe(0);
  expect(proc.stderr.toString()).toMatch(/site: \d+ pages \(5 cells\)/);

  const home = page(out, 'index.html');
  expect(home).toContain('href="/benchmarks/synthetic-near/"');
  expect(home).toContain('CONTRIBUTING.md');
  expect(home).toMatch(/<caption>/);

  const near = page(out, 'benchmarks/synthetic-near/index.html');
  for (const row of await leaderboard('synthetic-near')) {
    expect(near).toContain(formatMeanStd(row.auroc));
    expect(near).toContain(formatMeanStd(row.fpr95));
    expect(near).toContain(formatMeanStd(row.idAcc));
  }
  expect(near).toContain('scope="colgroup"');
  expect(near).toContain('scope="row"');
  expect(near).toMatch(/fraction of ID test samples flagged as OOD/);
  expect(near).toContain('vs baseline');
  expect(near).toMatch(/class="delta (good|bad)"/);

  const far = page(out, 'benchmarks/synthetic-far/index.html');
  for (const ood of ['easy', 'hard', 'medium', 'average over OOD sets']) expect(far).toContain(`Far-OOD: ${ood}`);

  const msp = page(out, 'methods/msp/index.html');
  expect(msp).toContain('arxiv.org/abs/1610.02136');
  expect(msp).toContain('synthetic-far');
  expect(existsSync(join(out, 'methods/a2d/index.html'))).toBe(true);

  const cell = page(out, 'cells/fx-synthetic-near-video+flow-a2d-1/index.html');
  expect(cell).toContain('fixture0commit');
  expect(cell).toContain('&quot;lr&quot;'); // hyperparameters
  expect((cell.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3 + 3); // 3 histograms, discrepancy, loss, accuracy
  expect(cell).toContain('role="img"');

  expect(Bun.spawnSync([process.execPath, CLI, 'site', 'build', '--db', join(dir, 'missing.sqlite'), '--out', out]).exitCode).toBe(2);
}, 180_000);

test('results reported by papers get their own labelled section; an absent route renders none', async () => {
  const out = join(dir, 'dist-reported');
  const reported = [{ benchmark: 'synthetic-near', modalities: ['video', 'flow'], recipe: 'baseline', scorer: 'msp', ood: 'near', fpr95: 12.34, auroc: 98.76, id_acc: 91.5, source: { paper: 'Some Paper 2024', table: '2', page: 7 } }];
  await buildSite({
    db,
    out,
    quiet: true,
    wrapRequest: (request) => (path) => {
      if (!path.startsWith('/api/reported')) return request(path);
      if (path.includes('synthetic-near')) return Response.json({ rows: reported });
      return Response.json({ error: 'no such endpoint' }, { status: 404 });
    },
  });
  const near = page(out, 'benchmarks/synthetic-near/index.html');
  const section = near.slice(near.indexOf('<section class="reported"'));
  expect(near).toContain('<section class="reported"');
  expect(section).toContain('98.76');
  expect(section).toContain('<li>Some Paper 2024</li>');
  expect(section).toContain('[1] Table 2, p. 7');
  // never in the reproduced ranking
  const ranking = near.slice(near.indexOf('id="ranking"'), near.indexOf('<section class="reported"'));
  expect(ranking).not.toContain('98.76');
  expect(page(out, 'benchmarks/synthetic-far/index.html')).not.toContain('<section class="reported"');
}, 180_000);
