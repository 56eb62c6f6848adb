import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../api/index.ts';
import { Hono } from 'hono';
import { buildSite } from '../site/build.ts';
import { fpr95Threshold } from '../site/charts.ts';
import { isGenerated, normaliseReported } from '../site/collect.ts';
import { homeTable, rankingTable, toCsv, toJson } from '../site/downloads.ts';
import { makeNames } from '../site/names.ts';
import { confidenceInterval, differsBeyondNoise, noiseRanks, tiedWithBest, tQuantile975 } from '../site/stats.ts';
import { makeFixtureDb } from '../site/test-fixture.ts';
import type { ReportedRow, SiteBenchmark, SiteData } from '../site/types.ts';
import { bestMethod, formatDelta, formatMeanStd, paperTables, rankRows, reportedBest, reportedTables } from '../site/view.ts';
import { type LeaderboardRow, openStore } from '../store/index.ts';
import { serveApp } from './serve.ts';

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

describe('the noise rule', () => {
  test('t quantiles: scipy.stats.t.ppf(0.975, df)', () => {
    const scipy: [number, number][] = [[1, 12.7062047], [2, 4.3026527], [3, 3.1824463], [5, 2.5705818], [9, 2.2621572], [30, 2.0422725], [31, 2.0395134], [40, 2.0210754], [100, 1.9839715], [1000, 1.9623391]];
    for (const [df, t] of scipy) expect(Math.abs(tQuantile975(df) - t)).toBeLessThan(2e-6);
    expect(() => tQuantile975(0)).toThrow();
  });

  test('95% t-interval of a mean: t(0.975, n-1) * s / sqrt(n); none for n = 1 or without a std', () => {
    const ci = confidenceInterval(0.8, 0.1, 4)!;
    expect(ci.half).toBeCloseTo((3.1824463 * 0.1) / 2, 9);
    expect(ci.lo).toBeCloseTo(0.8 - ci.half, 12);
    expect(ci.hi).toBeCloseTo(0.8 + ci.half, 12);
    expect(confidenceInterval(0.8, 0.1, 1)).toBeNull();
    expect(confidenceInterval(0.8, null, 3)).toBeNull();
    expect(confidenceInterval(0.8, 0, 3)).toEqual({ lo: 0.8, hi: 0.8, half: 0 });
  });

  test('ranks separate only non-overlapping intervals; overlap is a tie; n = 1 is untested and never separated', () => {
    const e = (mean: number, half: number | null) => ({ mean, ci: half === null ? null : { lo: mean - half, hi: mean + half, half } });
    // A and B overlap; C lies below A but overlaps B
    const ranks = noiseRanks([e(0.9, 0.02), e(0.87, 0.02), e(0.84, 0.02)]);
    expect(ranks.map((r) => [r.rank, r.tied])).toEqual([[1, true], [1, true], [2, false]]);
    // lower is better (FPR95)
    expect(noiseRanks([e(0.2, 0.01), e(0.5, 0.01)], true).map((r) => r.rank)).toEqual([1, 2]);
    expect(noiseRanks([e(0.2, 0.01), e(0.5, 0.01)], false).map((r) => r.rank)).toEqual([2, 1]);
    const single = noiseRanks([e(0.9, null), e(0.5, 0.01)]);
    expect(single.map((r) => [r.rank, r.untested])).toEqual([[1, true], [1, false]]);
    expect(tiedWithBest([e(0.9, 0.02), e(0.87, 0.02), e(0.8, 0.02)])).toEqual([0, 1]);
    expect(differsBeyondNoise(e(0.9, 0.02), e(0.85, 0.02))).toBe(true);
    expect(differsBeyondNoise(e(0.9, 0.02), e(0.87, 0.02))).toBe(false);
    expect(differsBeyondNoise(e(0.9, null), e(0.1, 0.01))).toBe(false);
  });
});

