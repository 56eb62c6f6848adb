/**
 * Database faults a user can cause (issue 14): each ends in one line naming the file (an
 * InputError, which the CLI prints and exits 2 on), and a finished run leaves a database file
 * that is complete without its -wal.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import { mergeStores } from './merge.ts';
import { openStore } from './store.ts';
import { cellConfig, finishedCell, resultRow, runMeta, tempDir } from './test-helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A database with `cells` done cells, closed the way a run ends. */
function writeRun(path: string, cells = 3, seed0 = 0): void {
  const store = openStore(path);
  const run = store.beginRun(runMeta({ startedAt: `2025-01-01T00:00:0${seed0 % 10}.000Z` }));
  for (let i = 0; i < cells; i++) store.commitCell(run, finishedCell(cellConfig({ seed: seed0 + i }), [resultRow('msp', 'ucf', (i % 10) / 10)]));
  store.endRun(run, '2025-01-01T01:00:00.000Z');
  store.close();
}

function cellCount(path: string): number {
  const store = openStore(path, { readonly: true });
  try {
    return store.queries.cells({}, { limit: 1000, offset: 0 }).total;
  } finally {
    store.close();
  }
}

function inputError(run: () => unknown): InputError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InputError);
  expect((caught as Error).message).not.toContain('\n');
  return caught as InputError;
}

describe('the database file alone is complete', () => {
  test('after a run ends, a copy of the .sqlite file without its -wal holds every cell', () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      const dir = tmp.file(`wal-${attempt}`);
      mkdirSync(dir);
      writeRun(join(dir, 'db.sqlite'), 5);
      const copy = tmp.file(`copy-${attempt}.sqlite`);
      copyFileSync(join(dir, 'db.sqlite'), copy);
      expect(cellCount(copy)).toBe(5);
      const wal = join(dir, 'db.sqlite-wal');
      expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    }
  });

  test('merge writes a self-contained file', () => {
    const a = tmp.file('shard-a.sqlite');
    const b = tmp.file('shard-b.sqlite');
    writeRun(a, 2, 0);
    writeRun(b, 2, 10);
    const out = tmp.file('merged.sqlite');
    mergeStores(out, [a, b]);
    const copy = tmp.file('merged-copy.sqlite');
    copyFileSync(out, copy);
    expect(cellCount(copy)).toBe(4);
  });
});

const REPO = join(import.meta.dir, '..', '..');

/** `bun harness <args>` in a child process: exit code and stderr. */
function harness(args: string[], asUser?: string): { code: number; stderr: string } {
  const command = [process.execPath, join(REPO, 'harness', 'cli.ts'), ...args];
  const wrapped = asUser ? ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', ...command] : command;
  const r = Bun.spawnSync(wrapped, { cwd: REPO, stderr: 'pipe', stdout: 'pipe' });
  return { code: r.exitCode ?? -1, stderr: r.stderr.toString() };
}

function expectOneLine(r: { code: number; stderr: string }, path: string, words: string): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith(`error: ${path}: `);
  expect(lines[0]).toContain(words);
}

describe('damaged files: one line naming the file, exit 2', () => {
  const good = tmp.file('good.sqlite');
  writeRun(good, 40);
  const bytes = readFileSync(good);
  const corrupt = tmp.file('corrupt.sqlite');
  writeFileSync(corrupt, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 251)));
  const truncated = tmp.file('truncated.sqlite');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const damaged = tmp.file('damaged.sqlite');
  const pages = Buffer.from(bytes);
  const pageSize = pages.readUInt16BE(16) === 1 ? 65536 : pages.readUInt16BE(16);
  // scribble over every page but the first (the schema) from a third of the way in
  for (let page = 1; page < pages.length / pageSize; page++) pages.fill(0xa5, page * pageSize + Math.floor(pageSize / 3), page * pageSize + pageSize - 8);
  writeFileSync(damaged, pages);

  test.each([
    ['corrupt', corrupt, 'not a SQLite database'],
    ['truncated', truncated, 'damaged'],
    ['page-damaged', damaged, 'damaged'],
  ])('%s: opening for reading or writing, and merging from or into it', (_, path, words) => {
    for (const open of [() => openStore(path, { readonly: true }), () => openStore(path)]) {
      const e = inputError(open);
      expect(e.message).toStartWith(`${path}: `);
      expect(e.message).toContain(words);
    }
    const out = tmp.file(`out-${Math.random().toString(36).slice(2)}.sqlite`);
    expect(inputError(() => mergeStores(out, [path])).message).toStartWith(`${path}: `);
    expect(inputError(() => mergeStores(path, [good])).message).toStartWith(`${path}: `);
  });

  test('run, show, merge and serve through the CLI: one line and exit 2', () => {
    expectOneLine(harness(['run', '--benchmark', 'synthetic-near', '--recipes', 'baseline', '--db', corrupt]), corrupt, 'not a SQLite database');
    expectOneLine(harness(['show', '--db', corrupt]), corrupt, 'not a SQLite database');
    expectOneLine(harness(['show', '--db', damaged]), damaged, 'damaged');
    expectOneLine(harness(['merge', tmp.file('cli-out.sqlite'), truncated]), truncated, 'damaged');
    expectOneLine(harness(['serve', '--db', damaged, '--port', '0']), damaged, 'damaged');
  }, 60_000);

  test('a database this call created is removed when opening fails', () => {
    const dir = tmp.file('created');
    mkdirSync(dir);
    const out = join(dir, 'out.sqlite');
    expect(inputError(() => mergeStores(out, [corrupt])).message).toStartWith(`${corrupt}: `);
    // OUT was created and migrated before the input failed; it is a valid, empty database
    expect(cellCount(out)).toBe(0);
    const bad = join(dir, 'not-a-dir', 'x.sqlite');
    writeFileSync(join(dir, 'not-a-dir'), 'a file where a folder should be');
    inputError(() => openStore(bad));
    expect(readdirSync(dir).filter((name) => !name.startsWith('out.sqlite'))).toEqual(['not-a-dir']);
  });
});

