import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeStores, storeContent } from '../store/index.ts';

const CLI = join(import.meta.dir, '..', 'cli.ts');
const GRID = ['--benchmark', 'synthetic-near', '--recipes', 'baseline,a2d', '--seeds', '0,1', '--splits', '0', '--set', 'epochs=2', '--scorers', 'msp,energy,knn', '--json'];

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([process.execPath, CLI, 'run', ...GRID, ...args], { stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

test('3 shards in 3 processes, merged, hold exactly what one process computes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'multiood-shards-'));
  try {
    const [single, ...shards] = await Promise.all([
      run(['--db', join(dir, 'single', 'r.sqlite'), '--workers', '1']),
      ...[1, 2, 3].map((k) => run(['--db', join(dir, `s${k}`, 'r.sqlite'), '--workers', '1', '--shard', `${k}/3`])),
    ]);
    for (const r of [single!, ...shards]) expect({ code: r.code, stderr: r.code ? r.stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(single!.stdout)).toMatchObject({ done: 4, failed: [] });
    expect(shards.map((s) => JSON.parse(s.stdout).done).sort()).toEqual([1, 1, 2]);

    mergeStores(join(dir, 'merged.sqlite'), [1, 2, 3].map((k) => join(dir, `s${k}`, 'r.sqlite')));
    const merged = storeContent(join(dir, 'merged.sqlite'));
    expect(merged.length).toBe(4);
    expect(merged).toEqual(storeContent(join(dir, 'single', 'r.sqlite')));

    // a rerun of the single process has nothing to do
    const again = await run(['--db', join(dir, 'single', 'r.sqlite'), '--workers', '1']);
    expect(JSON.parse(again.stdout)).toMatchObject({ done: 0, alreadyDone: 4, summary: 'nothing to do: 4 cells already done' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
