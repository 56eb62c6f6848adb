import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellIdOf, scorerKeyOf } from '../identity/configuration.ts';
import { storeContent } from './content.ts';
import type { CellConfig, FinishedCell, ScorerConfig } from './contract.ts';
import { exportStore, formatExport, importExports, parseExport } from './export.ts';
import * as schema from './schema.ts';
import { openStore } from './store.ts';
import { runMeta, tempDir } from './test-helpers.ts';

// each test opens several databases: seconds on a loaded machine
setDefaultTimeout(60_000);

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => (tmp = tempDir('multiood-export-')));
afterAll(() => tmp.cleanup());

function scorer(id: string, settings: Record<string, unknown> = {}, isDefault = true): ScorerConfig {
  return { id, key: scorerKeyOf(id, settings), settings, code: `${id}-code-1`, isDefault };
}

function config(benchmark: string, recipe: string, seed: number, scorers: ScorerConfig[] = [scorer('msp'), scorer('knn', { k: 10 })]): CellConfig {
  return {
    benchmark,
    dataFingerprint: `fp-${benchmark}`,
    modalities: ['video', 'flow'],
    recipe,
    training: { lr: 0.001, epochs: 2, npmix: { startEpoch: 1, ood: 0.5 } },
    seed,
    split: 0,
    backend: 'wasm',
    trainingCode: 'train-code-1',
    defaultTraining: true,
    scorers,
  };
}

/** A done cell with real identities; `v` shifts every metric (another v is another result). */
function cell(c: CellConfig, v: number, overrides: Partial<FinishedCell> = {}): FinishedCell {
  return {
    id: cellIdOf(c),
    config: c,
    status: 'done',
    startedAt: '2025-01-01T00:00:01.000Z',
    endedAt: '2025-01-01T00:00:03.500Z',
    seconds: 2.5,
    results: c.scorers.flatMap((s) =>
      ['hard', 'easy'].map((ood, i) => ({ scorer: s.id, scorerKey: s.key, ood, fpr95: v / (i + 2), auroc: 1 - v / 3, auprIn: 0.7 + v / 10, auprOut: 0.1 * (i + 1), idAcc: 0.9 })),
    ),
    diagnostics: {
      lId: 0.25 + v,
      lOod: { hard: 0.5, easy: null },
      curve: [
        { epoch: 0, loss: 1.5, valAcc: 0.5, seconds: 0.1 + v },
        { epoch: 1, loss: 0.75, valAcc: 0.75, seconds: 0.2 },
      ],
      bestEpoch: 1,
      histograms: { msp: { edges: [0, 0.5, 1], counts: { id: [1, 3], hard: [2, 2], easy: [4, 0] } } },
      skipped: [{ scorer: 'vim', key: scorerKeyOf('vim', {}), code: 'vim-code-1', reason: 'features narrower than the subspace' }],
    },
    ...overrides,
  };
}

const RECORD = (id: string, title: string) => ({ id, origin: 'user', declaration: { id, title, setting: 'far', classNames: ['a', 'b'] } });

/** A database of `cells` committed by one run per entry of `runs` (cells are spread over them in turn). */
function makeDb(name: string, cells: FinishedCell[], runs = 1): string {
  const path = tmp.file(name);
  const store = openStore(path);
  const ids = Array.from({ length: runs }, (_, i) => store.beginRun(runMeta({ machine: `m${i}`, command: `run --all # ${name}`, startedAt: `2025-01-0${i + 1}T00:00:00.000Z` })));
  store.recordBenchmarks([...new Set(cells.map((c) => c.config.benchmark))].map((b) => RECORD(b, `The ${b} benchmark`)));
  cells.forEach((c, i) => store.commitCell(ids[i % runs]!, c));
  ids.forEach((id, i) => i === 0 && store.endRun(id, '2025-01-05T00:00:00.000Z'));
  store.close();
  return path;
}

function benchmarksOf(path: string) {
  const store = openStore(path, { readonly: true });
  try {
    return store.db.select().from(schema.benchmarks).all();
  } finally {
    store.close();
  }
}

const contentOf = (path: string) => storeContent(path);
const doneOnly = (path: string) => storeContent(path).filter((c) => c.status === 'done');