describe('view models', () => {
  const ms = (mean: number, std: number | null = null) => ({ mean, std });
  // the fields the site reads; rows from the API may carry more (e.g. their configuration), which the site passes through
  const lb = (recipe: string, scorer: string, ood: string, auroc: number, fpr95: number): LeaderboardRow =>
    ({
      benchmark: 'b', modalities: 'video+flow', recipe, scorer, ood, n: 2,
      fpr95: ms(fpr95, 0.01), auroc: ms(auroc, 0.02), auprIn: ms(0.5), auprOut: ms(0.5), idAcc: ms(0.9),
    }) as LeaderboardRow;

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
    // n = 2, std 0.02: half-width 12.706 * 0.02 / sqrt(2) = 0.18, so +0.1 AUROC is within the noise
    expect(t!.cells.a2d!.msp!.auroc.beyondNoise).toBe(false);
    expect(t!.cells.a2d!.msp!.auroc.ci!.half).toBeCloseTo((12.7062047 * 0.02) / Math.SQRT2, 6);
  });

  test('a change is beyond the noise only when the intervals do not overlap', () => {
    const row = (recipe: string, auroc: number, std: number, n: number): LeaderboardRow => ({ ...lb(recipe, 'msp', 'near', auroc, 0.5), auroc: ms(auroc, std), n });
    const near = paperTables([row('baseline', 0.7, 0.01, 5), row('a2d', 0.8, 0.01, 5)]);
    expect(near[0]!.cells.a2d!.msp!.auroc).toMatchObject({ beyondNoise: true, better: true });
    // the case: -0.08 against a std of 1.86 (x100) is not coloured
    const noisy = paperTables([row('baseline', 0.7, 0.0186, 3), row('a2d', 0.6992, 0.0186, 3)]);
    expect(noisy[0]!.cells.a2d!.msp!.auroc).toMatchObject({ beyondNoise: false, better: false });
    const single = paperTables([row('baseline', 0.7, 0, 1), row('a2d', 0.9, 0, 1)]);
    expect(single[0]!.cells.a2d!.msp!.auroc.beyondNoise).toBe(false);
  });

  test('the ranking and the best method carry intervals and ties', () => {
    const rows = [lb('a2d', 'knn', 'near', 0.86, 0.3), lb('baseline', 'knn', 'near', 0.85, 0.35), lb('baseline', 'msp', 'near', 0.2, 0.9)].map((r) => ({ ...r, auroc: ms(r.auroc.mean, 0.01), n: 3 }));
    const ranked = rankRows(rows);
    expect(ranked.map((r) => [r.recipe, r.scorer, r.rank.rank, r.rank.tied])).toEqual([['a2d', 'knn', 1, true], ['baseline', 'knn', 1, true], ['baseline', 'msp', 3, false]]);
    expect(ranked[0]!.aurocCi!.half).toBeCloseTo((4.3026527 * 0.01) / Math.sqrt(3), 9);
    expect(bestMethod(rows)!.tiedWith).toEqual([{ modalities: 'video+flow', recipe: 'baseline', scorer: 'knn' }]);
  });


  const reportedRow = (over: Partial<ReportedRow>): ReportedRow => ({
    benchmark: 'hmdb51-near', modalities: 'video+flow', recipe: 'baseline', scorer: 'msp', ood: 'near', fpr95: 44.66, auroc: 87.74, idAcc: 89.32,
    source: { paper: 'Dong et al.', url: null, table: '1', page: null }, ...over,
  });

  test('the paper beside the reproduction: same benchmark, modalities (any order), recipe, scorer and OOD set; never on generated data', () => {
    const reported = [reportedRow({}), reportedRow({ scorer: 'energy', auroc: 88.0, fpr95: 40 }), reportedRow({ recipe: 'a2d_npos', scorer: 'knn', source: { paper: 'Dong et al.', url: null, table: '6', page: null }, idAcc: null })];
    const here = [{ ...lb('baseline', 'msp', 'near', 0.85, 0.5), modalities: 'flow+video' }];
    const [t1, t6] = reportedTables(reported, here, true);
    expect(t1!.table).toBe('1');
    expect(t1!.rows.map((r) => r.scorer)).toEqual(['msp', 'energy']); // the order printed
    const msp = t1!.rows[0]!;
    expect(msp.byOod.near!.auroc.paper).toBe(87.74);
    expect(msp.byOod.near!.auroc.here!.mean).toBeCloseTo(85, 9);
    expect(msp.byOod.near!.auroc.diff).toBeCloseTo(85 - 87.74, 9);
    expect(msp.byOod.near!.auroc.here!.half).toBeCloseTo((12.7062047 * 2) / Math.SQRT2, 5); // std 0.02 x100, n = 2
    expect(msp.idAcc.here!.mean).toBeCloseTo(90, 9);
    expect(t1!.rows[1]!.byOod.near!.auroc.here).toBeNull();
    expect(t1!.paired).toBe(3); // FPR95, AUROC, ID ACC of MSP
    expect(t6!.table).toBe('6');
    // generated benchmark: nothing paired
    expect(reportedTables(reported, here, false)[0]!.rows[0]!.byOod.near!.auroc.here).toBeNull();
    // the paper's best is its highest AUROC; Far-OOD: the average only
    expect(reportedBest(reported)!.scorer).toBe('energy');
    expect(reportedBest([reportedRow({ ood: 'UCF', auroc: 99 }), reportedRow({ ood: 'average', auroc: 80 })])!.ood).toBe('average');
  });

  test('display names come from the registries, with named fallbacks; never a raw id', () => {
    const names = makeNames([{ id: 'a2d', title: 'A2D (Agree-to-Disagree)' }], [{ id: 'msp', title: 'MSP' }], [{ id: 'hmdb51-near', title: 'HMDB51 25/26 Near-OOD' }]);
    expect(names.recipe('a2d')).toBe('A2D (Agree-to-Disagree)');
    expect(names.recipe('logitnorm_a2d')).toBe('LogitNorm + A2D');
    expect(names.recipe('a2d_npos')).toBe('A2D + NPOS outliers');
    expect(names.recipe('some_new_recipe')).toBe('Some new recipe');
    expect(names.method('a2d', 'msp')).toBe('MSP · A2D (Agree-to-Disagree)');
    expect(names.ood('UCF')).toBe('UCF101');
    expect(names.ood('average')).toBe('average over OOD sets');
    expect(names.modalities('video+flow')).toBe('video + flow');
  });

  test('generated benchmarks: an explicit API field wins, else the synthetic naming', () => {
    expect(isGenerated({ id: 'synthetic-near', title: 'Synthetic Near-OOD' })).toBe(true);
    expect(isGenerated({ id: 'hmdb51-near', title: 'HMDB51 25/26 Near-OOD' })).toBe(false);
    expect(isGenerated({ id: 'synthetic-near', generated: false })).toBe(false);
    expect(isGenerated({ id: 'x', data: 'generated' })).toBe(true);
  });

  test('the FPR95 threshold from binned counts: 95% of OOD below it, and the ID share below', () => {
    // OOD uniform on [0, 1) in 10 bins: 95% below 0.95; ID all in the last bin [0.9, 1): half of it below 0.95
    const t = fpr95Threshold([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1], Array(10).fill(10), [0, 0, 0, 0, 0, 0, 0, 0, 0, 8])!;
    expect(t.threshold).toBeCloseTo(0.95, 12);
    expect(t.idBelow).toBeCloseTo(0.5, 12);
    expect(fpr95Threshold([0, 1], [0], [1])).toBeNull();
  });

  test('downloads: CSV quoting, JSON objects, the ranking rows', () => {
    const names = makeNames([], [{ id: 'msp', title: 'MSP, "max"' }], []);
    const rows = [lb('baseline', 'msp', 'near', 0.8, 0.3)];
    const b = { id: 'b', title: 'B', ranking: rankRows(rows) } as unknown as SiteBenchmark;
    const t = rankingTable(b, names);
    const csv = toCsv(t).split('\r\n');
    expect(csv[0]).toBe(t.columns.join(','));
    expect(csv[1]).toContain('"MSP, ""max""' + '"');
    expect(csv[1]!.startsWith('1,false,video+flow,baseline,Baseline,msp,')).toBe(true);
    const json = JSON.parse(toJson(t)) as { rows: Record<string, unknown>[] };
    expect(json.rows[0]).toMatchObject({ rank: 1, scorer_id: 'msp', auroc: 80, fpr95: 30, n: 2 });
    const home = homeTable({ benchmarks: [{ ...b, setting: 'near', generated: true, best: bestMethod(rows), reportedBest: null }] } as unknown as SiteData, names);
    expect(home.rows[0]!.slice(0, 5)).toEqual(['b', 'B', 'near', true, 'Baseline']);
  });

  test('serve: compressed when the client accepts it, the site 404 page for a missing page, JSON 404 for the API', async () => {
    const inner = new Hono();
    inner.get('/api/big', (c) => c.json({ items: Array.from({ length: 500 }, (_, i) => ({ i, name: `row ${i}` })) }));
    inner.get('/api/*', (c) => c.json({ error: 'no such endpoint' }, 404));
    inner.get('*', (c) => c.text('not found', 404));
    const root = mkdtempSync(join(tmpdir(), 'multiood-serve-'));
    try {
      writeFileSync(join(root, '404.html'), '<h1>Page not found</h1>');
      const app = serveApp(inner, root);
      const gz = await app.request('/api/big', { headers: { 'Accept-Encoding': 'gzip, deflate' } });
      expect(gz.headers.get('Content-Encoding')).toBe('gzip');
      const body = new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await gz.arrayBuffer())));
      expect((JSON.parse(body) as { items: unknown[] }).items.length).toBe(500);
      const plain = await app.request('/api/big');
      expect(plain.headers.get('Content-Encoding')).toBeNull();
      const missing = await app.request('/no/such/page/');
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain('Page not found');
      const apiMissing = await app.request('/api/nothing');
      expect(apiMissing.status).toBe(404);
      expect(await apiMissing.json()).toEqual({ error: 'no such endpoint' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
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

  test('reported rows are normalised (API fractions shown x100 as printed, table beside source, modalities as a list or joined)', () => {
    const r = normaliseReported({ benchmark: 'hmdb51-near', modalities: ['video', 'flow'], recipe: 'baseline', scorer: 'msp', ood: 'near', fpr95: 0.4466, auroc: 0.8774, idAcc: 0.8932, table: '1', source: { paper: 'Dong et al.', url: 'https://arxiv.org/abs/2405.17419' } });
    expect(r).toEqual({ benchmark: 'hmdb51-near', modalities: 'video+flow', recipe: 'baseline', scorer: 'msp', ood: 'near', fpr95: 44.66, auroc: 87.74, idAcc: 89.32, source: { paper: 'Dong et al.', url: 'https://arxiv.org/abs/2405.17419', table: '1', page: null } });
    expect(normaliseReported({ benchmark: 'x' })).toBeNull();
    expect(normaliseReported({ benchmark: 'x', modalities: 'video+flow', recipe: 'a', scorer: 'b', ood: 'near', fpr95: 0.1, auroc: 0.9, idAcc: null })).toMatchObject({ modalities: 'video+flow', fpr95: 10, auroc: 90, idAcc: null });
  });

  test('every reported row of the API shows the digits the submission printed', async () => {
    const { reportedRows } = await import('../submissions/load.ts');
    const printed = reportedRows();
    const store = openStore(db, { readonly: true });
    try {
      const api = (await (await createApp(store, { staticRoot: null }).request('/api/reported')).json()) as { rows: unknown[] };
      expect(api.rows).toHaveLength(printed.length);
      api.rows.forEach((row, i) => {
        const shown = normaliseReported(row)!;
        expect([shown.fpr95, shown.auroc, shown.idAcc]).toEqual([printed[i]!.fpr95, printed[i]!.auroc, printed[i]!.id_acc ?? null]);
      });
    } finally {
      store.close();
    }
  });
});

