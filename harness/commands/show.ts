import Table from 'cli-table3';
import { Command } from 'commander';
import { benchmarkById } from '../../datasets/registry.ts';
import { SCORERS } from '../../methods/scorers/index.ts';
import { RECIPES } from '../../methods/training/recipes/index.ts';
import { InputError } from '../errors.ts';
import { tableStyle } from '../report/table-style.ts';
import { AVERAGE_OOD, openStore, type LeaderboardRow, type MeanStd } from '../store/index.ts';

export const DEFAULT_DB = 'results/multiood.sqlite';

const order = <T>(known: readonly string[], xs: Iterable<T>, key: (x: T) => string) =>
  [...xs].sort((a, b) => {
    const ia = known.indexOf(key(a)), ib = known.indexOf(key(b));
    return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  });

function cellText(v: MeanStd | undefined, base: MeanStd | undefined): string {
  if (!v || !Number.isFinite(v.mean)) return '-';
  let s = (v.mean * 100).toFixed(2);
  if (v.std !== null) s += ` ±${(v.std * 100).toFixed(2)}`;
  // Bit-identical means are not a measured change of 0: they say the two recipes could not differ.
  if (base && v.mean === base.mean) s += ' (= baseline)';
  else if (base && Number.isFinite(base.mean)) {
    const d = (v.mean - base.mean) * 100;
    s += ` (${d >= 0 ? '+' : ''}${d.toFixed(2)})`;
  }
  return s;
}

function isFar(benchmark: string, rows: readonly LeaderboardRow[]): boolean {
  const declared = benchmarkById(benchmark)?.setting;
  if (declared) return declared === 'far';
  return rows.some((r) => r.benchmark === benchmark && r.ood === AVERAGE_OOD);
}

/**
 * The paper's layouts from leaderboard rows (x100, mean ±std over seeds and splits; in recipe
 * blocks other than the baseline, the change against the baseline in parentheses).
 * Near-OOD (Table 1): scorers as rows, a column group (FPR95, AUROC, ID ACC) per benchmark and
 * modality set, one block per recipe. Far-OOD (Tables 2/3): one table per benchmark and modality
 * set, FPR95/AUROC per OOD set and their average, ID ACC, one block per recipe.
 */
export function renderLeaderboard(rows: readonly LeaderboardRow[]): string {
  const out: string[] = [];
  const benchmarks = [...new Set(rows.map((r) => r.benchmark))];
  const near = benchmarks.filter((b) => !isFar(b, rows));
  const far = benchmarks.filter((b) => isFar(b, rows));
  const find = (b: string, m: string, recipe: string, scorer: string, ood: string) =>
    rows.find((r) => r.benchmark === b && r.modalities === m && r.recipe === recipe && r.scorer === scorer && r.ood === ood);
  const recipeIds = order(RECIPES.map((r) => r.id), new Set(rows.map((r) => r.recipe)), (x) => x);
  const n = (sel: readonly LeaderboardRow[]) => {
    const ns = [...new Set(sel.map((r) => r.n))];
    return ns.length === 1 ? `n = ${ns[0]}` : `n = ${Math.min(...ns)}..${Math.max(...ns)}`;
  };

  if (near.length) {
    const groups = near.flatMap((b) => [...new Set(rows.filter((r) => r.benchmark === b).map((r) => r.modalities))].map((m) => [b, m] as const));
    const nearRows = rows.filter((r) => near.includes(r.benchmark));
    const table = new Table({
      head: ['Recipe', 'Scorer', ...groups.flatMap(([b, m]) => [`${b} ${m}\nFPR95 ↓`, 'AUROC ↑', 'ID ACC ↑'])],
      ...tableStyle(),
    });
    for (const recipe of recipeIds) {
      const inRecipe = nearRows.filter((r) => r.recipe === recipe);
      if (!inRecipe.length) continue;
      const scorers = order(SCORERS.map((s) => s.id), new Set(inRecipe.map((r) => r.scorer)), (x) => x);
      scorers.forEach((scorer, i) => {
        const cells = groups.flatMap(([b, m]) => {
          const v = find(b, m, recipe, scorer, 'near') ?? rows.find((r) => r.benchmark === b && r.modalities === m && r.recipe === recipe && r.scorer === scorer);
          const base = recipe === 'baseline' ? undefined : find(b, m, 'baseline', scorer, v?.ood ?? 'near');
          return [cellText(v?.fpr95, base?.fpr95), cellText(v?.auroc, base?.auroc), cellText(v?.idAcc, base?.idAcc)];
        });
        table.push([i === 0 ? recipe : '', scorer, ...cells]);
      });
    }
    out.push(`Near-OOD (Table 1 layout), x100, mean ±std over seeds and splits (${n(nearRows)}); (±d) = change against baseline\n${table.toString()}`);
  }

  for (const b of far) {
    for (const m of new Set(rows.filter((r) => r.benchmark === b).map((r) => r.modalities))) {
      const sel = rows.filter((r) => r.benchmark === b && r.modalities === m);
      const oods = [...new Set(sel.map((r) => r.ood).filter((o) => o !== AVERAGE_OOD))];
      const cols = [...oods, ...(oods.length > 1 ? [AVERAGE_OOD] : [])];
      const table = new Table({
        head: ['Recipe', 'Scorer', ...cols.flatMap((o) => [`${o}\nFPR95 ↓`, 'AUROC ↑']), 'ID ACC ↑'],
        ...tableStyle(),
      });
      for (const recipe of recipeIds) {
        const inRecipe = sel.filter((r) => r.recipe === recipe);
        if (!inRecipe.length) continue;
        const scorers = order(SCORERS.map((s) => s.id), new Set(inRecipe.map((r) => r.scorer)), (x) => x);
        scorers.forEach((scorer, i) => {
          const cells = cols.flatMap((o) => {
            const v = find(b, m, recipe, scorer, o);
            const base = recipe === 'baseline' ? undefined : find(b, m, 'baseline', scorer, o);
            return [cellText(v?.fpr95, base?.fpr95), cellText(v?.auroc, base?.auroc)];
          });
          const acc = find(b, m, recipe, scorer, cols[cols.length - 1]!);
          const accBase = recipe === 'baseline' ? undefined : find(b, m, 'baseline', scorer, cols[cols.length - 1]!);
          table.push([i === 0 ? recipe : '', scorer, ...cells, cellText(acc?.idAcc, accBase?.idAcc)]);
        });
      }
      out.push(`Far-OOD (Tables 2/3 layout): ${b} ${m}, x100, mean ±std over seeds and splits (${n(sel)}); (±d) = change against baseline\n${table.toString()}`);
    }
  }
  return out.join('\n\n');
}

