import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { openStore } from '../store/store.ts';
import { cellConfig, finishedCell, resultRow, runMeta, tempDir } from '../store/test-helpers.ts';

const CLI = join(import.meta.dir, '..', 'cli.ts');
let tmp: ReturnType<typeof tempDir>;
beforeAll(() => (tmp = tempDir()));
afterAll(() => tmp.cleanup());

function shard(name: string, fpr: number): string {
  const path = tmp.file(name);
  const store = openStore(path);
  store.commitCell(store.beginRun(runMeta({ shard: name })), finishedCell(cellConfig(), [resultRow('msp', 'ucf', fpr)]));
  store.close();
  return path;
}

function harness(...args: string[]) {
  const p = Bun.spawnSync([process.execPath, CLI, ...args], { stdout: 'pipe', stderr: 'pipe' });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

test('bun harness merge reports per input; a conflict exits 2 naming the cell and file', () => {
  const a = shard('a.sqlite', 0.2);
  const b = shard('b.sqlite', 0.3);
  const out = tmp.file('out.sqlite');
  const ok = harness('merge', out, a);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain(`${a}: 1 cells added`);
  const bad = harness('merge', out, b);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain(`error: ${b}: cell ${finishedCell(cellConfig(), []).id} conflicts`);
  expect(harness('merge', out, tmp.file('missing.sqlite')).code).toBe(2);
});
