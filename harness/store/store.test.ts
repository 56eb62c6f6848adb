import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_FOLDER, openStore } from './store.ts';
import { storeContent } from './content.ts';
import { cellConfig, finishedCell, resultRow, runMeta, tempDir } from './test-helpers.ts';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

describe('openStore', () => {
  test('applies the migrations to a fresh file (creating its folder), in WAL mode with foreign keys', () => {
    const path = tmp.file('sub/dir/a.sqlite');
    const store = openStore(path);
    const client = store.db.$client;
    const tables = (client.query("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['runs', 'cells', 'results', 'diagnostics', 'submissions', '__drizzle_migrations']));
    expect((client.query('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    expect((client.query('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys).toBe(1);
    store.close();
    // reopening applies nothing twice
    const again = openStore(path);
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
    expect((again.db.$client.query('select count(*) as n from __drizzle_migrations').get() as { n: number }).n).toBe(journal.entries.length);
    again.close();
  });

  test('read-only refuses a missing or unmigrated file and cannot write', () => {
    expect(() => openStore(tmp.file('missing.sqlite'), { readonly: true })).toThrow(/no such database/);
    new Database(tmp.file('bare.sqlite')).close();
    expect(() => openStore(tmp.file('bare.sqlite'), { readonly: true })).toThrow(/migrations/);
    openStore(tmp.file('ok.sqlite')).close();
    const ro = openStore(tmp.file('ok.sqlite'), { readonly: true });
    expect(() => ro.beginRun(runMeta())).toThrow(/readonly/i);
    ro.close();
  });
});

describe('ResultsStore', () => {
  test('runs, cells and doneWork', () => {
    const store = openStore(tmp.file('a.sqlite'));
    const runId = store.beginRun(runMeta());
    const done = finishedCell(cellConfig({ seed: 0 }), [resultRow('msp', 'ucf', 0.3)]);
    const failed = finishedCell(cellConfig({ seed: 1 }), [], { status: 'failed', error: 'boom', diagnostics: undefined });
    store.commitCell(runId, done);
    store.commitCell(runId, failed);
    store.endRun(runId, '2025-01-01T01:00:00.000Z');
    expect([...store.doneWork()].filter((k) => !k.includes('/'))).toEqual([done.id]);
    const [run] = store.queries.runs();
    expect(run).toMatchObject({ id: runId, command: 'run --all', endedAt: '2025-01-01T01:00:00.000Z', cells: 2 });
    const cells = store.queries.cells({}, { limit: 10, offset: 0 });
    expect(cells.total).toBe(2);
    expect(cells.items.find((c) => c.id === failed.id)).toMatchObject({ status: 'failed', error: 'boom', results: 0, run: { id: runId, machine: 'test' } });
    expect(store.queries.diagnostics(done.id)).toEqual({ ...done.diagnostics!, skipped: [] });
    expect(store.queries.diagnostics(failed.id)).toBeNull();
    expect(store.queries.diagnostics('nope')).toBeUndefined();
    store.close();
  });

  test('commitCell is atomic: a bad result row stores nothing of the cell', () => {
    const store = openStore(tmp.file('a.sqlite'));
    const runId = store.beginRun(runMeta());
    const bad = finishedCell(cellConfig(), [resultRow('msp', 'ucf', 0.3), { ...resultRow('energy', 'ucf', 0.2), auroc: Number.NaN }]);
    expect(() => store.commitCell(runId, bad)).toThrow();
    const dup = finishedCell(cellConfig(), [resultRow('msp', 'ucf', 0.3), resultRow('msp', 'ucf', 0.2)]);
    expect(() => store.commitCell(runId, dup)).toThrow();
    const outOfRange = finishedCell(cellConfig(), [{ ...resultRow('msp', 'ucf', 0.3), fpr95: 1.5 }]);
    expect(() => store.commitCell(runId, outOfRange)).toThrow();
    for (const table of ['cells', 'results', 'diagnostics']) {
      expect((store.db.$client.query(`select count(*) as n from ${table}`).get() as { n: number }).n).toBe(0);
    }
    // a failed commit leaves an earlier failed attempt in place
    const failed = finishedCell(cellConfig(), [], { status: 'failed', error: 'oom' });
    store.commitCell(runId, failed);
    expect(() => store.commitCell(runId, bad)).toThrow();
    expect(store.queries.cells().items.map((c) => [c.id, c.status])).toEqual([[failed.id, 'failed']]);
    store.close();
  });

  test('a failed cell re-committed as done replaces it', () => {
    const store = openStore(tmp.file('a.sqlite'));
    const run1 = store.beginRun(runMeta());
    const config = cellConfig();
    store.commitCell(run1, finishedCell(config, [resultRow('msp', 'ucf', 0.9)], { status: 'failed', error: 'nan loss' }));
    expect(store.doneWork().size).toBe(0);
    const run2 = store.beginRun(runMeta({ startedAt: '2025-01-02T00:00:00.000Z' }));
    const done = finishedCell(config, [resultRow('msp', 'ucf', 0.3), resultRow('msp', 'hmdb', 0.4)]);
    store.commitCell(run2, done);
    expect([...store.doneWork()].filter((k) => !k.includes('/'))).toEqual([done.id]);
    const cells = store.queries.cells().items;
    expect(cells).toHaveLength(1);
    expect(cells[0]).toMatchObject({ status: 'done', error: null, results: 2, run: { id: run2 } });
    expect(storeContent(tmp.file('a.sqlite'))[0]!.results.map((r) => [r.ood, r.fpr95])).toEqual([
      ['hmdb', 0.4],
      ['ucf', 0.3],
    ]);
    store.close();
  });
});