const CSV_COLUMNS = ['benchmark', 'modalities', 'recipe', 'scorer', 'ood', 'n', 'fpr95', 'fpr95_std', 'auroc', 'auroc_std', 'aupr_in', 'aupr_in_std', 'aupr_out', 'aupr_out_std', 'id_acc', 'id_acc_std'];

/** One CSV line per leaderboard row (fractions; empty std where there is one cell). */
export function leaderboardCsv(rows: readonly LeaderboardRow[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const ms = (v: MeanStd) => [String(v.mean), v.std === null ? '' : String(v.std)];
  const lines = rows.map((r) => [q(r.benchmark), q(r.modalities), q(r.recipe), q(r.scorer), q(r.ood), String(r.n), ...ms(r.fpr95), ...ms(r.auroc), ...ms(r.auprIn), ...ms(r.auprOut), ...ms(r.idAcc)].join(','));
  return [CSV_COLUMNS.join(','), ...lines].join('\n');
}

/** Leaderboard rows of the database, for the chosen benchmarks (all when none): the ranked configurations, or all. */
export function loadLeaderboard(db: string, benchmarks?: readonly string[], configurations: 'ranked' | 'all' = 'ranked'): LeaderboardRow[] {
  const store = openStore(db, { readonly: true });
  try {
    const options = { configurations };
    return benchmarks?.length ? benchmarks.flatMap((benchmark) => store.queries.leaderboard({ benchmark }, options)) : store.queries.leaderboard({}, options);
  } finally {
    store.close();
  }
}

/**
 * The configurations that are not ranked (other settings, backends, code versions or data), one
 * line each with what differs from the ranked one: they are listed, never pooled into its mean.
 */
export function renderOtherConfigurations(rows: readonly LeaderboardRow[]): string {
  const others = rows.filter((r) => !r.configuration.ranked && (r.ood === AVERAGE_OOD || !rows.some((x) => x.configuration.key === r.configuration.key && x.ood === AVERAGE_OOD)));
  if (!others.length) return '';
  const lines = others.map((r) => {
    const what = `${r.benchmark} ${r.modalities} ${r.recipe} ${r.scorer}${r.ood === AVERAGE_OOD || r.ood === 'near' ? '' : ` (${r.ood})`}`;
    const auroc = `${(r.auroc.mean * 100).toFixed(2)}${r.auroc.std === null ? '' : ` ±${(r.auroc.std * 100).toFixed(2)}`}`;
    return `  ${what}: AUROC ${auroc}, FPR95 ${(r.fpr95.mean * 100).toFixed(2)}, n = ${r.n}; config ${r.configuration.key}: ${r.configuration.differences.join('; ')}`;
  });
  return `Other configurations (not ranked, never pooled with the ranked ones):\n${lines.join('\n')}`;
}

interface ShowFlags {
  benchmark?: string;
  db: string;
  json?: boolean;
  csv?: boolean;
  allConfigurations?: boolean;
}

export function showAction(flags: ShowFlags): void {
  if (flags.json && flags.csv) throw new InputError('--json and --csv: choose one');
  const benchmarks = flags.benchmark?.split(',').map((s) => s.trim()).filter(Boolean);
  // Text lists the other configurations too; JSON and CSV give the ranked ones unless asked.
  const all = loadLeaderboard(flags.db, benchmarks, flags.allConfigurations || (!flags.json && !flags.csv) ? 'all' : 'ranked');
  if (flags.json) process.stdout.write(`${JSON.stringify(all)}\n`);
  else if (flags.csv) process.stdout.write(`${leaderboardCsv(all)}\n`);
  else {
    const ranked = all.filter((r) => r.configuration.ranked);
    const others = renderOtherConfigurations(all);
    const text = [ranked.length ? renderLeaderboard(ranked) : '', others].filter(Boolean).join('\n\n');
    process.stdout.write(text ? `${text}\n` : `no results in ${flags.db}${benchmarks ? ` for ${benchmarks.join(', ')}` : ''} (run: bun harness run --all)\n`);
  }
}

export function showCommand(): Command {
  return new Command('show')
    .description("Print the results database in the paper's layouts (mean ±std over seeds and splits)")
    .option('--benchmark <ids>', 'comma-separated benchmark ids (default: all in the database)')
    .option('--db <path>', 'results database', DEFAULT_DB)
    .option('--json', 'print the leaderboard rows as one JSON array (fractions)')
    .option('--csv', 'print the leaderboard rows as CSV (fractions)')
    .option('--all-configurations', 'with --json/--csv: every configuration (the ranked ones are marked), not only the ranked ones')
    .action((flags: ShowFlags) => showAction(flags));
}
