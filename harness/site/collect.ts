/** Everything the site shows, fetched through the API (in process: `app.request`), into one data object. */
import { AVERAGE_OOD, type CellDiagnostics, type CellItem, type LeaderboardRow, type ResultItem, type RunItem } from '../store/index.ts';
import { benchmarkCharts, cellCharts } from './charts.ts';
import { makeNames } from './names.ts';
import type { BenchmarkInfo, RecipeInfo, ReportedRow, ScorerInfo, SiteBenchmark, SiteCell, SiteData } from './types.ts';
import { bestMethod, paperTables, rankRows, reportedBest, reportedTables } from './view.ts';

export type ApiRequest = (path: string) => Response | Promise<Response>;

/** package.json's repository URL, when it has one. */
export const REPO_URL: string | null = null;

async function getJson<T>(request: ApiRequest, path: string): Promise<T> {
  const res = await request(path);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function paged<T>(request: ApiRequest, path: string): Promise<T[]> {
  const items: T[] = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let offset = 0; ; ) {
    const page = await getJson<{ total: number; items: T[] }>(request, `${path}${sep}limit=1000&offset=${offset}`);
    items.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return items;
  }
}

const str = (x: unknown): string | null => (typeof x === 'string' && x !== '' ? x : typeof x === 'number' ? String(x) : null);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * The API's fraction as the x100 number the paper printed, exactly (the API divides the printed
 * value by 100 with `fromPercent`; this inverts it, so the page shows the printed digits).
 */
const percent = (x: unknown): number | null => {
  const v = num(x);
  return v === null ? null : Math.round(v * 1e8) / 1e6;
};

/**
 * A GET /api/reported row (fractions, camelCase: the API's convention) as the site shows it: x100
 * as printed. Accepts small variations (table/page beside or inside source, modalities as list or string).
 */
export function normaliseReported(raw: unknown): ReportedRow | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const src = (typeof r.source === 'object' && r.source !== null ? r.source : {}) as Record<string, unknown>;
  const benchmark = str(r.benchmark), recipe = str(r.recipe), scorer = str(r.scorer);
  if (!benchmark || !recipe || !scorer) return null;
  const modalities = Array.isArray(r.modalities) ? r.modalities.map(String).join('+') : (str(r.modalities) ?? '').split(/[,+\s]+/).filter(Boolean).join('+');
  const paperUrl = str(src.url) ?? (str(r.paper)?.startsWith('http') ? str(r.paper) : null);
  return {
    benchmark,
    modalities,
    recipe,
    scorer,
    ood: str(r.ood) ?? '',
    fpr95: percent(r.fpr95),
    auroc: percent(r.auroc),
    idAcc: percent(r.idAcc),
    source: { paper: str(src.paper) ?? str(r.title) ?? str(r.paper) ?? 'unknown source', url: paperUrl, table: str(src.table ?? r.table), page: str(src.page ?? r.page) },
    ...(Array.isArray(r.also_in ?? r.alsoIn) ? { alsoIn: ((r.also_in ?? r.alsoIn) as unknown[]).map(String) } : {}),
  };
}

/**
 * Whether a benchmark's data is generated: an explicit field when the API gives one (`generated`,
 * or `data`/`kind` equal to "generated"/"synthetic"), else the harness's naming of its generated
 * benchmarks (id `synthetic-*`, title "Synthetic ...").
 */
export function isGenerated(b: Readonly<Record<string, unknown>>): boolean {
  if (typeof b.generated === 'boolean') return b.generated;
  for (const k of ['data', 'kind', 'source']) if (typeof b[k] === 'string' && /^(generated|synthetic|embedded)$/i.test(b[k] as string)) return true;
  return /^synthetic-/.test(String(b.id ?? '')) || /^(synthetic|generated)\b/i.test(String(b.title ?? ''));
}

