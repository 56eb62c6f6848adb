import { describe, expect, test } from 'bun:test';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkById } from '../../datasets/registry.ts';
import { generatedShapeOf, writeGeneratedFolder } from '../../datasets/synthetic/generated-folder.ts';
import { multioodDefinitionById } from '../../datasets/multiood/definitions.ts';
import { openStore } from '../store/index.ts';
import { scorerCodeVersion, sourceClosure, trainingCodeVersion } from './code-version.ts';
import { dataFingerprint } from './data-fingerprint.ts';

const ROOT = join(import.meta.dir, '..', '..');

describe('code versions', () => {
  test('a scorer depends on its own file and the evaluation, not on other scorers, training or the site', () => {
    const knn = sourceClosure(['methods/scorers/knn.ts', 'harness/evaluate.ts']);
    expect(knn).toContain('methods/scorers/knn.ts');
    expect(knn).toContain('harness/metrics/ood.ts');
    expect(knn).not.toContain('methods/scorers/msp.ts');
    expect(knn.some((f) => f.startsWith('methods/training/') || f.startsWith('harness/site/') || f.endsWith('.test.ts'))).toBe(false);
    expect(scorerCodeVersion('knn')).not.toBe(scorerCodeVersion('msp'));
    expect(trainingCodeVersion()).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('data fingerprints', () => {
  test('content, not dates: a regenerated file changes it, touching a file does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'multiood-fp-'));
    const cache = join(dir, 'cache');
    try {
      const data = join(dir, 'data');
      const def = multioodDefinitionById('hmdb51-near')!;
      await writeGeneratedFolder(join(data, 'multiood', def.id), { ...generatedShapeOf(def, { scale: 0.02 }), modalities: [{ name: 'video', dim: 8, evidence: 0.5 }, { name: 'flow', dim: 6, evidence: 0.5 }] });
      const b = benchmarkById('hmdb51-near')!;
      const o = { modalities: ['video', 'flow'], dataDir: data };
      const first = await dataFingerprint(b, o, cache);
      expect(await dataFingerprint(b, o, cache)).toBe(first);
      const file = join(data, 'multiood', def.id, 'train.video.npy');
      const later = new Date(Date.now() + 5000);
      utimesSync(file, later, later); // same bytes, new mtime: rehashed, same fingerprint
      expect(await dataFingerprint(b, o, cache)).toBe(first);
      await writeGeneratedFolder(join(dir, 'other'), { ...generatedShapeOf(def, { scale: 0.02, seed: 2 }), modalities: [{ name: 'video', dim: 8, evidence: 0.5 }, { name: 'flow', dim: 6, evidence: 0.5 }] });
      cpSync(join(dir, 'other', 'train.video.npy'), file); // regenerated with another seed
      expect(await dataFingerprint(b, o, cache)).not.toBe(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** A copy of the project's sources (node_modules linked) whose files a test may edit. */
function projectCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'multiood-copy-'));
  for (const entry of ['harness', 'methods', 'datasets', 'package.json', 'tsconfig.json', 'bunfig.toml', 'submissions']) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true, filter: (src) => !src.includes(`${join(ROOT, 'site')}`) });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function runCli(root: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const p = Bun.spawnSync([process.execPath, join(root, 'harness', 'cli.ts'), ...args], { cwd: root, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, MULTIOOD_CACHE: join(root, '.cache') } });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

const mtimes = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]));

describe('configuration identity end to end (CLI on a copy of the sources)', () => {
  test('knn.k=50 is a second configuration; a scorer code change rescores that scorer only; a training code change retrains', () => {
    const root = projectCopy();
    try {
      const db = join(root, 'results', 'r.sqlite');
      const grid = ['run', '--benchmark', 'synthetic-near', '--recipes', 'baseline', '--seeds', '0,1', '--splits', '0', '--set', 'epochs=1', '--scorers', 'msp,knn', '--workers', '1', '--db', db, '--json'];
      const first = runCli(root, grid);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ done: 2 });
      const outputs = join(root, 'results', 'outputs');
      const trained = mtimes(outputs);
      expect(Object.keys(trained).length).toBe(2);

      // another KNN setting: a new configuration of the same cells, scored from the cached outputs
      const k50 = runCli(root, [...grid, '--set', 'knn.k=50']);
      expect(k50.code, k50.stderr).toBe(0);
      expect(mtimes(outputs)).toEqual(trained);
      let store = openStore(db, { readonly: true });
      const all = store.queries.leaderboard({ benchmark: 'synthetic-near', scorer: 'knn' }, { configurations: 'all' });
      expect(all.length).toBe(2);
      expect(all.map((r) => r.n)).toEqual([2, 2]);
      const ranked = all.find((r) => r.configuration.ranked);
      // --set epochs=1 makes the training non-default: neither is ranked, both are listed with what differs
      expect(ranked).toBeUndefined();
      expect(all.every((r) => r.configuration.differences.length > 0)).toBe(true);
      const settings = all.map((r) => (r.configuration.settings.scorerSettings as { k: number }).k).sort((a, b) => a - b);
      expect(settings).toEqual([10, 50]);
      store.close();

      // a change in one scorer's code: only that scorer is computed again, from the cached outputs
      const before = readRows(db);
      appendFileSync(join(root, 'methods', 'scorers', 'msp.ts'), '\n// an edit that changes the code version\n');
      const rescored = runCli(root, grid);
      expect(rescored.code, rescored.stderr).toBe(0);
      expect(JSON.parse(rescored.stdout)).toMatchObject({ done: 2 });
      expect(mtimes(outputs)).toEqual(trained);
      const after = readRows(db);
      expect(after.filter((r) => r.scorer === 'knn')).toEqual(before.filter((r) => r.scorer === 'knn'));
      const msp = after.filter((r) => r.scorer === 'msp');
      expect(msp.length).toBe(2);
      expect(new Set(msp.map((r) => r.scorerCode)).size).toBe(1);
      expect(msp[0]!.scorerCode).not.toBe(before.find((r) => r.scorer === 'msp')!.scorerCode);
      // same numbers: the edit changed no arithmetic
      expect(msp.map((r) => r.auroc)).toEqual(before.filter((r) => r.scorer === 'msp').map((r) => r.auroc));
      const again = runCli(root, grid);
      expect(JSON.parse(again.stdout)).toMatchObject({ done: 0, alreadyDone: 2 });

      // a change in training code: new cells, trained again
      appendFileSync(join(root, 'methods', 'training', 'losses.ts'), '\n// an edit of the training code\n');
      const retrained = runCli(root, grid);
      expect(retrained.code, retrained.stderr).toBe(0);
      expect(JSON.parse(retrained.stdout)).toMatchObject({ done: 2, alreadyDone: 0 });
      expect(Object.keys(mtimes(outputs)).length).toBe(4);
      store = openStore(db, { readonly: true });
      expect(store.queries.cells().total).toBe(4);
      store.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 240_000);
});

function readRows(db: string) {
  const store = openStore(db, { readonly: true });
  try {
    return store.queries.results({}).items.sort((a, b) => (a.cellId + a.scorer + a.configKey < b.cellId + b.scorer + b.configKey ? -1 : 1));
  } finally {
    store.close();
  }
}