describe('export and import', () => {
  test('round trip: importing an export gives the same store content (done cells), benchmarks and re-export bytes', () => {
    const nonDefault = scorer('knn', { k: 50 }, false);
    const a = cell(config('toy-far', 'a2d', 0), 0.2);
    const b = cell(config('toy-far', 'baseline', 1, [scorer('msp'), scorer('knn', { k: 10 }), nonDefault]), 0.3);
    const c = cell(config('toy-near', 'baseline', 0), 0.4, { diagnostics: undefined });
    const failed: FinishedCell = { ...cell(config('toy-near', 'a2d', 0), 0.1), status: 'failed', error: 'out of memory', results: [], diagnostics: undefined };
    const db = makeDb('orig.sqlite', [a, b, c, failed], 2);

    const out = join(tmp.dir, 'export-1');
    const reports = exportStore(db, out);
    expect(reports.map((r) => [r.benchmark, r.cells, r.runs])).toEqual([['toy-far', 2, 2], ['toy-near', 1, 1]]);
    expect(readdirSync(out).sort()).toEqual(['toy-far.json', 'toy-near.json']);
    const far = readFileSync(join(out, 'toy-far.json'), 'utf8');
    // reviewable: one key a line, plain arrays inline, cells in id order, no failed cell
    expect(far).toContain('"counts": {\n');
    expect(far).toContain('"edges": [0, 0.5, 1]');
    const parsed = parseExport(join(out, 'toy-far.json'), far);
    expect(parsed.cells.map((x) => x.id)).toEqual([a.id, b.id].sort());
    expect(parsed.cells.flatMap((x) => x.scorings.map((s) => s.isDefault))).toContain(false);
    expect(parsed.record?.declaration.title).toBe('The toy-far benchmark');

    const copy = tmp.file('copy.sqlite');
    const report = importExports(copy, [out]);
    expect(report.merged.map((r) => r.cellsAdded)).toEqual([2, 1]);
    expect(contentOf(copy)).toEqual(doneOnly(db));
    expect(contentOf(copy).length).toBe(contentOf(db).length - 1);
    expect(benchmarksOf(copy)).toEqual(benchmarksOf(db));

    // the same bytes when exported again: the order is stable, whatever the database's row order
    const again = join(tmp.dir, 'export-2');
    exportStore(copy, again);
    for (const f of ['toy-far.json', 'toy-near.json']) expect(readFileSync(join(again, f), 'utf8')).toBe(readFileSync(join(out, f), 'utf8'));
    // importing twice changes nothing
    expect(importExports(copy, [out]).merged.map((r) => r.cellsUnchanged)).toEqual([2, 1]);
    expect(contentOf(copy)).toEqual(doneOnly(db));
    // only some benchmarks
    expect(exportStore(db, join(tmp.dir, 'export-3'), { benchmarks: ['toy-near'] }).map((r) => r.benchmark)).toEqual(['toy-near']);
    expect(() => exportStore(db, join(tmp.dir, 'export-3'), { benchmarks: ['nope'] })).toThrow(/--benchmark nope: .* has no done cell of it/);
  });

  test("several contributors' exports merge: identical cells dedupe, the union equals one database holding all", () => {
    const c1 = cell(config('toy-far', 'a2d', 0), 0.2);
    const c2 = cell(config('toy-far', 'a2d', 1), 0.25);
    const c3 = cell(config('toy-far', 'baseline', 0), 0.3);
    const alice = join(tmp.dir, 'alice');
    const bob = join(tmp.dir, 'bob');
    exportStore(makeDb('alice.sqlite', [c1, c2]), alice);
    exportStore(makeDb('bob.sqlite', [c2, c3]), bob);
    const merged = tmp.file('merged.sqlite');
    const report = importExports(merged, [alice, bob]);
    expect(report.merged.map((r) => [r.cellsAdded, r.cellsUnchanged])).toEqual([[2, 0], [1, 1]]);
    expect(contentOf(merged)).toEqual(contentOf(makeDb('all.sqlite', [c1, c2, c3])));
    // both contributors' runs are kept as provenance
    const store = openStore(merged, { readonly: true });
    expect(store.db.select().from(schema.runs).all().map((r) => r.command).sort()).toEqual(['run --all # alice.sqlite', 'run --all # bob.sqlite']);
    store.close();
  });

  test('a cell with the same id and different results is an error naming both files; nothing is imported', () => {
    const c1 = cell(config('toy-far', 'a2d', 0), 0.2);
    const other = cell(config('toy-far', 'a2d', 0), 0.6);
    const c4 = cell(config('toy-far', 'a2d', 4), 0.2);
    const alice = join(tmp.dir, 'c-alice');
    const carol = join(tmp.dir, 'c-carol');
    exportStore(makeDb('c-alice.sqlite', [c1]), alice);
    exportStore(makeDb('c-carol.sqlite', [c4, other]), carol);
    const db = tmp.file('c-merged.sqlite');
    expect(() => importExports(db, [alice, carol])).toThrow(`${join(carol, 'toy-far.json')}: cell ${c1.id} conflicts with ${join(alice, 'toy-far.json')} (same id, different results); nothing was imported`);
    // against what the database already holds
    importExports(db, [alice]);
    const before = contentOf(db);
    expect(() => importExports(db, [carol])).toThrow(`${join(carol, 'toy-far.json')}: cell ${c1.id} conflicts with the copy already in ${db} (same id, different results); nothing was imported`);
    expect(contentOf(db)).toEqual(before);
    // --check writes nothing and finds the same conflict
    expect(() => importExports(null, [alice, carol])).toThrow(/conflicts with/);
    expect(importExports(null, [alice]).files.map((f) => f.cells)).toEqual([1]);
  });
});

