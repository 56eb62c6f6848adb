import { Database } from 'bun:sqlite';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { eq } from 'drizzle-orm';
import { type BunSQLiteDatabase, drizzle } from 'drizzle-orm/bun-sqlite';
import { migrate } from 'drizzle-orm/bun-sqlite/migrator';
import { InputError } from '../errors.ts';
import { doneWorkKey, type BenchmarkRecord, type FinishedCell, type ResultsStore, type RunMeta } from './contract.ts';
import { writeBenchmarks, writeCell } from './write-cell.ts';
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
 * What a SQLite failure means for the user, by result code (bun:sqlite's SQLiteError.code), so
 * that every fault a user can cause (a corrupt, truncated or damaged file, a read-only file or
 * folder, a full disk, a lock) is one line naming the database and what was expected.
 */
const FAULTS: readonly (readonly [RegExp, string])[] = [
  [/^SQLITE_NOTADB/, 'not a SQLite database; expected a results database written by bun harness run or merge'],
  [/^SQLITE_CORRUPT/, 'the database is damaged (corrupt or truncated); restore it from a copy, or delete it and run again'],
  [/^SQLITE_FULL/, 'the disk is full; free some space and run again (committed cells are kept)'],
  [/^SQLITE_(READONLY|PERM|CANTOPEN|AUTH)/, 'cannot open it for writing; expected a writable file in a writable folder'],
  [/^SQLITE_(BUSY|LOCKED)/, 'the database is locked by another process; wait for it to finish'],
  [/^SQLITE_IOERR/, 'I/O error reading or writing it (disk full, removed, or failing?)'],
];

/** A SQLite error as a one-line InputError naming `path`; anything else is returned unchanged. */
export function storeFault(path: string, error: unknown, doing: string): unknown {
  if (error instanceof InputError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && 'syscall' in error) {
    // creating the folder or file failed (ENOTDIR, EACCES, EROFS, ENOSPC): the OS message names the path
    return new InputError(`${path}: ${doing}: ${error.message.split('\n')[0]}`);
  }
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  const meaning = FAULTS.find(([pattern]) => pattern.test(code))?.[1];
  if (meaning === undefined) return error; // constraint and misuse errors are harness bugs, not user faults
  const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  return new InputError(`${path}: ${doing}: ${meaning} (${code}: ${detail})`);
}

/** Runs `fn`, turning SQLite faults into one-line InputErrors naming `path`. */
function guarded<T>(path: string, doing: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw storeFault(path, e, doing);
  }
}

/** The database file and the side files SQLite keeps next to it in WAL mode. */
const sideFiles = (path: string) => [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];

/**
 * Opens (creating and migrating if needed) a results database. Writable stores run in WAL mode with
 * foreign keys enforced; read-only ones refuse a database whose schema is behind the harness.
 * Every file is integrity-checked on opening (PRAGMA quick_check), so a damaged page is reported
 * here, naming the file, rather than as a failed query later. A database this call created is
 * removed again if opening fails, so a failure leaves nothing half-written behind.
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  const inMemory = path === ':memory:';
  const created = !inMemory && !options.readonly && !existsSync(path);
  let client: Database | undefined;
  try {
    return openClient();
  } catch (e) {
    try {
      client?.close();
    } catch {
      // already failing; the first error is the one to report
    }
    if (created) {
      for (const f of sideFiles(path)) {
        try {
          rmSync(f, { force: true });
        } catch {
          // nothing there to remove (e.g. the folder could not be created)
        }
      }
    }
    throw storeFault(path, e, 'opening the results database');
  }

  function openClient(): Store {
    if (options.readonly) {
      if (!existsSync(path)) throw new InputError(`${path}: no such database`);
      client = new Database(path, { readonly: true });
    } else {
      if (!inMemory) mkdirSync(dirname(path), { recursive: true });
      client = new Database(path, { create: true, strict: true });
      client.exec('PRAGMA journal_mode = WAL');
      client.exec('PRAGMA synchronous = NORMAL');
    }
    const c = client;
    c.exec('PRAGMA busy_timeout = 5000');
    c.exec('PRAGMA foreign_keys = ON');
    if (!inMemory) {
      const check = c.query('PRAGMA quick_check(1)').get() as Record<string, unknown> | null;
      const verdict = check ? String(Object.values(check)[0]) : 'no answer';
      if (verdict !== 'ok') throw new InputError(`${path}: the database is damaged (quick_check: ${verdict.split('\n')[0]}); restore it from a copy, or delete it and run again`);
    }
    if (options.readonly) {
      const applied = appliedMigrations(c);
      const expected = journalEntries();
      if (applied !== expected) {
        throw new InputError(
          applied > expected
            ? `${path}: written by a newer harness (${applied} migrations, this one knows ${expected})`
            : `${path}: schema has ${applied} of ${expected} migrations; open it once with a writing command (e.g. bun harness merge) to migrate`,
        );
      }
    }
    const db = drizzle({ client: c, schema }) as StoreDb;
    if (!options.readonly) migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    return storeOver(path, c, db, !options.readonly && !inMemory);
  }
}

/**
 * Moves everything in the WAL into the database file and empties the WAL, so that the .sqlite
 * file alone (copied by a user or a CI artifact step) is complete. Closing alone does not do it
 * while the driver still holds prepared statements.
 */
function checkpoint(client: Database): void {
  client.exec('PRAGMA wal_checkpoint(TRUNCATE)');
}

function storeOver(path: string, client: Database, db: StoreDb, writable: boolean): Store {
  const write = <T>(doing: string, fn: () => T): T => guarded(path, doing, fn);
  return {
    path,
    db,
    queries: createQueries(db),
    beginRun(meta: RunMeta): number {
      const row = write('starting a run', () =>
        db
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
          .get(),
      );
      return row.id;
    },
    endRun(runId: number, endedAt: string): void {
      write('ending the run', () => {
        db.update(schema.runs).set({ endedAt }).where(eq(schema.runs.id, runId)).run();
        checkpoint(client);
      });
    },
    doneWork(): Set<string> {
      return write('reading finished cells', () => {
        const out = new Set<string>();
        const done = db.select({ id: schema.cells.id }).from(schema.cells).where(eq(schema.cells.status, 'done')).all();
        for (const r of done) out.add(doneWorkKey(r.id));
        const scored = db
          .selectDistinct({ cellId: schema.results.cellId, key: schema.results.scorerKey, code: schema.results.scorerCode })
          .from(schema.results)
          .innerJoin(schema.cells, eq(schema.cells.id, schema.results.cellId))
          .where(eq(schema.cells.status, 'done'))
          .all();
        for (const r of scored) out.add(doneWorkKey(r.cellId, r));
        for (const d of db.select({ cellId: schema.diagnostics.cellId, skipped: schema.diagnostics.skipped }).from(schema.diagnostics).all()) {
          for (const s of d.skipped) if (s.key && s.code) out.add(doneWorkKey(d.cellId, { key: s.key, code: s.code }));
        }
        return out;
      });
    },
    recordBenchmarks(records: readonly BenchmarkRecord[]): void {
      write('recording the benchmarks', () => db.transaction((tx) => writeBenchmarks(tx, records, new Date().toISOString())));
    },
    commitCell(runId: number, cell: FinishedCell): void {
      write(`committing cell ${cell.id}`, () => db.transaction((tx) => writeCell(tx, runId, cell)));
    },
    close(): void {
      try {
        if (writable) write('closing the results database', () => checkpoint(client));
      } finally {
        client.close();
      }
    },
  };
}

export { modalitiesKey, writeCell } from './write-cell.ts';
