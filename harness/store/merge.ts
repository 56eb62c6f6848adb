import { resolve } from 'node:path';
import { and, eq, isNull, type SQL } from 'drizzle-orm';
import { InputError } from '../errors.ts';
import * as schema from './schema.ts';
import { openStore, storeFault, type StoreDb } from './store.ts';

export interface MergeReport {
  readonly input: string;
  readonly runsAdded: number;
  readonly cellsAdded: number;
  /** failed cells in OUT replaced by done cells from the input */
  readonly cellsReplaced: number;
  /** cells already in OUT with the same results (or done in OUT and failed in the input) */
  readonly cellsUnchanged: number;
}

type ResultRow = typeof schema.results.$inferSelect;
type RunRow = typeof schema.runs.$inferSelect;

/** The metrics of a cell's results, in a canonical order, for comparing two copies of a cell. */
function resultsFingerprint(rows: readonly ResultRow[]): string {
  return JSON.stringify(
    rows
      .map((r) => [r.scorer, r.ood, r.fpr95, r.auroc, r.auprIn, r.auprOut, r.idAcc] as const)
      .sort((a, b) => (a[0] + '\0' + a[1] < b[0] + '\0' + b[1] ? -1 : 1)),
  );
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const g = out.get(k);
    if (g) g.push(row);
    else out.set(k, [row]);
  }
  return out;
}

function chunks<T>(rows: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** A run is the same run when every provenance field matches (shards are separate runs). */
function sameRun(run: RunRow): SQL | undefined {
  const nullable = (col: typeof schema.runs.gitCommit | typeof schema.runs.shard, v: string | null) => (v === null ? isNull(col) : eq(col, v));
  return and(
    eq(schema.runs.command, run.command),
    nullable(schema.runs.gitCommit, run.gitCommit),
    eq(schema.runs.harnessVersion, run.harnessVersion),
    eq(schema.runs.backend, run.backend),
    eq(schema.runs.machine, run.machine),
    nullable(schema.runs.shard, run.shard),
    eq(schema.runs.startedAt, run.startedAt),
  );
}

function mergeOne(out: StoreDb, input: string): MergeReport {
  const src = openStore(input, { readonly: true });
  let inRuns: RunRow[], inCells: (typeof schema.cells.$inferSelect)[], inResults: ResultRow[], inDiags: (typeof schema.diagnostics.$inferSelect)[];
  try {
    inRuns = src.db.select().from(schema.runs).all();
    inCells = src.db.select().from(schema.cells).all();
    inResults = src.db.select().from(schema.results).all();
    inDiags = src.db.select().from(schema.diagnostics).all();
  } catch (e) {
    throw storeFault(input, e, 'reading it to merge');
  } finally {
    src.close();
  }
  const resultsByCell = groupBy(inResults, (r) => r.cellId);
  const diagByCell = new Map(inDiags.map((d) => [d.cellId, d]));
  const report = { input, runsAdded: 0, cellsAdded: 0, cellsReplaced: 0, cellsUnchanged: 0 };

  out.transaction((tx) => {
    const runIds = new Map<number, number>();
    for (const run of inRuns) {
      const existing = tx.select().from(schema.runs).where(sameRun(run)).get();
      if (existing) {
        runIds.set(run.id, existing.id);
        if (existing.endedAt === null && run.endedAt !== null) tx.update(schema.runs).set({ endedAt: run.endedAt }).where(eq(schema.runs.id, existing.id)).run();
      } else {
        const { id: _, ...rest } = run;
        runIds.set(run.id, tx.insert(schema.runs).values(rest).returning({ id: schema.runs.id }).get().id);
        report.runsAdded++;
      }
    }

    const newCells: (typeof schema.cells.$inferInsert)[] = [];
    const newResults: ResultRow[] = [];
    const newDiags: (typeof schema.diagnostics.$inferInsert)[] = [];
    for (const cell of inCells) {
      const results = resultsByCell.get(cell.id) ?? [];
      const existing = tx.select({ status: schema.cells.status }).from(schema.cells).where(eq(schema.cells.id, cell.id)).get();
      if (existing) {
        if (existing.status === 'done' && cell.status === 'failed') {
          report.cellsUnchanged++;
          continue;
        }
        if (existing.status === cell.status) {
          const theirs = tx.select().from(schema.results).where(eq(schema.results.cellId, cell.id)).all();
          if (resultsFingerprint(theirs) !== resultsFingerprint(results)) {
            throw new InputError(`${input}: cell ${cell.id} conflicts with the copy already merged (same id, different results); nothing of ${input} was merged`);
          }
          report.cellsUnchanged++;
          continue;
        }
        // failed in OUT, done in the input: the done attempt replaces it (results cascade)
        tx.delete(schema.cells).where(eq(schema.cells.id, cell.id)).run();
        report.cellsReplaced++;
      } else {
        report.cellsAdded++;
      }
      newCells.push({ ...cell, runId: runIds.get(cell.runId)! });
      newResults.push(...results);
      const d = diagByCell.get(cell.id);
      if (d) newDiags.push(d);
    }
    for (const chunk of chunks(newCells)) tx.insert(schema.cells).values(chunk).run();
    for (const chunk of chunks(newResults)) tx.insert(schema.results).values(chunk).run();
    for (const chunk of chunks(newDiags, 100)) tx.insert(schema.diagnostics).values(chunk).run();
  });
  return report;
}

/**
 * Merges shard databases into `out` (created if missing), one transaction per input: an input
 * either merges completely or not at all. Merging the same input again changes nothing; a cell
 * present in both with different results is an error naming the cell and the input.
 */
export function mergeStores(out: string, inputs: readonly string[]): MergeReport[] {
  const outPath = resolve(out);
  for (const input of inputs) if (resolve(input) === outPath) throw new InputError(`${input}: cannot merge a database into itself`);
  const store = openStore(out);
  try {
    return inputs.map((input) => {
      try {
        return mergeOne(store.db, input);
      } catch (e) {
        throw storeFault(out, e, `merging ${input} into it`);
      }
    });
  } finally {
    // checkpoints the WAL: OUT is a self-contained file
    store.close();
  }
}