test('a database the format cannot carry is refused on export, naming the database and the field; nothing is written', () => {
  // ids that are not the hash of their config (as hand-made test databases have)
  const c = cell(config('toy-far', 'a2d', 0), 0.2);
  const db = makeDb('fake-ids.sqlite', [{ ...c, id: 'toy-far|a2d|0' }]);
  const out = join(tmp.dir, 'never');
  expect(() => exportStore(db, out)).toThrow(`${db}: cannot export toy-far: cells[0].id: 64 lowercase hex digits`);
  expect(existsSync(out)).toBe(false);
});

describe('bad exports are one line naming the file and the field', () => {
  let good: string;
  let dir: string;
  beforeAll(() => {
    dir = join(tmp.dir, 'bad');
    exportStore(makeDb('bad.sqlite', [cell(config('toy-far', 'a2d', 0), 0.2)]), join(tmp.dir, 'good'));
    good = readFileSync(join(tmp.dir, 'good', 'toy-far.json'), 'utf8');
  });

  function check(name: string, edit: (f: any) => void, expected: string | RegExp): void {
    const sub = join(dir, name);
    mkdirSync(sub, { recursive: true });
    const f = JSON.parse(good);
    edit(f);
    const file = join(sub, 'toy-far.json');
    writeFileSync(file, formatExport(f));
    let message = '';
    try {
      importExports(null, [file]);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n').length).toBe(1);
    expect(message.startsWith(`${file}: `)).toBe(true);
    if (typeof expected === 'string') expect(message).toContain(expected);
    else expect(message).toMatch(expected);
  }

  test('schema: types, ranges, unknown fields', () => {
    check('seed', (f) => (f.cells[0].config.seed = 'x'), `${'cells[0].config.seed'}: `);
    check('auroc', (f) => (f.cells[0].scorings[0].results[0].auroc = 1.5), 'cells[0].scorings[0].results[0].auroc: ');
    check('extra', (f) => (f.cells[0].config.extra = 1), 'cells[0].config: ');
    check('version', (f) => (f.version = 2), 'version: ');
    check('status', (f) => (f.cells[0].status = 'failed'), 'cells[0].status: ');
    check('newline', (f) => (f.runs[0].machine = 'a\nb'), 'runs[0].machine: ');
  });

  test('identities: a cell id, scorer key, configuration key and default flag must be what the store derives', () => {
    check('id', (f) => (f.cells[0].config.seed = 7), /cells\[0\]\.id: expected the hash of the cell's config, [0-9a-f]{64}/);
    check('scorer-key', (f) => (f.cells[0].config.scorers[1].settings.k = 11), /cells\[0\]\.config\.scorers\[1\]\.key: expected the hash/);
    check('is-default', (f) => (f.cells[0].scorings[0].isDefault = false), 'cells[0].scorings[0].isDefault: expected true');
    check('config-key', (f) => (f.cells[0].scorings[0].configKey = 'x'), 'cells[0].scorings[0].configKey: expected the configuration');
    check('undeclared', (f) => (f.cells[0].scorings[0].scorerKey = 'abc'), 'cells[0].scorings[0].scorerKey: expected a scorer configuration');
    check('run', (f) => (f.runs[0].machine = 'elsewhere'), 'runs[0].key: expected the hash');
    check('benchmark', (f) => (f.cells[0].config.benchmark = 'toy-near'), 'cells[0].config.benchmark: expected the file');
  });

  test('files: not JSON, a wrong name, a symlink, nothing found', () => {
    const sub = join(dir, 'files');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'toy-far.json'), '{"format": ');
    expect(() => importExports(null, [join(sub, 'toy-far.json')])).toThrow(`${join(sub, 'toy-far.json')}: (file): expected JSON`);
    writeFileSync(join(sub, 'other.json'), good);
    expect(() => importExports(null, [join(sub, 'other.json')])).toThrow(`${join(sub, 'other.json')}: benchmark: the file of benchmark toy-far is named toy-far.json`);
    symlinkSync('/etc/passwd', join(sub, 'link.json'));
    expect(() => importExports(null, [join(sub, 'link.json')])).toThrow(`${join(sub, 'link.json')}: (file): expected a regular file, found a symlink`);
    mkdirSync(join(sub, 'empty'));
    expect(() => importExports(null, [join(sub, 'empty')])).toThrow('no export files');
    expect(() => importExports(null, [join(sub, 'missing')])).toThrow(`${join(sub, 'missing')}: no such file or folder`);
    // a size cap, from the environment
    process.env.MULTIOOD_MAX_EXPORT_MB = '0.0001';
    try {
      expect(() => importExports(null, [join(tmp.dir, 'good')])).toThrow(/toy-far\.json: \(file\): expected at most 104 bytes/);
      process.env.MULTIOOD_MAX_EXPORT_MB = 'lots';
      expect(() => importExports(null, [join(tmp.dir, 'good')])).toThrow('MULTIOOD_MAX_EXPORT_MB="lots": expected a positive number');
    } finally {
      delete process.env.MULTIOOD_MAX_EXPORT_MB;
    }
    // an empty folder beside files is fine
    cpSync(join(tmp.dir, 'good'), join(sub, 'ok'), { recursive: true });
    expect(importExports(null, [join(sub, 'ok'), join(sub, 'empty')]).files.length).toBe(1);
  });
});
