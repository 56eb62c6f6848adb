/**
 * The contract between the grid runner (harness/grid) and the results store (harness/store):
 * what a finished cell hands over, and what the runner asks of the store. The store implements
 * it with SQLite through Drizzle; the runner never touches SQL.
 */

/** Provenance of one invocation of the harness. */
export interface RunMeta {
  readonly command: string;
  readonly gitCommit: string | null;
  readonly harnessVersion: string;
  readonly backend: string;
  readonly machine: string;
  /** e.g. '2/3' when sharded */
  readonly shard: string | null;
  readonly startedAt: string;
}

/**
 * One scorer configuration of a cell: the scorer, its resolved settings and the version of its
 * code. Results are kept per scorer configuration, so a change in one scorer's code or settings
 * rescores that scorer from the cached trained outputs and leaves the others' results alone.
 */
export interface ScorerConfig {
  readonly id: string;
  /** hash of the id and the resolved settings */
  readonly key: string;
  readonly settings: Readonly<Record<string, unknown>>;
  /** code version of the scorer (its file, its imports, the evaluation and metrics) */
  readonly code: string;
  /** whether the settings are the scorer's defaults (the benchmark's settings) */
  readonly isDefault: boolean;
}

/**
 * Everything that determines a cell's trained model; its stable id is a hash of the identity
 * fields (all but `scorers` and `defaultTraining`).
 */
export interface CellConfig {
  readonly benchmark: string;
  /** content hash of the benchmark's declaration and of every data file it reads */
  readonly dataFingerprint: string;
  readonly modalities: readonly string[];
  readonly recipe: string;
  /** the recipe's full resolved training config (epochs, lr, weights, ...) */
  readonly training: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly split: number;
  readonly backend: string;
  /** code version of training (loop, recipes, data loaders, backends) */
  readonly trainingCode: string;
  /** whether the training config is the recipe's default on this benchmark (no --set) */
  readonly defaultTraining: boolean;
  /** the scorer configurations asked of this cell in this run */
  readonly scorers: readonly ScorerConfig[];
}

export interface ResultRow {
  readonly scorer: string;
  /** ScorerConfig.key of the configuration that produced the row */
  readonly scorerKey: string;
  readonly ood: string;
  readonly fpr95: number;
  readonly auroc: number;
  readonly auprIn: number;
  readonly auprOut: number;
  readonly idAcc: number;
}

export interface CellDiagnostics {
  /** modality prediction discrepancy on ID test; null with one modality (no pair to compare) */
  readonly lId: number | null;
  /** OOD set -> l_OOD (null with one modality) */
  readonly lOod: Readonly<Record<string, number | null>>;
  /** per-epoch records (loss terms, train/val accuracy, seconds) */
  readonly curve: readonly Readonly<Record<string, unknown>>[];
  readonly bestEpoch: number;
  /** scorer -> OOD set ('id' for ID test) -> histogram of confidences (shared bin edges per scorer) */
  readonly histograms: Readonly<Record<string, { readonly edges: readonly number[]; readonly counts: Readonly<Record<string, readonly number[]>> }>>;
  /** scorers that could not run on this cell's model, with their one-line reasons (the others' results are kept) */
  readonly skipped?: readonly SkippedScorerConfig[];
}

export interface SkippedScorerConfig {
  readonly scorer: string;
  /** ScorerConfig.key and .code: a skip is remembered per configuration and code version */
  readonly key?: string;
  readonly code?: string;
  readonly reason: string;
}

export interface FinishedCell {
  readonly id: string;
  readonly config: CellConfig;
  readonly status: 'done' | 'failed';
  readonly startedAt: string;
  readonly endedAt: string;
  readonly seconds: number;
  /** one line, for failed cells */
  readonly error?: string;
  readonly results: readonly ResultRow[];
  readonly diagnostics?: CellDiagnostics;
}

/** The key of done work: a cell, or a scorer configuration (key and code version) of a cell. */
export function doneWorkKey(cellId: string, scorer?: Pick<ScorerConfig, 'key' | 'code'>): string {
  return scorer ? `${cellId}/${scorer.key}/${scorer.code}` : cellId;
}

export interface BenchmarkRecord {
  readonly id: string;
  readonly origin: string;
  readonly declaration: Readonly<Record<string, unknown>>;
}

export interface ResultsStore {
  beginRun(meta: RunMeta): number;
  endRun(runId: number, endedAt: string): void;
  /**
   * The work already done: `doneWorkKey(cellId)` for each successfully finished cell and
   * `doneWorkKey(cellId, scorer)` for each scorer configuration (key and code) it was scored or
   * skipped with. Failed cells are retried on the next run.
   */
  doneWork(): Set<string>;
  /** Records the benchmarks a run covers (declaration, origin), for the API and the site. */
  recordBenchmarks(benchmarks: readonly BenchmarkRecord[]): void;
  /**
   * Commits the cell in ONE transaction: the cell, and for each scorer configuration it covers
   * its results (replacing that configuration's earlier rows), and its diagnostics (merged with
   * what earlier scorers left). A failed attempt is replaced.
   */
  commitCell(runId: number, cell: FinishedCell): void;
  close(): void;
}
