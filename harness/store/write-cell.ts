import { and, eq, inArray } from 'drizzle-orm';
import { configKeyOf, isDefaultConfiguration } from '../identity/configuration.ts';
import type { BenchmarkRecord, CellDiagnostics, FinishedCell, ScorerConfig } from './contract.ts';
import * as schema from './schema.ts';
import type { StoreDb } from './store.ts';

type Tx = Parameters<Parameters<StoreDb['transaction']>[0]>[0];

export function modalitiesKey(modalities: readonly string[]): string {
  return modalities.join('+');
}

/** Scorer configurations by key, the newer replacing the older. */
function mergeScorers(older: readonly ScorerConfig[], newer: readonly ScorerConfig[]): ScorerConfig[] {
  const byKey = new Map(older.map((s) => [s.key, s] as const));
  for (const s of newer) byKey.set(s.key, s);
  return [...byKey.values()];
}

/**
 * Writes a finished cell (inside a transaction). A failed attempt never erases a done cell's
 * results; a done cell replaces a failed one, and a done cell scored again with some scorer
 * configurations replaces those configurations' rows and keeps the others.
 */
export function writeCell(tx: Tx | StoreDb, runId: number, cell: FinishedCell): void {
  const c = cell.config;
  const modalities = modalitiesKey(c.modalities);
  const existing = tx.select({ status: schema.cells.status, config: schema.cells.config }).from(schema.cells).where(eq(schema.cells.id, cell.id)).get();
  if (cell.status === 'failed' && existing?.status === 'done') return;
  const keepOld = existing?.status === 'done' && cell.status === 'done';
  const scorers = keepOld && Array.isArray(existing.config.scorers) ? mergeScorers(existing.config.scorers, c.scorers) : c.scorers;
  const row = {
    id: cell.id,
    runId,
    config: { ...c, scorers },
    benchmark: c.benchmark,
    modalities,
    recipe: c.recipe,
    seed: c.seed,
    split: c.split,
    status: cell.status,
    startedAt: cell.startedAt,
    endedAt: cell.endedAt,
    seconds: cell.seconds,
    error: cell.error ?? null,
  };
  if (keepOld) {
    const { id: _, ...rest } = row;
    tx.update(schema.cells).set(rest).where(eq(schema.cells.id, cell.id)).run();
  } else {
    tx.delete(schema.cells).where(eq(schema.cells.id, cell.id)).run();
    tx.insert(schema.cells).values(row).run();
  }

  const scored = new Set(c.scorers.map((s) => s.key));
  if (keepOld && scored.size) {
    tx.delete(schema.results).where(and(eq(schema.results.cellId, cell.id), inArray(schema.results.scorerKey, [...scored]))).run();
  }
  if (cell.results.length > 0) {
    const byKey = new Map(c.scorers.map((s) => [s.key, s] as const));
    tx.insert(schema.results)
      .values(
        cell.results.map((r) => {
          const s = byKey.get(r.scorerKey);
          if (!s) throw new Error(`cell ${cell.id}: a result of scorer configuration ${r.scorerKey} that the cell does not declare`);
          return {
            cellId: cell.id,
            benchmark: c.benchmark,
            ood: r.ood,
            modalities,
            recipe: c.recipe,
            scorer: r.scorer,
            scorerKey: s.key,
            scorerSettings: { ...s.settings },
            scorerCode: s.code,
            configKey: configKeyOf(c, s),
            isDefault: isDefaultConfiguration(c, s),
            seed: c.seed,
            split: c.split,
            fpr95: r.fpr95,
            auroc: r.auroc,
            auprIn: r.auprIn,
            auprOut: r.auprOut,
            idAcc: r.idAcc,
          };
        }),
      )
      .run();
  }

  const d = cell.diagnostics;
  if (!d) return;
  const old = keepOld ? tx.select().from(schema.diagnostics).where(eq(schema.diagnostics.cellId, cell.id)).get() : undefined;
  const merged: CellDiagnostics = old
    ? {
        ...d,
        histograms: { ...old.histograms, ...d.histograms },
        skipped: [...old.skipped.filter((s) => !s.key || !scored.has(s.key)), ...(d.skipped ?? [])],
      }
    : d;
  tx.delete(schema.diagnostics).where(eq(schema.diagnostics.cellId, cell.id)).run();
  tx.insert(schema.diagnostics)
    .values({
      cellId: cell.id,
      lId: merged.lId,
      lOod: merged.lOod,
      curve: merged.curve,
      bestEpoch: merged.bestEpoch,
      histograms: merged.histograms,
      skipped: [...(merged.skipped ?? [])],
    })
    .run();
}

/** Upserts the benchmarks' declarations (what the API serves about them). */
export function writeBenchmarks(tx: Tx | StoreDb, records: readonly BenchmarkRecord[], at: string): void {
  for (const r of records) {
    tx.insert(schema.benchmarks)
      .values({ id: r.id, origin: r.origin, declaration: { ...r.declaration }, updatedAt: at })
      .onConflictDoUpdate({ target: schema.benchmarks.id, set: { origin: r.origin, declaration: { ...r.declaration }, updatedAt: at } })
      .run();
  }
}
