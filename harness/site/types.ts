/** The data file the Astro pages read: everything the site shows, fetched through the API at build time. */
import type { CellDiagnostics, CellItem, LeaderboardRow, MeanStd, ResultItem, RunItem } from '../store/index.ts';
import type { Interval, NoiseRank } from './stats.ts';

export interface BenchmarkInfo {
  readonly id: string;
  readonly title: string;
  readonly setting: 'near' | 'far' | string;
  readonly modalities: readonly { readonly name: string; readonly dim: number }[];
  readonly modalitySets: readonly (readonly string[])[];
  readonly classes: number;
  readonly splits: number;
  readonly available: boolean;
}

export interface Paper {
  readonly title: string;
  readonly url: string;
}

export interface ScorerInfo {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly paper: Paper | null;
  readonly defaults: Readonly<Record<string, unknown>>;
}

export interface RecipeInfo {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly paper: Paper | null;
  readonly family: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** A row of GET /api/reported, normalised: a number a paper reported, not reproduced here (x100 as published). */
export interface ReportedRow {
  readonly benchmark: string;
  /** modality names joined by '+' */
  readonly modalities: string;
  readonly recipe: string;
  readonly scorer: string;
  readonly ood: string;
  readonly fpr95: number | null;
  readonly auroc: number | null;
  readonly idAcc: number | null;
  readonly source: { readonly paper: string; readonly url: string | null; readonly table: string | null; readonly page: string | null };
  /** other tables of the same paper printing the same numbers */
  readonly alsoIn?: readonly string[];
}

/** One metric of one (scorer, recipe) in a paper-layout table. */
export interface TableValue {
  readonly value: MeanStd;
  /** the 95% t-interval of the mean (null when n < 2) */
  readonly ci: Interval | null;
  /** value - baseline value (same scorer, modality set, OOD set), when a baseline exists and this is not it */
  readonly delta: number | null;
  /** whether the change is an improvement (FPR95 lower, AUROC / ID ACC higher) */
  readonly better: boolean | null;
  /** whether the change is beyond the noise: both intervals exist and do not overlap (only then is it coloured) */
  readonly beyondNoise: boolean;
}

export interface TableCell {
  readonly fpr95: TableValue;
  readonly auroc: TableValue;
  readonly idAcc: TableValue;
  readonly n: number;
}

/** The paper's layout for one modality set and one OOD set: scorers as rows, a block per recipe. */
export interface PaperTable {
  readonly modalities: string;
  readonly ood: string;
  readonly recipes: readonly string[];
  readonly scorers: readonly string[];
  /** recipe -> scorer -> cell */
  readonly cells: Readonly<Record<string, Readonly<Record<string, TableCell>>>>;
}

export interface MethodRef {
  readonly modalities: string;
  readonly recipe: string;
  readonly scorer: string;
}

export interface BestMethod extends MethodRef {
  readonly ood: string;
  readonly auroc: MeanStd;
  readonly fpr95: MeanStd;
  readonly aurocCi: Interval | null;
  readonly fpr95Ci: Interval | null;
  readonly n: number;
  /** the other methods whose AUROC interval overlaps the best one's: the data cannot tell them apart */
  readonly tiedWith: readonly MethodRef[];
}

/** A primary row (Far-OOD: the average) with its intervals and its noise-respecting AUROC rank. */
export interface RankedRow extends LeaderboardRow {
  readonly aurocCi: Interval | null;
  readonly fpr95Ci: Interval | null;
  readonly idAccCi: Interval | null;
  readonly rank: NoiseRank;
}

/** A reproduced value beside a paper's (both x100). */
export interface PairedValue {
  /** as printed */
  readonly paper: number | null;
  /** reproduced here, x100; null when this cell was not reproduced on the real benchmark */
  readonly here: { readonly mean: number; readonly std: number | null; readonly half: number | null; readonly n: number } | null;
  /** here - paper */
  readonly diff: number | null;
}

/** One row (method) of a reported table in the paper's layout. */
export interface ReportedMethodRow {
  readonly recipe: string;
  readonly scorer: string;
  /** OOD set -> metrics */
  readonly byOod: Readonly<Record<string, { readonly fpr95: PairedValue; readonly auroc: PairedValue }>>;
  readonly idAcc: PairedValue;
  readonly alsoIn: readonly string[];
}

/** A paper's table for one benchmark and modality set, laid out as printed: methods as rows, OOD sets x metrics as columns. */
export interface ReportedTable {
  readonly table: string;
  readonly modalities: string;
  readonly oods: readonly string[];
  readonly rows: readonly ReportedMethodRow[];
  readonly source: ReportedRow['source'];
  /** cells with a reproduced value beside the paper's */
  readonly paired: number;
}

export interface CellCharts {
  /** scorer -> SVG of ID vs OOD confidence histograms */
  readonly histograms: Readonly<Record<string, string>>;
  readonly discrepancy: string | null;
  readonly loss: string | null;
  readonly accuracy: string | null;
}

export interface SiteCell extends CellItem {
  readonly resultRows: readonly ResultItem[];
  readonly diagnostics: CellDiagnostics | null;
  readonly charts: CellCharts | null;
}

export interface BenchmarkCharts {
  /** per-scorer AUROC with 95% intervals, one colour per recipe (primary rows) */
  readonly auroc: string | null;
  readonly fpr95: string | null;
}

export interface SiteBenchmark extends BenchmarkInfo {
  /** generated (synthetic) data: not comparable with any paper */
  readonly generated: boolean;
  /** the dataset splits and seeds the stored cells ran */
  readonly splitsRun: readonly number[];
  readonly seedsRun: readonly number[];
  readonly rows: readonly LeaderboardRow[];
  readonly tables: readonly PaperTable[];
  /** primary rows, highest mean AUROC first, with noise ranks */
  readonly ranking: readonly RankedRow[];
  readonly best: BestMethod | null;
  /** null when the API has no /api/reported route (or it failed) */
  readonly reported: readonly ReportedRow[] | null;
  readonly reportedTables: readonly ReportedTable[];
  /** the paper's best primary row (highest AUROC; Far-OOD: the average), when it reports any */
  readonly reportedBest: ReportedRow | null;
  readonly charts: BenchmarkCharts;
}

export interface SiteData {
  readonly generatedAt: string;
  /** the repository (for CONTRIBUTING.md); null when unknown */
  readonly repoUrl: string | null;
  readonly benchmarks: readonly SiteBenchmark[];
  readonly scorers: readonly ScorerInfo[];
  readonly recipes: readonly RecipeInfo[];
  readonly runs: readonly RunItem[];
  readonly cells: readonly SiteCell[];
}
