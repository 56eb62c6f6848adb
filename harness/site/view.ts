/** Pure view models for the site: the paper's table layout, noise-respecting ranks, the best method, paper beside reproduction. */
import { AVERAGE_OOD, type LeaderboardRow, type MeanStd } from '../store/index.ts';
import { confidenceInterval, differsBeyondNoise, type Interval, noiseRanks, tiedWithBest } from './stats.ts';
import type { BestMethod, PairedValue, PaperTable, RankedRow, ReportedMethodRow, ReportedRow, ReportedTable, TableCell, TableValue } from './types.ts';

export const BASELINE = 'baseline';
const LOWER_IS_BETTER = { fpr95: true, auroc: false, idAcc: false } as const;

function orderBy<T>(items: readonly T[], preferred: readonly T[]): T[] {
  const rank = (x: T) => {
    const i = preferred.indexOf(x);
    return i < 0 ? preferred.length : i;
  };
  return [...items].sort((a, b) => rank(a) - rank(b) || String(a).localeCompare(String(b)));
}

/** OOD sets in display order: named sets sorted, the average last. */
export function oodOrder(oods: Iterable<string>): string[] {
  const list = [...new Set(oods)];
  return [...list.filter((o) => o !== AVERAGE_OOD).sort(), ...list.filter((o) => o === AVERAGE_OOD)];
}

/** The 95% interval of one metric of a leaderboard row. */
export const ciOf = (row: Pick<LeaderboardRow, 'n'>, v: MeanStd): Interval | null => confidenceInterval(v.mean, v.std, row.n);

function value(row: LeaderboardRow, base: LeaderboardRow | undefined, metric: keyof typeof LOWER_IS_BETTER): TableValue {
  const v = row[metric];
  const ci = ciOf(row, v);
  if (!base || row === base) return { value: v, ci, delta: null, better: null, beyondNoise: false };
  const delta = v.mean - base[metric].mean;
  const beyondNoise = differsBeyondNoise({ mean: v.mean, ci }, { mean: base[metric].mean, ci: ciOf(base, base[metric]) });
  return { value: v, ci, delta, better: delta === 0 ? null : LOWER_IS_BETTER[metric] ? delta < 0 : delta > 0, beyondNoise };
}

/**
 * One table per (modality set, OOD set), scorers as rows and a block of FPR95 / AUROC / ID ACC per
 * recipe (baseline first, then `recipeOrder`), with each value's change against the baseline.
 */
export function paperTables(rows: readonly LeaderboardRow[], recipeOrder: readonly string[] = [], scorerOrder: readonly string[] = []): PaperTable[] {
  const recipesPreferred = [BASELINE, ...recipeOrder.filter((r) => r !== BASELINE)];
  const tables: PaperTable[] = [];
  const modalitySets = [...new Set(rows.map((r) => r.modalities))];
  for (const modalities of modalitySets) {
    const mRows = rows.filter((r) => r.modalities === modalities);
    for (const ood of oodOrder(mRows.map((r) => r.ood))) {
      const oRows = mRows.filter((r) => r.ood === ood);
      const recipes = orderBy([...new Set(oRows.map((r) => r.recipe))], recipesPreferred);
      const scorers = orderBy([...new Set(oRows.map((r) => r.scorer))], scorerOrder);
      const find = (recipe: string, scorer: string) => oRows.find((r) => r.recipe === recipe && r.scorer === scorer);
      const cells: Record<string, Record<string, TableCell>> = {};
      for (const recipe of recipes) {
        cells[recipe] = {};
        for (const scorer of scorers) {
          const row = find(recipe, scorer);
          if (!row) continue;
          const base = find(BASELINE, scorer);
          cells[recipe]![scorer] = { fpr95: value(row, base, 'fpr95'), auroc: value(row, base, 'auroc'), idAcc: value(row, base, 'idAcc'), n: row.n };
        }
      }
      tables.push({ modalities, ood, recipes, scorers, cells });
    }
  }
  return tables;
}

/** The rows a benchmark is ranked by: the Far-OOD average where there is one, else the single OOD set. */
export function primaryRows(rows: readonly LeaderboardRow[]): LeaderboardRow[] {
  const groups = new Map<string, LeaderboardRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.modalities, r.recipe, r.scorer]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => g.find((r) => r.ood === AVERAGE_OOD) ?? (g.length === 1 ? g[0]! : g[0]!));
}

/** The primary rows, highest mean AUROC first (ties: lower FPR95), each with its intervals and noise rank by AUROC. */
export function rankRows(rows: readonly LeaderboardRow[]): RankedRow[] {
  const sorted = primaryRows(rows).sort((a, b) => b.auroc.mean - a.auroc.mean || a.fpr95.mean - b.fpr95.mean);
  const est = sorted.map((r) => ({ mean: r.auroc.mean, ci: ciOf(r, r.auroc) }));
  const ranks = noiseRanks(est);
  return sorted.map((r, i) => ({ ...r, aurocCi: est[i]!.ci, fpr95Ci: ciOf(r, r.fpr95), idAccCi: ciOf(r, r.idAcc), rank: ranks[i]! }));
}

/** Highest mean AUROC (ties: lower FPR95) over the primary rows, with the methods whose AUROC interval overlaps its own. */
export function bestMethod(rows: readonly LeaderboardRow[]): BestMethod | null {
  const ranked = rankRows(rows);
  const best = ranked[0];
  if (!best) return null;
  const tied = tiedWithBest(ranked.map((r) => ({ mean: r.auroc.mean, ci: r.aurocCi })));
  return {
    modalities: best.modalities,
    recipe: best.recipe,
    scorer: best.scorer,
    ood: best.ood,
    auroc: best.auroc,
    fpr95: best.fpr95,
    aurocCi: best.aurocCi,
    fpr95Ci: best.fpr95Ci,
    n: best.n,
    tiedWith: tied.filter((i) => i !== 0).map((i) => ({ modalities: ranked[i]!.modalities, recipe: ranked[i]!.recipe, scorer: ranked[i]!.scorer })),
  };
}

