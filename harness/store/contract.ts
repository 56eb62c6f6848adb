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

/** Everything that determines a cell's result; its stable id is a hash of this object. */
export interface CellConfig {
  readonly benchmark: string;
  /** fingerprint of the benchmark definition and its data (e.g. hash of the generator settings, or of the data files' sizes and mtimes) */
  readonly dataFingerprint: string;
  readonly modalities: readonly string[];
  readonly recipe: string;
  /** the recipe's full resolved training config (epochs, lr, weights, ...) */
  readonly training: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly split: number;
  readonly backend: string;
  readonly harnessVersion: string;
  /** scorer id -> resolved settings */
  readonly scorers: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface ResultRow {
  readonly scorer: string;
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
  readonly skipped?: readonly { readonly scorer: string; readonly reason: string }[];
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

export interface ResultsStore {
  beginRun(meta: RunMeta): number;
  endRun(runId: number, endedAt: string): void;
  /** ids of cells already finished successfully (failed cells are retried on the next run) */
  finishedCellIds(): Set<string>;
  /** commits the cell, its results and diagnostics in ONE transaction (replacing a failed attempt) */
  commitCell(runId: number, cell: FinishedCell): void;
  close(): void;
}