test('bun harness site build builds every page from the database, without JavaScript needed', async () => {
  const out = join(dir, 'dist-cli');
  const proc = Bun.spawnSync([process.execPath, CLI, 'site', 'build', '--db', db, '--out', out], { stdout: 'pipe', stderr: 'pipe' });
  expect(proc.exitCode, proc.stderr.toString()).toBe(0);
  expect(proc.stderr.toString()).toMatch(/site: \d+ pages \(9 cells\)/);

  const home = page(out, 'index.html');
  expect(home).toContain('href="/benchmarks/synthetic-near/"');
  expect(home).toContain('href="/submit/"');
  expect(home).toMatch(/<caption>/);
  expect(home).toContain('generated data');
  expect(home).toContain('@inproceedings{dong2024multiood');
  expect(home).toContain('rel="icon"');
  const submit = page(out, 'submit/index.html');
  for (const step of ['CONTRIBUTING.md', 'submission.json', 'submissions validate', 'submissions run', 'eval-dumps', 'feature folder', '&quot;kind&quot;: &quot;reported&quot;']) expect(submit).toContain(step);
  expect(existsSync(join(out, '404.html'))).toBe(true);
  expect(existsSync(join(out, 'favicon.svg'))).toBe(true);

  const near = page(out, 'benchmarks/synthetic-near/index.html');
  const nearRows = await leaderboard('synthetic-near');
  expect(nearRows.length).toBe(6); // 2 recipes x 3 scorers
  for (const row of nearRows) {
    expect(near).toContain(`data-sort="${row.auroc.mean}"`);
    expect(near).toContain(`<span class="v">${(row.auroc.mean * 100).toFixed(2)}</span>`);
    expect(near).toContain(`<span class="v">${(row.fpr95.mean * 100).toFixed(2)}</span>`);
    expect(near).toContain(`<span class="v">${(row.idAcc.mean * 100).toFixed(2)}</span>`);
  }
  expect(near).toContain('scope="colgroup"');
  expect(near).toContain('scope="row"');
  expect(near).toMatch(/fraction of ID test samples flagged as OOD/);
  expect(near).toContain('mean ± t(0.975, n−1) · s / √n');
  // a2d's ID ACC (+8.00, n = 3) is beyond the noise and coloured; its AUROC (+3.00) is within it and grey
  expect(near).toMatch(/<span class="delta good"[^>]*>\+8\.00 vs baseline<\/span>/);
  expect(near).toMatch(/\+3\.00, within noise/);
  expect(near).not.toMatch(/class="delta bad"/);
  expect(near).toContain('aria-sort="descending"');
  expect(near).toContain('href="#ranking-table"');
  expect(near).toContain('id="generated"');
  const csv = readFileSync(join(out, 'downloads/synthetic-near.ranking.csv'), 'utf8').trim().split('\r\n');
  expect(csv.length).toBe(1 + 6);
  expect(JSON.parse(readFileSync(join(out, 'downloads/synthetic-near.results-0.json'), 'utf8')).rows.length).toBe(6);
  expect(existsSync(join(out, 'downloads/benchmarks.csv'))).toBe(true);
  expect(existsSync(join(out, 'downloads/method.knn.json'))).toBe(true);
  // the paper's tables on every real benchmark, paired on hmdb51-near only where reproduced
  const hmdb = page(out, 'benchmarks/hmdb51-near/index.html');
  expect(hmdb).toContain('The paper beside this reproduction');
  expect(hmdb).toMatch(/data-here="\d/);
  const k600far = page(out, 'benchmarks/kinetics600-far/index.html');
  expect(k600far).not.toMatch(/data-here="\d/);
  expect(k600far).toContain('Table 8');
  // display names, not raw ids
  const k600near = page(out, 'benchmarks/kinetics600-near/index.html');
  expect(k600near).toContain('LogitNorm + A2D<');
  expect(k600near).not.toMatch(/>logitnorm_a2d</);


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
  expect(cell).toContain('MSP: confidence on ID test vs each OOD set');
  expect(cell).toContain('FPR95 threshold');
  expect(cell).not.toMatch(/>msp: confidence/);

  expect(Bun.spawnSync([process.execPath, CLI, 'site', 'build', '--db', join(dir, 'missing.sqlite'), '--out', out]).exitCode).toBe(2);
}, 180_000);

test('results reported by papers get their own labelled section; an absent route renders none', async () => {
  const out = join(dir, 'dist-reported');
  const reported = [{ benchmark: 'synthetic-near', modalities: 'video+flow', recipe: 'baseline', scorer: 'msp', ood: 'near', fpr95: 0.1234, auroc: 0.9876, idAcc: 0.915, source: { paper: 'Some Paper 2024', table: '2', page: 7 } }];
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
  // a generated benchmark: shown, labelled, never paired with the reproduction
  expect(section).toContain('This benchmark is generated data, so nothing here is paired with them.');
  expect(section).not.toMatch(/data-here="\d/);
  // never in the reproduced ranking
  const ranking = near.slice(near.indexOf('id="ranking"'), near.indexOf('<section class="reported"'));
  expect(ranking).not.toContain('98.76');
  expect(page(out, 'benchmarks/synthetic-far/index.html')).not.toContain('<section class="reported"');
}, 180_000);