const modalityKey = (m: string) => m.split(/[+,\s]+/).filter(Boolean).sort().join('+');
const rowKey = (modalities: string, recipe: string, scorer: string, ood: string) => JSON.stringify([modalityKey(modalities), recipe, scorer, ood]);

function pair(paper: number | null, row: LeaderboardRow | undefined, v: MeanStd | undefined): PairedValue {
  if (!row || !v) return { paper, here: null, diff: null };
  const ci = ciOf(row, v);
  const here = { mean: v.mean * 100, std: v.std === null ? null : v.std * 100, half: ci ? ci.half * 100 : null, n: row.n };
  return { paper, here, diff: paper === null ? null : here.mean - paper };
}

/**
 * A paper's rows of one benchmark in the paper's layout: one table per (table, modality set),
 * methods as rows in the order printed, OOD sets x (FPR95, AUROC) as columns and ID ACC once.
 * Where the same (modalities, recipe, scorer, OOD set) was reproduced here on the real benchmark,
 * the reproduced value and the difference stand beside the paper's; generated benchmarks are never
 * paired (pass `comparable` false).
 */
export function reportedTables(reported: readonly ReportedRow[], reproduced: readonly LeaderboardRow[], comparable: boolean): ReportedTable[] {
  const here = new Map<string, LeaderboardRow>();
  if (comparable) for (const r of reproduced) here.set(rowKey(r.modalities, r.recipe, r.scorer, r.ood), r);
  const groups = new Map<string, ReportedRow[]>();
  for (const r of reported) {
    const key = JSON.stringify([r.source.table ?? '', modalityKey(r.modalities), r.source.paper]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const tables: ReportedTable[] = [];
  for (const rows of groups.values()) {
    const first = rows[0]!;
    const oods = [...new Set(rows.map((r) => r.ood))];
    const ordered = [...oods.filter((o) => o !== AVERAGE_OOD), ...oods.filter((o) => o === AVERAGE_OOD)];
    const methods = new Map<string, ReportedRow[]>();
    for (const r of rows) methods.set(JSON.stringify([r.recipe, r.scorer]), [...(methods.get(JSON.stringify([r.recipe, r.scorer])) ?? []), r]);
    let paired = 0;
    const out: ReportedMethodRow[] = [];
    for (const mRows of methods.values()) {
      const { recipe, scorer } = mRows[0]!;
      const byOod: Record<string, { fpr95: PairedValue; auroc: PairedValue }> = {};
      for (const r of mRows) {
        const h = here.get(rowKey(r.modalities, recipe, scorer, r.ood));
        byOod[r.ood] = { fpr95: pair(r.fpr95, h, h?.fpr95), auroc: pair(r.auroc, h, h?.auroc) };
        if (h) paired += 2;
      }
      const withAcc = mRows.find((r) => r.idAcc !== null) ?? mRows.find((r) => r.ood === AVERAGE_OOD || r.ood === 'near') ?? mRows[0]!;
      const same = reproduced.filter((x) => modalityKey(x.modalities) === modalityKey(withAcc.modalities) && x.recipe === recipe && x.scorer === scorer);
      const hAcc = comparable ? primaryRows(same)[0] : undefined;
      const idAcc = pair(withAcc.idAcc, hAcc, hAcc?.idAcc);
      if (idAcc.here && idAcc.paper !== null) paired++;
      out.push({ recipe, scorer, byOod, idAcc, alsoIn: [...new Set(mRows.flatMap((r) => r.alsoIn ?? []))] });
    }
    tables.push({ table: first.source.table ?? '', modalities: first.modalities, oods: ordered, rows: out, source: first.source, paired });
  }
  return tables;
}

/** The paper's best primary row (Far-OOD: the average; highest AUROC, ties: lower FPR95), or null. */
export function reportedBest(reported: readonly ReportedRow[]): ReportedRow | null {
  const hasAverage = reported.some((r) => r.ood === AVERAGE_OOD);
  let best: ReportedRow | null = null;
  for (const r of reported) {
    if (r.auroc === null || (hasAverage && r.ood !== AVERAGE_OOD)) continue;
    if (!best || r.auroc > best.auroc! || (r.auroc === best.auroc && (r.fpr95 ?? Infinity) < (best.fpr95 ?? Infinity))) best = r;
  }
  return best;
}

/** x100, two decimals, or an en dash. */
export const fmt100 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : (v * 100).toFixed(2));

/** An interval's half-width x100 as "±1.23", or null when there is none. */
export const formatHalf = (ci: Interval | null) => (ci ? `±${(ci.half * 100).toFixed(2)}` : null);

/** A signed difference already x100: "+1.23" / "−1.23" / "±0.00". */
export function formatSigned(x: number): string {
  const s = Math.abs(x).toFixed(2);
  return x > 0 && s !== '0.00' ? `+${s}` : x < 0 && s !== '0.00' ? `−${s}` : `±${s}`;
}

/** x100 with two decimals, "± std" when there is one. */
export function formatMeanStd(v: MeanStd): string {
  const mean = (v.mean * 100).toFixed(2);
  return v.std === null ? mean : `${mean} ± ${(v.std * 100).toFixed(2)}`;
}

export function formatDelta(delta: number): string {
  return formatSigned(delta * 100);
}
