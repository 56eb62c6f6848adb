/**
 * Every table of the site as rows and columns, written as static CSV and JSON files next to the
 * pages (`/downloads/<slug>.csv|json`), so downloads work without JavaScript and without a server.
 * Metric values are x100 like the pages, rounded to 4 decimals; intervals are the 95% t-intervals.
 */
import type { Names } from './names.ts';
import type { Interval } from './stats.ts';
import type { PairedValue, SiteBenchmark, SiteData, TableValue } from './types.ts';
import { ciOf, primaryRows } from './view.ts';

export type Cell = string | number | boolean | null;

export interface DownloadTable {
  /** file name without extension: `<benchmark>.ranking`, `<benchmark>.results-0`, `<benchmark>.reported-0`, `method.<id>`, `benchmarks` */
  readonly slug: string;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

const r4 = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1e4) / 1e4);
const x100 = (x: number | null | undefined) => (x === null || x === undefined ? null : r4(x * 100));
const ciCols = (ci: Interval | null) => [ci ? x100(ci.lo) : null, ci ? x100(ci.hi) : null];

export const RANKING_COLUMNS = ['rank', 'tied', 'modalities', 'recipe_id', 'recipe', 'scorer_id', 'scorer', 'ood', 'auroc', 'auroc_std', 'auroc_ci_lo', 'auroc_ci_hi', 'fpr95', 'fpr95_std', 'fpr95_ci_lo', 'fpr95_ci_hi', 'id_acc', 'id_acc_std', 'n'] as const;

export function rankingTable(b: SiteBenchmark, names: Names): DownloadTable {
  return {
    slug: `${b.id}.ranking`,
    title: `${b.title}: reproduced ranking`,
    columns: RANKING_COLUMNS,
    rows: b.ranking.map((r) => [
      r.rank.rank, r.rank.tied, r.modalities, r.recipe, names.recipe(r.recipe), r.scorer, names.scorer(r.scorer), r.ood,
      x100(r.auroc.mean), x100(r.auroc.std), ...ciCols(r.aurocCi), x100(r.fpr95.mean), x100(r.fpr95.std), ...ciCols(r.fpr95Ci), x100(r.idAcc.mean), x100(r.idAcc.std), r.n,
    ]),
  };
}

function benchmarkTables(b: SiteBenchmark, names: Names): DownloadTable[] {
  const out: DownloadTable[] = [rankingTable(b, names)];
  const metric = (v: TableValue | undefined) => (v ? [x100(v.value.mean), x100(v.value.std), v.ci ? x100(v.ci.half) : null, x100(v.delta), v.delta === null ? null : v.beyondNoise] : [null, null, null, null, null]);
  b.tables.forEach((t, ti) => {
    const rows: Cell[][] = [];
    for (const s of t.scorers)
      for (const r of t.recipes) {
        const c = t.cells[r]?.[s];
        if (c) rows.push([s, names.scorer(s), r, names.recipe(r), t.modalities, t.ood, ...metric(c.fpr95), ...metric(c.auroc), ...metric(c.idAcc), c.n]);
      }
    const m = (k: string) => [k, `${k}_std`, `${k}_ci_half`, `${k}_delta_vs_baseline`, `${k}_delta_beyond_noise`];
    out.push({ slug: `${b.id}.results-${ti}`, title: `${b.title}, ${names.modalities(t.modalities)}, ${names.ood(t.ood)}`, columns: ['scorer_id', 'scorer', 'recipe_id', 'recipe', 'modalities', 'ood', ...m('fpr95'), ...m('auroc'), ...m('id_acc'), 'n'], rows });
  });
  const paired = (p: PairedValue) => [p.paper, p.here ? r4(p.here.mean) : null, p.here && p.here.half !== null ? r4(p.here.half) : null, p.here ? p.here.n : null, r4(p.diff)];
  b.reportedTables.forEach((t, k) => {
    const rows: Cell[][] = [];
    for (const row of t.rows)
      for (const ood of t.oods) {
        const v = row.byOod[ood];
        if (v) rows.push([t.table, t.modalities, row.recipe, names.recipe(row.recipe), row.scorer, names.scorer(row.scorer), ood, ...paired(v.fpr95), ...paired(v.auroc), ...paired(row.idAcc)]);
      }
    const m = (k2: string) => [`${k2}_paper`, `${k2}_here`, `${k2}_here_ci_half`, `${k2}_here_n`, `${k2}_here_minus_paper`];
    out.push({ slug: `${b.id}.reported-${k}`, title: `${b.title}: ${t.source.paper}, Table ${t.table}`, columns: ['table', 'modalities', 'recipe_id', 'recipe', 'scorer_id', 'scorer', 'ood', ...m('fpr95'), ...m('auroc'), ...m('id_acc')], rows });
  });
  return out;
}

