/** The data file the Astro pages read: everything the site shows, fetched through the API at build time. */
import type { CellDiagnostics, CellItem, LeaderboardRow, MeanStd, ResultItem, RunItem } from '../store/index.ts';

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
}

/** One metric of one (scorer, recipe) in a paper-layout table. */
export interface TableValue {
  readonly value: MeanStd;
  /** value - baseline value (same scorer, modality set, OOD set), when a baseline exists and this is not it */
  readonly delta: number | null;
  /** whether the change is an improvement (FPR95 lower, AUROC / ID ACC higher) */
  readonly better: boolean | null;
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

export interface BestMethod {
  readonly modalities: string;
  readonly recipe: string;
  readonly scorer: string;
  readonly ood: string;
  readonly auroc: MeanStd;
  readonly fpr95: MeanStd;
  readonly n: number;
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

export interface SiteBenchmark extends BenchmarkInfo {
  readonly rows: readonly LeaderboardRow[];
  readonly tables: readonly PaperTable[];
  readonly best: BestMethod | null;
  /** null when the API has no /api/reported route (or it failed) */
  readonly reported: readonly ReportedRow[] | null;
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