describe('write faults', () => {
  test('a full disk while committing is one line naming the file; committed cells are kept', () => {
    const path = tmp.file('full.sqlite');
    const store = openStore(path);
    const run = store.beginRun(runMeta());
    store.commitCell(run, finishedCell(cellConfig({ seed: 0 }), [resultRow('msp', 'ucf', 0.1)]));
    const pages = (store.db.$client.query('PRAGMA page_count').get() as { page_count: number }).page_count;
    // SQLite answers SQLITE_FULL, as on a full disk, once the file may not grow
    store.db.$client.exec(`PRAGMA max_page_count = ${pages}`);
    const big = finishedCell(cellConfig({ seed: 1 }), Array.from({ length: 400 }, (_, i) => resultRow(`s${i}`, 'ucf', 0.5)));
    const e = inputError(() => store.commitCell(run, big));
    expect(e.message).toStartWith(`${path}: committing cell ${big.id}: the disk is full`);
    store.close();
    expect(cellCount(path)).toBe(1);
  });

  test.skipIf(process.getuid?.() !== 0)('a read-only database and folder: one line and exit 2 (as an unprivileged user)', () => {
    // The unprivileged user must be able to read the checkout (a clone inside a 0700 temporary
    // folder is not): otherwise this cannot be tested here, and the test says so.
    const readable = Bun.spawnSync(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', join(REPO, 'harness', 'cli.ts')]).exitCode === 0;
    if (!readable) {
      console.warn(`SKIPPED: user nobody cannot read ${REPO}, so the read-only database case cannot run as an unprivileged user here`);
      return;
    }
    const dir = tmp.file('readonly');
    mkdirSync(dir, { mode: 0o777 });
    const db = join(dir, 'db.sqlite');
    writeRun(db, 2);
    const shard = tmp.file('ro-shard.sqlite');
    writeRun(shard, 2, 20);
    Bun.spawnSync(['chmod', '-R', 'a+rX,a-w', dir]);
    Bun.spawnSync(['chmod', 'a+rx', tmp.dir]);
    const r = harness(['merge', db, shard], '65534');
    if (r.code !== 2) console.error(r.stderr);
    expectOneLine(r, db, 'cannot open it for writing');
    Bun.spawnSync(['chmod', '-R', 'u+w', dir]);
  }, 30_000);
});

test('a write that fails for want of space leaves no .tmp behind (outputs cache)', () => {
  // RLIMIT_FSIZE makes write() fail with EFBIG, as ENOSPC would on a full disk (SIGXFSZ ignored)
  const dir = tmp.file('cache-full');
  const script = tmp.file('write-cache.ts');
  writeFileSync(
    script,
    `import { writeCachedTraining } from ${JSON.stringify(join(REPO, 'harness', 'grid', 'outputs-cache.ts'))};
try { writeCachedTraining(${JSON.stringify(dir)}, 'k', { x: new Float64Array(1_000_000) } as never); console.log('wrote'); }
catch (e) { console.log((e as { code?: string }).code); }`,
  );
  const r = Bun.spawnSync(['bash', '-c', `trap '' XFSZ; ulimit -f 512; exec "$0" "$1"`, process.execPath, script], { stdout: 'pipe', stderr: 'pipe' });
  expect(r.stdout.toString().trim()).toBe('EFBIG');
  expect(readdirSync(dir)).toEqual([]);
});
