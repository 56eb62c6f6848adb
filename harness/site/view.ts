/** Pure view models for the site: the paper's table layout and the best method of a benchmark. */
import { AVERAGE_OOD, type LeaderboardRow, type MeanStd } from '../store/index.ts';
import type { BestMethod, PaperTable, TableCell, TableValue } from './types.ts';

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

function value(row: LeaderboardRow, base: LeaderboardRow | undefined, metric: keyof typeof LOWER_IS_BETTER): TableValue {
  const v = row[metric];
  if (!base || row === base) return { value: v, delta: null, better: null };
  const delta = v.mean - base[metric].mean;
  return { value: v, delta, better: delta === 0 ? null : LOWER_IS_BETTER[metric] ? delta < 0 : delta > 0 };
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

/** Highest mean AUROC (ties: lower FPR95) over the primary rows. */
export function bestMethod(rows: readonly LeaderboardRow[]): BestMethod | null {
  let best: LeaderboardRow | null = null;
  for (const r of primaryRows(rows)) {
    if (!best || r.auroc.mean > best.auroc.mean || (r.auroc.mean === best.auroc.mean && r.fpr95.mean < best.fpr95.mean)) best = r;
  }
  if (!best) return null;
  return { modalities: best.modalities, recipe: best.recipe, scorer: best.scorer, ood: best.ood, auroc: best.auroc, fpr95: best.fpr95, n: best.n };
}

/** x100 with two decimals, "± std" when there is one. */
export function formatMeanStd(v: MeanStd): string {
  const mean = (v.mean * 100).toFixed(2);
  return v.std === null ? mean : `${mean} ± ${(v.std * 100).toFixed(2)}`;
}

export function formatDelta(delta: number): string {
  const x = delta * 100;
  const s = Math.abs(x).toFixed(2);
  return x > 0 ? `+${s}` : x < 0 && s !== '0.00' ? `−${s}` : `±${s}`;
}
