import { afterEach, beforeEach, expect, test } from 'bun:test';
import { storeContent } from './content.ts';
import type { FinishedCell } from './contract.ts';
import { mergeStores } from './merge.ts';
import { openStore } from './store.ts';
import { cellConfig, finishedCell, resultRow, runMeta, tempDir } from './test-helpers.ts';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

const cells: FinishedCell[] = [0, 1, 2, 3].map((seed) =>
  finishedCell(cellConfig({ seed }), [resultRow('msp', 'ucf', 0.1 * (seed + 1)), resultRow('energy', 'ucf', 0.05 * (seed + 1))]),
);

function write(name: string, items: readonly FinishedCell[], shard: string | null, seconds = 1): string {
  const path = tmp.file(name);
  const store = openStore(path);
  const run = store.beginRun(runMeta({ shard, startedAt: `2025-01-0${shard ? shard[0] : 9}T00:00:00.000Z` }));
  for (const c of items) store.commitCell(run, { ...c, seconds, diagnostics: c.diagnostics && { ...c.diagnostics, curve: [{ epoch: 0, loss: 1, seconds }] } });
  store.endRun(run, '2025-01-10T00:00:00.000Z');
  store.close();
  return path;
}

function count(path: string, table: string): number {
  const store = openStore(path, { readonly: true });
  const n = (store.db.$client.query(`select count(*) as n from ${table}`).get() as { n: number }).n;
  store.close();
  return n;
}

test('shards merged equal a single run, and merging again changes nothing', () => {
  const single = write('single.sqlite', cells, null);
  const a = write('a.sqlite', cells.slice(0, 2), '1/2', 7);
  const b = write('b.sqlite', cells.slice(2), '2/2', 9);
  const out = tmp.file('out.sqlite');
  const reports = mergeStores(out, [a, b]);
  expect(reports.map((r) => [r.runsAdded, r.cellsAdded])).toEqual([
    [1, 2],
    [1, 2],
  ]);
  expect(storeContent(out)).toEqual(storeContent(single));
  const before = { content: storeContent(out), runs: count(out, 'runs'), results: count(out, 'results') };
  const again = mergeStores(out, [a, b, a]);
  expect(again.every((r) => r.runsAdded === 0 && r.cellsAdded === 0 && r.cellsReplaced === 0)).toBe(true);
  expect({ content: storeContent(out), runs: count(out, 'runs'), results: count(out, 'results') }).toEqual(before);
  expect(count(out, 'runs')).toBe(2);
  expect(count(out, 'diagnostics')).toBe(4);
});

test('a conflicting duplicate cell names the cell and the input, and nothing of that input is written', () => {
  const a = write('a.sqlite', cells.slice(0, 2), '1/2');
  const changed = { ...cells[1]!, results: [resultRow('msp', 'ucf', 0.99), resultRow('energy', 'ucf', 0.1)] };
  const b = write('b.sqlite', [cells[2]!, changed], '2/2');
  const out = tmp.file('out.sqlite');
  mergeStores(out, [a]);
  const before = storeContent(out);
  expect(() => mergeStores(out, [b])).toThrow(new RegExp(`${b}: cell ${changed.id.replace(/[|+]/g, '\\$&')} conflicts`));
  expect(storeContent(out)).toEqual(before);
  expect(count(out, 'runs')).toBe(1);
});

test('a done cell replaces a failed one; a failed copy never replaces a done one', () => {
  const failed = { ...cells[0]!, status: 'failed' as const, error: 'oom', results: [], diagnostics: undefined };
  const a = write('a.sqlite', [failed], '1/2');
  const b = write('b.sqlite', [cells[0]!], '2/2');
  const out = tmp.file('out.sqlite');
  const [ra, rb] = mergeStores(out, [a, b]);
  expect(ra!.cellsAdded).toBe(1);
  expect(rb!.cellsReplaced).toBe(1);
  expect(storeContent(out).map((c) => c.status)).toEqual(['done']);
  expect(mergeStores(out, [a])[0]!.cellsUnchanged).toBe(1);
  expect(storeContent(out).map((c) => [c.status, c.results.length])).toEqual([['done', 2]]);
  expect(() => mergeStores(a, [a])).toThrow(/into itself/);
});