/** Rows reported by papers; null when the route does not exist (404) or answers something unusable. */
async function reported(request: ApiRequest, benchmark: string): Promise<ReportedRow[] | null> {
  try {
    const res = await request(`/api/reported?benchmark=${encodeURIComponent(benchmark)}`);
    if (!res.ok) return null;
    const body = (await res.json()) as unknown;
    const rows = Array.isArray(body) ? body : Array.isArray((body as { rows?: unknown }).rows) ? (body as { rows: unknown[] }).rows : null;
    return rows ? rows.map(normaliseReported).filter((r): r is ReportedRow => r !== null && r.benchmark === benchmark) : null;
  } catch {
    return null;
  }
}

export interface CollectOptions {
  readonly repoUrl?: string | null;
  readonly now?: Date;
  /** render the per-cell SVG charts (default true) */
  readonly charts?: boolean;
}

export async function collectSiteData(request: ApiRequest, options: CollectOptions = {}): Promise<SiteData> {
  const benchmarksInfo = await getJson<BenchmarkInfo[]>(request, '/api/benchmarks');
  const methods = await getJson<{ scorers: ScorerInfo[]; recipes: RecipeInfo[] }>(request, '/api/methods');
  const runs = await getJson<RunItem[]>(request, '/api/runs');
  const recipeOrder = methods.recipes.map((r) => r.id);
  const scorerOrder = methods.scorers.map((s) => s.id);
  const names = makeNames(methods.recipes, methods.scorers, benchmarksInfo);
  const cellItems = await paged<CellItem>(request, '/api/cells');

  const benchmarks: SiteBenchmark[] = [];
  for (const b of benchmarksInfo) {
    const { rows } = await getJson<{ rows: LeaderboardRow[] }>(request, `/api/leaderboard/${encodeURIComponent(b.id)}`);
    // Configurations that are not ranked (other settings, backends, code or data): listed apart, never pooled.
    const { rows: all } = await getJson<{ rows: LeaderboardRow[] }>(request, `/api/leaderboard/${encodeURIComponent(b.id)}?configurations=all`);
    const otherConfigurations = all.filter((r) => r.configuration && !r.configuration.ranked && (r.ood === AVERAGE_OOD || !all.some((x) => x.configuration.key === r.configuration.key && x.ood === AVERAGE_OOD)));
    const { classNames: _drop, ...info } = b as BenchmarkInfo & { classNames?: unknown };
    const generated = isGenerated(b as unknown as Record<string, unknown>);
    const mine = cellItems.filter((c) => c.config.benchmark === b.id && c.status === 'done');
    const rep = await reported(request, b.id);
    const ranking = rankRows(rows);
    benchmarks.push({
      ...info,
      generated,
      splitsRun: [...new Set(mine.map((c) => c.config.split))].sort((x, y) => x - y),
      seedsRun: [...new Set(mine.map((c) => c.config.seed))].sort((x, y) => x - y),
      rows,
      otherConfigurations,
      tables: paperTables(rows, recipeOrder, scorerOrder),
      ranking,
      best: bestMethod(rows),
      reported: rep,
      reportedTables: rep ? reportedTables(rep, rows, !generated) : [],
      reportedBest: rep ? reportedBest(rep) : null,
      charts: options.charts !== false ? await benchmarkCharts(ranking, names, scorerOrder, recipeOrder, b.title) : { auroc: null, fpr95: null },
    });
  }

  const results = await paged<ResultItem>(request, '/api/results');
  const byCell = new Map<string, ResultItem[]>();
  for (const r of results) byCell.set(r.cellId, [...(byCell.get(r.cellId) ?? []), r]);

  const cells: SiteCell[] = [];
  for (const cell of cellItems) {
    const res = await request(`/api/cells/${encodeURIComponent(cell.id)}/diagnostics`);
    const diagnostics = res.ok ? ((await res.json()) as CellDiagnostics) : null;
    const charts = diagnostics && options.charts !== false ? await cellCharts(diagnostics, names) : null;
    cells.push({ ...cell, resultRows: byCell.get(cell.id) ?? [], diagnostics, charts });
  }

  return {
    generatedAt: (options.now ?? new Date()).toISOString(),
    repoUrl: options.repoUrl ?? REPO_URL,
    benchmarks,
    scorers: methods.scorers,
    recipes: methods.recipes,
    runs,
    cells,
  };
}