export function homeTable(data: SiteData, names: Names): DownloadTable {
  return {
    slug: 'benchmarks',
    title: 'Benchmarks, their best reproduced method and the paper’s best reported one',
    columns: ['benchmark', 'title', 'setting', 'generated', 'best_recipe', 'best_scorer', 'best_modalities', 'auroc', 'auroc_ci_lo', 'auroc_ci_hi', 'fpr95', 'fpr95_ci_lo', 'fpr95_ci_hi', 'n', 'tied_with_best', 'paper_recipe', 'paper_scorer', 'paper_auroc', 'paper_fpr95'],
    rows: data.benchmarks.map((b) => {
      const best = b.best, p = b.reportedBest;
      return [
        b.id, b.title, b.setting, b.generated,
        best ? names.recipe(best.recipe) : null, best ? names.scorer(best.scorer) : null, best ? best.modalities : null,
        best ? x100(best.auroc.mean) : null, ...ciCols(best?.aurocCi ?? null), best ? x100(best.fpr95.mean) : null, ...ciCols(best?.fpr95Ci ?? null), best ? best.n : null, best ? best.tiedWith.length : null,
        p ? names.recipe(p.recipe) : null, p ? names.scorer(p.scorer) : null, p?.auroc ?? null, p?.fpr95 ?? null,
      ];
    }),
  };
}

export function methodTable(data: SiteData, names: Names, id: string): DownloadTable {
  const isScorer = data.scorers.some((s) => s.id === id);
  const rows = data.benchmarks.flatMap((b) => primaryRows(b.rows).filter((r) => (isScorer ? r.scorer === id : r.recipe === id)));
  return {
    slug: `method.${id}`,
    title: `${isScorer ? names.scorer(id) : names.recipe(id)}: every reproduced result`,
    columns: ['benchmark', 'modalities', 'recipe_id', 'recipe', 'scorer_id', 'scorer', 'ood', 'auroc', 'auroc_std', 'auroc_ci_lo', 'auroc_ci_hi', 'fpr95', 'fpr95_std', 'fpr95_ci_lo', 'fpr95_ci_hi', 'id_acc', 'n'],
    rows: rows.map((r) => [r.benchmark, r.modalities, r.recipe, names.recipe(r.recipe), r.scorer, names.scorer(r.scorer), r.ood, x100(r.auroc.mean), x100(r.auroc.std), ...ciCols(ciOf(r, r.auroc)), x100(r.fpr95.mean), x100(r.fpr95.std), ...ciCols(ciOf(r, r.fpr95)), x100(r.idAcc.mean), r.n]),
  };
}

export function allDownloads(data: SiteData, names: Names): DownloadTable[] {
  return [homeTable(data, names), ...data.benchmarks.flatMap((b) => benchmarkTables(b, names)), ...[...data.scorers, ...data.recipes].map((m) => methodTable(data, names, m.id))];
}

const csvCell = (c: Cell) => {
  if (c === null) return '';
  const s = String(c);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** RFC 4180 CSV with a header row. */
export function toCsv(t: DownloadTable): string {
  return [t.columns, ...t.rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** `{ title, columns, rows: [{column: value}] }`. */
export function toJson(t: DownloadTable): string {
  return JSON.stringify({ title: t.title, columns: t.columns, rows: t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null]))) }, null, 1);
}
