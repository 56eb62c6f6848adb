import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkById } from '../../datasets/registry.ts';
import { recipeById } from '../../methods/training/recipes/index.ts';
import { selectScorers } from '../scorer-selection.ts';
import { doneWorkKey, type FinishedCell, type ResultsStore, type RunMeta } from '../store/contract.ts';
import { canonicalJson, cellId, trainingKey } from './cell-id.ts';
import { executeCell, type CellEvent } from './execute-cell.ts';
import { decodeTrainResult, encodeTrainResult, outputsPath, readCachedTraining, writeCachedTraining } from './outputs-cache.ts';
import { parseIntList, parseShard, planGrid, shardCells, type CellTask, type GridSpec } from './plan.ts';
import { gridProgress, summaryLine } from './progress.ts';
import { inProcessExecutor, runGrid } from './runner.ts';

const near = benchmarkById('synthetic-near')!;
const far = benchmarkById('synthetic-far')!;
const spec = (o: Partial<GridSpec> = {}): GridSpec => ({
  benchmarks: [near, far],
  recipes: [recipeById('baseline')!, recipeById('a2d')!],
  seeds: [0, 1],
  splits: [0, 1],
  scorers: selectScorers('msp,knn'),
  overrides: { epochs: 2 },
  backend: 'wasm',
  trainingCode: 'training-code-1',
  ...o,
});

describe('plan', () => {
  test('counts: benchmarks x modality sets x recipes x seeds x splits (capped by each benchmark)', () => {
    const plan = planGrid(spec());
    // near: 1 set x 2 recipes x 2 seeds x 2 splits; far: 2 sets x 2 x 2 x 1 split
    expect(plan.cells.length).toBe(8 + 8);
    expect(new Set(plan.cells.map((c) => c.id)).size).toBe(16);
    expect(plan.cells[0]!.config.training.epochs).toBe(2);
    expect(plan.cells[0]!.config.scorers.map((s) => s.id)).toEqual(['msp', 'knn']);
    expect(plan.cells[0]!.config.scorers[1]!.settings).toEqual({ k: 10 });
    expect(plan.cells[0]!.config.scorers.every((s) => s.isDefault && /^[0-9a-f]{16}$/.test(s.code))).toBe(true);
    expect(plan.cells[0]!.config.defaultTraining).toBe(false); // --set epochs=2
  });

  test('a one-modality set leaves out the recipes that need two, with a note', () => {
    const plan = planGrid(spec({ benchmarks: [near], modalities: ['video'] }));
    expect(plan.cells.every((c) => c.config.recipe === 'baseline')).toBe(true);
    expect(plan.notes.join('\n')).toContain('a2d needs at least two modalities');
  });

  test('stable ids: same trained model, same id; any change to training, another id; scorers are configurations of the cell', () => {
    const a = planGrid(spec()).cells.map((c) => c.id);
    expect(planGrid(spec()).cells.map((c) => c.id)).toEqual(a);
    const base = planGrid(spec()).cells[0]!;
    const variants = [spec({ seeds: [5] }), spec({ overrides: { epochs: 3 } }), spec({ backend: 'cpu' }), spec({ trainingCode: 'training-code-2' })];
    for (const v of variants) expect(planGrid(v).cells[0]!.id).not.toBe(base.id);
    // scorers do not change the trained model: same cell, same outputs cache, another scorer configuration
    const k7 = planGrid(spec({ scorers: selectScorers('msp,knn', ['knn.k=7']) })).cells[0]!;
    expect(k7.id).toBe(base.id);
    expect(k7.trainingKey).toBe(base.trainingKey);
    expect(k7.config.scorers[1]!.key).not.toBe(base.config.scorers[1]!.key);
    expect(k7.config.scorers[1]!.isDefault).toBe(false);
    expect(k7.config.scorers[0]!.key).toBe(base.config.scorers[0]!.key);
  });

  test('strict scorer settings: an unknown key is one line naming the scorer and its settings', () => {
    expect(() => selectScorers('knn', ['knn.kk=50'])).toThrow('--set knn.kk=50: scorer knn has no setting "kk"; known: k');
    expect(() => selectScorers('knn', ['nope.k=5'])).toThrow('unknown scorer "nope"');
  });

  test('canonical JSON ignores key order; id = sha256 of it', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 }));
    const c = planGrid(spec()).cells[0]!;
    const reordered = Object.fromEntries(Object.entries(c.config).reverse()) as typeof c.config;
    expect(cellId(reordered)).toBe(c.id);
    expect(trainingKey(reordered)).toBe(c.trainingKey);
    expect(c.id).toMatch(/^[0-9a-f]{64}$/);
  });

  test('shards partition the plan exactly once', () => {
    const cells = planGrid(spec()).cells;
    const shards = [1, 2, 3].map((k) => shardCells(cells, k, 3).map((c) => c.id));
    expect(shards.flat().sort()).toEqual(cells.map((c) => c.id).sort());
    expect(shards.map((s) => s.length).sort()).toEqual([5, 5, 6]);
    expect(shardCells(cells, 2, 3).map((c) => c.id)).toEqual(shards[1]!);
  });

  test('flag parsing', () => {
    expect(parseIntList('--seeds', '0,2-4,2')).toEqual([0, 2, 3, 4]);
    expect(() => parseIntList('--seeds', 'a')).toThrow('--seeds');
    expect(parseShard('2/3')).toEqual({ k: 2, n: 3 });
    expect(() => parseShard('4/3')).toThrow('--shard');
    expect(() => parseShard('0/3')).toThrow('--shard');
  });
});

