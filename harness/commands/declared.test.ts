import { describe, expect, test } from 'bun:test';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../api/app.ts';
import { openStore } from '../store/index.ts';

/**
 * The committed example benchmarks declared by data (examples/benchmarks/, generated data) run
 * from their folders alone: datasets list/info/check, run, show, the API and the site.
 */
const ROOT = join(import.meta.dir, '..', '..');
const CLI = join(ROOT, 'harness', 'cli.ts');
const FIXED = join(ROOT, 'examples', 'benchmarks', 'toy-har-near');
const PARTITIONS = join(ROOT, 'examples', 'benchmarks', 'toy-har-partitions');

function cli(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const p = Bun.spawnSync([process.execPath, CLI, ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, ...env } });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

describe('benchmarks declared by data', () => {
  test('a malformed benchmark.json is one line naming the file and the field, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'multiood-decl-'));
    try {
      cpSync(FIXED, dir, { recursive: true });
      const path = join(dir, 'benchmark.json');
      const decl = JSON.parse(readFileSync(path, 'utf8'));
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ ...decl, setting: 'middle' }, /benchmark\.json: field setting: /],
        [{ ...decl, modalities: [{ name: 'Phone!', dim: 12 }] }, /field modalities\[0\]\.name: expected a lower-case name/],
        [{ ...decl, splits: { train: 90, val: 30 } }, /field splits\.test: missing/],
        [{ ...decl, colour: 'red' }, /field \(root\): unknown field colour/],
      ];
      for (const [bad, message] of cases) {
        writeFileSync(path, JSON.stringify(bad));
        const r = cli(['run', '--benchmark-dir', dir, '--seeds', '0', '--dry-run']);
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('$ ')).length).toBe(1);
        expect(r.stderr).toMatch(message);
      }
      // a file whose rows disagree with the declaration: one line naming the file
      writeFileSync(path, JSON.stringify({ ...decl, splits: { ...decl.splits, train: 91 } }));
      const rows = cli(['datasets', 'check', 'toy-har-near', '--benchmark-dir', dir]);
      expect(rows.code).toBe(2);
      expect(rows.stderr).toContain('train.phone.npy: 90 rows, but benchmark.json splits.train says 91');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('datasets list, info and check read the folder alone; labelled user-provided (generated data)', () => {
    const list = cli(['datasets', 'list', '--benchmark-dir', FIXED, '--benchmark-dir', PARTITIONS]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/toy-har-near\s*│\s*user-provided \(generated data\)/);
    const info = cli(['datasets', 'info', 'toy-har-partitions', '--benchmark-dir', PARTITIONS, '--json']);
    const parts = JSON.parse(info.stdout).partitions as { id: string[]; ood: string[] }[];
    expect(parts.length).toBe(3);
    expect(new Set(parts.map((p) => p.id.join(','))).size).toBe(3); // three different ID class sets
    for (const p of parts) expect([...p.id, ...p.ood].sort()).toEqual(['climb stairs', 'fall', 'jump', 'run', 'sit', 'walk']);
    const check = cli(['datasets', 'check', 'toy-har-partitions', '--benchmark-dir', PARTITIONS]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('every split, modality and label read and checked');
  }, 60_000);

  test('run, show, API and site: the fixed benchmark and three class partitions, end to end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'multiood-decl-run-'));
    const db = join(dir, 'r.sqlite');
    try {
      const env = { MULTIOOD_CACHE: join(dir, 'cache') };
      const fixed = cli(['run', '--benchmark-dir', FIXED, '--recipes', 'baseline,a2d_npmix', '--seeds', '0', '--scorers', 'msp,knn', '--workers', '1', '--db', db, '--json'], env);
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(JSON.parse(fixed.stdout)).toMatchObject({ done: 2, failed: [] });
      const parts = cli(['run', '--benchmark-dir', PARTITIONS, '--recipes', 'baseline', '--seeds', '0', '--splits', '0-2', '--scorers', 'msp,knn', '--workers', '1', '--db', db, '--json'], env);
      expect(parts.code, parts.stderr).toBe(0);
      expect(JSON.parse(parts.stdout)).toMatchObject({ done: 3, failed: [] });

      // another KNN setting: a second configuration, listed apart (never pooled with the ranked one)
      const k5 = cli(['run', '--benchmark-dir', FIXED, '--recipes', 'baseline', '--seeds', '0', '--scorers', 'knn', '--set', 'knn.k=5', '--workers', '1', '--db', db, '--json'], env);
      expect(k5.code, k5.stderr).toBe(0);

      const show = cli(['show', '--db', db]);
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toContain('toy-har-near phone+watch');
      expect(show.stdout).toContain('toy-har-partitions phone+watch');
      expect(show.stdout).toContain('Other configurations (not ranked, never pooled with the ranked ones):');
      expect(show.stdout).toMatch(/toy-har-near phone\+watch baseline knn: .*n = 1; config [0-9a-f]{16}: scorerSettings\.k 5 \(vs 10\)/);

      // the database describes the declared benchmarks without their folders
      const store = openStore(db, { readonly: true });
      try {
        const app = createApp(store);
        const benchmarks = (await (await app.request('/api/benchmarks')).json()) as Record<string, unknown>[];
        const toy = benchmarks.find((b) => b.id === 'toy-har-near')!;
        expect(toy).toMatchObject({ origin: 'user', generated: true, setting: 'near', classNames: ['walk', 'sit', 'climb stairs'] });
        const p = benchmarks.find((b) => b.id === 'toy-har-partitions')! as { partitions: { bySplit: { id: string[] }[] } };
        expect(p.partitions.bySplit.length).toBe(3);
        const lb = (await (await app.request('/api/leaderboard/toy-har-partitions')).json()) as { rows: { n: number; scorer: string }[] };
        expect(lb.rows.find((r) => r.scorer === 'msp')!.n).toBe(3); // three partitions of one configuration
        const cells = (await (await app.request('/api/cells?benchmark=toy-har-partitions')).json()) as { items: { config: { split: number } }[] };
        expect(cells.items.map((c) => c.config.split).sort()).toEqual([0, 1, 2]);
      } finally {
        store.close();
      }

      const out = join(dir, 'dist');
      const site = cli(['site', 'build', '--db', db, '--out', out]);
      expect(site.code, site.stderr).toBe(0);
      const page = join(out, 'benchmarks', 'toy-har-near', 'index.html');
      expect(existsSync(page)).toBe(true);
      const html = readFileSync(page, 'utf8');
      expect(html).toContain('user-provided');
      expect(html).toContain('generated data');
      expect(html).toContain('Other configurations');
      expect(html).toContain('scorerSettings.k 5 (vs 10)');
      // the partitions page states which classes each split used, and lists a run per split
      const partsPage = readFileSync(join(out, 'benchmarks', 'toy-har-partitions', 'index.html'), 'utf8');
      for (const k of [0, 1, 2]) expect(partsPage).toContain(`split ${k}: ID `);
      expect(partsPage).toContain('dataset splits run: <strong>3 of 3</strong>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
