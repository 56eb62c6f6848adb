/**
 * Loads the built site in Chromium (playwright-core, Debian's /usr/bin/chromium): the benchmark
 * table shows the API's numbers, header buttons sort, filters hide, and it works without
 * JavaScript. Screenshots go to site/tests/out/ (gitignored).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, normalize, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { createApp } from '../api/index.ts';
import { type LeaderboardRow, openStore } from '../store/index.ts';
import { type FixtureSite, fixtureSite } from './test-fixture.ts';
import { formatMeanStd } from './view.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SHOTS = resolve(import.meta.dir, '..', '..', 'site', 'tests', 'out');
if (!HAVE_CHROMIUM) console.warn(`\n*** SKIPPING the site browser tests: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH) ***\n`);

let site: FixtureSite;
let server: ReturnType<typeof Bun.serve>;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  site = await fixtureSite();
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const path = normalize(decodeURIComponent(new URL(req.url).pathname)).replace(/^(\.\.[/\\])+/, '');
      let file = join(site.out, path);
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      return existsSync(file) ? new Response(Bun.file(file)) : new Response('not found', { status: 404 });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  server?.stop(true);
  if (site) rmSync(site.dir, { recursive: true, force: true });
});

async function apiLeaderboard(benchmark: string): Promise<LeaderboardRow[]> {
  const store = openStore(site.db, { readonly: true });
  try {
    return ((await (await createApp(store, { staticRoot: null }).request(`/api/leaderboard/${benchmark}`)).json()) as { rows: LeaderboardRow[] }).rows;
  } finally {
    store.close();
  }
}

test.skipIf(!HAVE_CHROMIUM)('the benchmark table shows the API leaderboard, sorts on header click, filters by recipe', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/benchmarks/synthetic-near/`);
  const table = page.locator('table#table-0');
  await expect(table.locator('caption').textContent()).resolves.toContain('video + flow');

  // numbers: every (recipe, scorer) cell equals the API's mean ± std
  const rows = await apiLeaderboard('synthetic-near');
  expect(rows.length).toBe(6);
  for (const row of rows) {
    const cell = table.locator(`tbody tr:has(th[data-sort="${row.scorer}"]) td[data-key="${row.recipe}:auroc"]`);
    expect((await cell.textContent())!.trim().startsWith(formatMeanStd(row.auroc))).toBe(true);
    const fpr = table.locator(`tbody tr:has(th[data-sort="${row.scorer}"]) td[data-key="${row.recipe}:fpr95"]`);
    expect((await fpr.textContent())!.trim().startsWith(formatMeanStd(row.fpr95))).toBe(true);
  }
  await page.screenshot({ path: join(SHOTS, 'benchmark-desktop.png'), fullPage: true });

  // sorting: the header becomes a button; AUROC sorts descending first, then ascending
  const scorers = () => table.locator('tbody th[scope="row"]').evaluateAll((els) => els.map((el) => (el as { getAttribute(n: string): string | null }).getAttribute('data-sort')));
  const before = await scorers();
  const auroc = rows.filter((r) => r.recipe === 'baseline');
  const byAuroc = [...auroc].sort((a, b) => b.auroc.mean - a.auroc.mean).map((r) => r.scorer);
  await table.locator('th[data-sort-key="baseline:auroc"] button').click();
  const after = await scorers();
  expect(after).toEqual(byAuroc);
  expect(after).not.toEqual(before);
  expect(await table.locator('th[data-sort-key="baseline:auroc"]').getAttribute('aria-sort')).toBe('descending');
  await table.locator('th[data-sort-key="baseline:auroc"] button').click();
  expect(await scorers()).toEqual([...byAuroc].reverse());

  // filtering: the recipe filter leaves only a2d in the ranking (the paper table keeps its baseline block)
  await page.locator('select[data-filter="recipe"]').selectOption('a2d');
  const visibleRecipes = await page.locator('table#ranking tbody tr:visible td[data-key="recipe"]').evaluateAll((els) => els.map((el) => (el as { getAttribute(n: string): string | null }).getAttribute('data-sort')));
  expect(visibleRecipes.length).toBeGreaterThan(0);
  expect(new Set(visibleRecipes)).toEqual(new Set(['a2d']));
  expect(await table.locator('thead th[scope="colgroup"]:visible').count()).toBe(2);
  await page.close();
}, 120_000);

test.skipIf(!HAVE_CHROMIUM)('without JavaScript every table is there and the filters stay hidden; phone and run pages render', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const page = await ctx.newPage();
  await page.goto(`${base}/benchmarks/synthetic-far/`);
  expect(await page.locator('table.paper').count()).toBe(4); // easy, hard, medium, average
  expect(await page.locator('form[data-filters]').isVisible()).toBe(false);
  // tables scroll inside their wrapper instead of widening the page
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow).toBeLessThanOrEqual(1);
  await page.screenshot({ path: join(SHOTS, 'benchmark-phone-nojs.png'), fullPage: true });
  await page.goto(`${base}/`);
  await page.screenshot({ path: join(SHOTS, 'home-phone.png'), fullPage: true });
  await ctx.close();

  const desk = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await desk.goto(`${base}/cells/fx-synthetic-far-video+audio+flow-baseline-0/`);
  expect(await desk.locator('figure.chart svg').count()).toBe(6);
  await desk.screenshot({ path: join(SHOTS, 'cell-desktop.png'), fullPage: true });
  await desk.goto(`${base}/methods/knn/`);
  expect(await desk.locator('table#method-results tbody tr').count()).toBe(3); // near: baseline, a2d; far: baseline (average)
  await desk.close();
}, 120_000);
