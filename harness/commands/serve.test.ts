import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { openStore } from '../store/store.ts';
import { runMeta, tempDir } from '../store/test-helpers.ts';

const CLI = join(import.meta.dir, '..', 'cli.ts');
let tmp: ReturnType<typeof tempDir>;
beforeAll(() => (tmp = tempDir()));
afterAll(() => tmp.cleanup());

test('bun harness serve answers the API read-only from the database', async () => {
  const db = tmp.file('s.sqlite');
  const store = openStore(db);
  store.beginRun(runMeta());
  store.close();
  const proc = Bun.spawn([process.execPath, CLI, 'serve', '--port', '0', '--db', db], { stdout: 'pipe', stderr: 'pipe' });
  try {
    const reader = proc.stderr.getReader();
    let line = '';
    while (!/http:\/\/\S+:\d+/.test(line)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`serve exited: ${line}`);
      line += new TextDecoder().decode(value);
    }
    const base = /(http:\/\/\S+:\d+)/.exec(line)![1]!;
    const runs = (await (await fetch(`${base}/api/runs`)).json()) as unknown[];
    expect(runs).toHaveLength(1);
    expect((await fetch(`${base}/api/runs`, { method: 'DELETE' })).status).toBe(405);
  } finally {
    proc.kill();
    await proc.exited;
  }
  expect(Bun.spawnSync([process.execPath, CLI, 'serve', '--db', tmp.file('missing.sqlite')]).exitCode).toBe(2);
});