/** The contract, in memory. */
function memoryStore() {
  const cells = new Map<string, FinishedCell>();
  const runs: { meta: RunMeta; ended?: string }[] = [];
  const store: ResultsStore & { cells: typeof cells; runs: typeof runs; commits: number } = {
    cells,
    runs,
    commits: 0,
    beginRun: (meta) => runs.push({ meta }) - 1,
    endRun: (id, endedAt) => void (runs[id]!.ended = endedAt),
    doneWork: () => new Set([...cells.values()].filter((c) => c.status === 'done').flatMap((c) => [doneWorkKey(c.id), ...c.config.scorers.map((s) => doneWorkKey(c.id, s))])),
    recordBenchmarks() {},
    commitCell(_runId, cell) {
      store.commits++;
      cells.set(cell.id, cell);
    },
    close() {},
  };
  return store;
}

const meta: RunMeta = { command: 'run', gitCommit: null, harnessVersion: '0.1.0', backend: 'wasm', machine: 'test', shard: null, startedAt: '2025-01-01T00:00:00Z' };

function fakeExecutor(fail: (t: CellTask) => boolean, ran: string[]) {
  return inProcessExecutor(undefined, async (task) => {
    ran.push(task.id);
    const now = new Date().toISOString();
    return fail(task)
      ? { id: task.id, config: task.config, status: 'failed', startedAt: now, endedAt: now, seconds: 0.01, error: 'boom: bad cell', results: [] }
      : { id: task.id, config: task.config, status: 'done', startedAt: now, endedAt: now, seconds: 0.01, results: [{ scorer: 'msp', scorerKey: task.config.scorers[0]!.key, ood: 'near', fpr95: 0.5, auroc: 0.5, auprIn: 0.5, auprOut: 0.5, idAcc: 0.9 }] };
  });
}

