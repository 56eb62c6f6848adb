import { Database } from 'bun:sqlite';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { eq } from 'drizzle-orm';
import { type BunSQLiteDatabase, drizzle } from 'drizzle-orm/bun-sqlite';
import { migrate } from 'drizzle-orm/bun-sqlite/migrator';
import { InputError } from '../errors.ts';
import type { FinishedCell, ResultsStore, RunMeta } from './contract.ts';
import { createQueries, type StoreQueries } from './queries.ts';
import * as schema from './schema.ts';

export const MIGRATIONS_FOLDER = join(import.meta.dir, 'migrations');

export type StoreDb = BunSQLiteDatabase<typeof schema> & { $client: Database };

export interface OpenStoreOptions {
  /** Open without writing anything (serving, merge inputs): the file must exist and be fully migrated. */
  readonly readonly?: boolean;
}

export interface Store extends ResultsStore {
  readonly queries: StoreQueries;
  /** the Drizzle handle, for the store's own modules (merge) and tests */
  readonly db: StoreDb;
  readonly path: string;
}

/** Number of migrations in the committed journal. */
function journalEntries(): number {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

function appliedMigrations(client: Database): number {
  const table = client.query("select name from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
  if (!table) return 0;
  return (client.query('select count(*) as n from __drizzle_migrations').get() as { n: number }).n;
}

/**
 * Opens (creating and migrating if needed) a results database. Writable stores run in WAL mode with
 * foreign keys enforced; read-only ones refuse a database whose schema is behind the harness.
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  let client: Database;
  if (options.readonly) {
    if (!existsSync(path)) throw new InputError(`${path}: no such database`);
    client = new Database(path, { readonly: true });
    const applied = appliedMigrations(client);
    const expected = journalEntries();
    if (applied !== expected) {
      client.close();
      throw new InputError(
        applied > expected
          ? `${path}: written by a newer harness (${applied} migrations, this one knows ${expected})`
          : `${path}: schema has ${applied} of ${expected} migrations; open it once with a writing command (e.g. bun harness merge) to migrate`,
      );
    }
  } else {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    client = new Database(path, { create: true, strict: true });
    client.exec('PRAGMA journal_mode = WAL');
    client.exec('PRAGMA synchronous = NORMAL');
  }
  client.exec('PRAGMA busy_timeout = 5000');
  client.exec('PRAGMA foreign_keys = ON');
  const db = drizzle({ client, schema }) as StoreDb;
  if (!options.readonly) migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });

  return {
    path,
    db,
    queries: createQueries(db),
    beginRun(meta: RunMeta): number {
      const row = db
        .insert(schema.runs)
        .values({
          command: meta.command,
          gitCommit: meta.gitCommit,
          harnessVersion: meta.harnessVersion,
          backend: meta.backend,
          machine: meta.machine,
          shard: meta.shard,
          startedAt: meta.startedAt,
        })
        .returning({ id: schema.runs.id })
        .get();
      return row.id;
    },
    endRun(runId: number, endedAt: string): void {
      db.update(schema.runs).set({ endedAt }).where(eq(schema.runs.id, runId)).run();
    },
    finishedCellIds(): Set<string> {
      const rows = db.select({ id: schema.cells.id }).from(schema.cells).where(eq(schema.cells.status, 'done')).all();
      return new Set(rows.map((r) => r.id));
    },
    commitCell(runId: number, cell: FinishedCell): void {
      db.transaction((tx) => writeCell(tx, runId, cell));
    },
    close(): void {
      client.close();
    },
  };
}

type Tx = Parameters<Parameters<StoreDb['transaction']>[0]>[0];

export function modalitiesKey(modalities: readonly string[]): string {
  return modalities.join('+');
}

/** Replaces the cell (and, by cascade, its results and diagnostics) with `cell`. Call inside a transaction. */
export function writeCell(tx: Tx | StoreDb, runId: number, cell: FinishedCell): void {
  const c = cell.config;
  const modalities = modalitiesKey(c.modalities);
  tx.delete(schema.cells).where(eq(schema.cells.id, cell.id)).run();
  tx.insert(schema.cells)
    .values({
      id: cell.id,
      runId,
      config: JSON.stringify(c),
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
    })
    .run();
  if (cell.results.length > 0) {
    tx.insert(schema.results)
      .values(
        cell.results.map((r) => ({
          cellId: cell.id,
          benchmark: c.benchmark,
          ood: r.ood,
          modalities,
          recipe: c.recipe,
          scorer: r.scorer,
          seed: c.seed,
          split: c.split,
          fpr95: r.fpr95,
          auroc: r.auroc,
          auprIn: r.auprIn,
          auprOut: r.auprOut,
          idAcc: r.idAcc,
        })),
      )
      .run();
  }
  const d = cell.diagnostics;
  if (d) {
    tx.insert(schema.diagnostics)
      .values({
        cellId: cell.id,
        lId: d.lId,
        lOod: JSON.stringify(d.lOod),
        curve: JSON.stringify(d.curve),
        bestEpoch: d.bestEpoch,
        histograms: JSON.stringify(d.histograms),
      })
      .run();
  }
}