describe('runner', () => {
  const cells = planGrid(spec({ benchmarks: [near] })).cells;
  const sink = { write: (_: string) => true, isTTY: false };

  test('a failing cell is recorded with its error, the others run; a rerun retries only what is not done', async () => {
    const store = memoryStore();
    const ran: string[] = [];
    const bad = cells[2]!.id;
    const first = await runGrid({ cells, store, meta, executor: fakeExecutor((t) => t.id === bad, ran), observer: gridProgress(sink) });
    expect(first.done).toBe(cells.length - 1);
    expect(first.failed).toEqual([expect.objectContaining({ id: bad, error: 'boom: bad cell' })]);
    expect(store.cells.get(bad)?.status).toBe('failed');
    expect(store.runs[0]!.ended).toBeDefined();
    expect(summaryLine(first)).toContain('1 failed');

    const ran2: string[] = [];
    const second = await runGrid({ cells, store, meta, executor: fakeExecutor(() => false, ran2) });
    expect(ran2).toEqual([bad]);
    expect(second).toMatchObject({ alreadyDone: cells.length - 1, done: 1, failed: [] });

    const ran3: string[] = [];
    const third = await runGrid({ cells, store, meta, executor: fakeExecutor(() => false, ran3) });
    expect(ran3).toEqual([]);
    expect(summaryLine(third)).toBe(`nothing to do: ${cells.length} cells already done`);
    expect(store.runs.length).toBe(2); // nothing to do opens no run
  });

  test('an interrupted run commits only the cells that finished, and resumes from there', async () => {
    const store = memoryStore();
    const controller = new AbortController();
    const ran: string[] = [];
    const executor = inProcessExecutor(undefined, async (task) => {
      ran.push(task.id);
      if (ran.length === 3) controller.abort(); // killed while the third cell runs
      const now = new Date().toISOString();
      return { id: task.id, config: task.config, status: 'done', startedAt: now, endedAt: now, seconds: 0, results: [] };
    });
    const s = await runGrid({ cells, store, meta, executor, signal: controller.signal });
    expect(s.interrupted).toBe(true);
    expect(store.cells.size).toBe(2);
    const ran2: string[] = [];
    await runGrid({ cells, store, meta, executor: fakeExecutor(() => false, ran2) });
    expect(ran2.length).toBe(cells.length - 2);
    expect(store.cells.size).toBe(cells.length);
  });

  test('a TTY gets a live block redrawn in place, with worker lines and ETA', async () => {
    let out = '';
    const tty = { write: (s: string) => ((out += s), true), isTTY: true, columns: 100 };
    await runGrid({ cells: cells.slice(0, 2), store: memoryStore(), meta, executor: fakeExecutor(() => false, []), observer: gridProgress(tty) });
    expect(out).toContain('\x1b[2K');
    expect(out).toContain('worker 1:');
    expect(out).toContain('ETA');
    expect(out).toContain('2 cells done');
  });
});

describe('outputs cache', () => {
  test('round trip keeps float64 and float32 bits, Int32Array, Map and NaN', () => {
    const value = { a: new Float64Array([0.1, -Math.PI, 1e-300]), f: new Float32Array([0.1, -3]), b: new Int32Array([1, -2, 3]), m: new Map([['near', { x: new Float64Array([2]) }]]), n: NaN, s: 'x', arr: [1, { y: Infinity }] };
    const back = decodeTrainResult(encodeTrainResult(value)) as typeof value;
    expect([...back.a]).toEqual([...value.a]);
    expect(back.f).toBeInstanceOf(Float32Array);
    expect([...back.f]).toEqual([...value.f]);
    expect(back.b).toBeInstanceOf(Int32Array);
    expect([...back.b]).toEqual([1, -2, 3]);
    expect(back.m.get('near')!.x[0]).toBe(2);
    expect(back.n).toBeNaN();
    expect(back.arr).toEqual([1, { y: Infinity }]);
  });

  test('the file written array by array reads back equal; a truncated file reads as absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outputs-cache-'));
    try {
      const value = { f: Float32Array.from({ length: 1001 }, (_, i) => i / 7), d: new Float64Array([Math.E]), m: new Map([['x', new Int32Array([4, 5])]]) };
      writeCachedTraining(dir, 'k', value as never);
      const path = outputsPath(dir, 'k');
      expect(readFileSync(path)).toEqual(Buffer.from(encodeTrainResult(value)));
      const back = readCachedTraining(dir, 'k') as unknown as typeof value;
      expect([...back.f]).toEqual([...value.f]);
      expect(back.d[0]).toBe(Math.E);
      expect([...back.m.get('x')!]).toEqual([4, 5]);
      truncateSync(path, statSync(path).size - 8);
      expect(readCachedTraining(dir, 'k')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('executeCell (real training, 1 epoch)', () => {
  test('results, diagnostics with histograms; a second run reads the outputs cache and gives identical numbers', async () => {
    const { initBackend } = await import('../backend.ts');
    await initBackend('wasm', { computeThreads: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'multiood-grid-'));
    try {
      const task = planGrid(spec({ benchmarks: [near], recipes: [recipeById('baseline')!], seeds: [0], splits: [0], overrides: { epochs: 1 } })).cells[0]!;
      const events: CellEvent[] = [];
      const first = await executeCell(task, { outputsDir: dir, onEvent: (e) => events.push(e) });
      expect(first.status).toBe('done');
      expect(first.results.map((r) => r.scorer)).toEqual(['msp', 'knn']);
      expect(events.some((e) => e.kind === 'progress')).toBe(true);
      const h = first.diagnostics!.histograms.msp!;
      expect(h.edges.length).toBe(31);
      expect(h.counts.id!.reduce((a, b) => a + b, 0)).toBe(200);
      expect(h.counts.near!.reduce((a, b) => a + b, 0)).toBe(400);
      expect(first.diagnostics!.curve.length).toBe(1);

      const events2: CellEvent[] = [];
      const second = await executeCell(task, { outputsDir: dir, onEvent: (e) => events2.push(e) });
      expect(events2).toEqual([{ kind: 'cached' }]);
      expect(second.results).toEqual(first.results);
      expect(second.diagnostics!.histograms).toEqual(first.diagnostics!.histograms);

      const broken = await executeCell({ ...task, config: { ...task.config, benchmark: 'nope' } });
      expect(broken).toMatchObject({ status: 'failed', error: 'unknown benchmark nope', results: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a scorer that cannot run is skipped with its reason, the other eight are kept, and a rerun does not retrain', async () => {
    const { initBackend } = await import('../backend.ts');
    await initBackend('wasm', { computeThreads: 1 });
    const { openStore } = await import('../store/store.ts');
    const dir = mkdtempSync(join(tmpdir(), 'multiood-grid-'));
    try {
      // ViM's principal subspace (dim 400) is wider than synthetic-near's embedding (2 x 160):
      // it cannot run; the cell keeps the eight other scorers.
      const all = selectScorers(undefined, ['vim.dim=400']);
      const task = planGrid(spec({ benchmarks: [near], recipes: [recipeById('baseline')!], seeds: [0], splits: [0], overrides: { epochs: 1 }, scorers: all })).cells[0]!;
      const first = await executeCell(task, { outputsDir: dir });
      expect(first.status).toBe('done');
      expect(new Set(first.results.map((r) => r.scorer)).size).toBe(8);
      expect(first.results.some((r) => r.scorer === 'vim')).toBe(false);
      expect(first.diagnostics!.skipped).toEqual([{ scorer: 'vim', key: task.config.scorers.at(-1)!.key, code: task.config.scorers.at(-1)!.code, reason: expect.stringContaining('dim = 400 must be smaller than the feature dimension D = 320') }]);
      const events: CellEvent[] = [];
      const again = await executeCell(task, { outputsDir: dir, onEvent: (e) => events.push(e) });
      expect(events).toEqual([{ kind: 'cached' }]);
      expect(again.results).toEqual(first.results);
      // stored: the eight scorers' rows and the reason
      const store = openStore(join(dir, 'db.sqlite'));
      store.commitCell(store.beginRun({ command: 't', gitCommit: null, harnessVersion: 'x', backend: 'wasm', machine: 'm', shard: null, startedAt: 'now' }), first);
      expect(store.queries.diagnostics(first.id)!.skipped).toEqual(first.diagnostics!.skipped!);
      expect(new Set(store.queries.results({}).items.map((r) => r.scorer)).size).toBe(8);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a one-modality cell stores no discrepancy (null), instead of failing', async () => {
    const { initBackend } = await import('../backend.ts');
    await initBackend('wasm', { computeThreads: 1 });
    const { openStore } = await import('../store/store.ts');
    const dir = mkdtempSync(join(tmpdir(), 'multiood-grid-'));
    try {
      const task = planGrid(spec({ benchmarks: [near], modalities: ['video'], recipes: [recipeById('baseline')!], seeds: [0], splits: [0], overrides: { epochs: 1 }, scorers: selectScorers('msp') })).cells[0]!;
      const cell = await executeCell(task);
      expect(cell.status).toBe('done');
      expect(cell.diagnostics!.lId).toBeNull();
      expect(cell.diagnostics!.lOod).toEqual({ near: null });
      const store = openStore(join(dir, 'db.sqlite'));
      store.commitCell(store.beginRun({ command: 't', gitCommit: null, harnessVersion: 'x', backend: 'wasm', machine: 'm', shard: null, startedAt: 'now' }), cell);
      expect(store.queries.diagnostics(cell.id)!.lId).toBeNull();
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
