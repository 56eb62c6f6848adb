import { afterAll, describe, expect, test } from 'bun:test';
import { cpSync, existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchmarkData, SplitData } from '../benchmark.ts';
import { benchmarkById } from '../registry.ts';
import { readMat } from '../io/mat.ts';
import { bundlePath } from './cache.ts';
import { listSequences, sequenceFile, UTD_ACTIONS, UTD_TEST_SUBJECTS, UTD_TRAIN_SUBJECTS, type Sequence } from './catalog.ts';
import { depthFeatures, featureDim, FEATURE_SETTINGS } from './features.ts';
import {
  assignSequences,
  loadUtdFeatures,
  utdAvailability,
  utdClassNames,
  utdMhadNearBenchmark,
  utdSplitClasses,
  UTD_SPLITS,
  UTD_TRAINING,
} from './benchmark.ts';

const scratch = mkdtempSync(join(tmpdir(), 'utd-mhad-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let scratchCount = 0;
const freshDir = (what: string) => join(scratch, `${what}-${scratchCount++}`);
const silent = () => {};

/** Every (action, subject, trial) of the real dataset minus its 3 missing recordings (a8_s1_t4, a23_s6_t4, a27_s8_t4). */
function fullCatalog(): Sequence[] {
  const missing = new Set(['a8_s1_t4', 'a23_s6_t4', 'a27_s8_t4']);
  const out: Sequence[] = [];
  for (let action = 1; action <= 27; action++) {
    for (let subject = 1; subject <= 8; subject++) {
      for (let trial = 1; trial <= 4; trial++) {
        const id = `a${action}_s${subject}_t${trial}`;
        if (!missing.has(id)) out.push({ action, subject, trial, id });
      }
    }
  }
  return out;
}

describe('utd-mhad-near definition (no data needed)', () => {
  test('registered, with three modalities, two modality sets, six splits and an MLP wider than ViM needs', () => {
    const b = benchmarkById('utd-mhad-near')!;
    expect(b).toBeDefined();
    expect(b.setting).toBe('near');
    expect(b.fitSplit).toBe('train');
    expect(b.splits).toBe(UTD_SPLITS);
    expect(b.modalities.map((m) => [m.name, m.dim])).toEqual([
      ['inertial', featureDim('inertial')],
      ['skeleton', featureDim('skeleton')],
      ['depth', featureDim('depth')],
    ]);
    expect(b.modalitySets).toEqual([['inertial', 'skeleton'], ['inertial', 'skeleton', 'depth']]);
    expect(b.classNames).toEqual(UTD_ACTIONS.slice(0, 14));
    expect(UTD_TRAINING.encoder).toBe('mlp');
    expect(UTD_TRAINING.hidden! * 2).toBeGreaterThan(256);
  });

  test('split 0 is actions 1-14 vs 15-27; splits 1-5 are distinct seeded 14/13 partitions', () => {
    expect(utdSplitClasses(0)).toEqual({ id: Array.from({ length: 14 }, (_, i) => i + 1), ood: Array.from({ length: 13 }, (_, i) => i + 15) });
    const seen = new Set<string>();
    for (let s = 0; s < UTD_SPLITS; s++) {
      const { id, ood } = utdSplitClasses(s);
      expect(id.length).toBe(14);
      expect(ood.length).toBe(13);
      expect([...id, ...ood].sort((a, b) => a - b)).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
      expect(utdSplitClasses(s)).toEqual({ id, ood }); // deterministic
      expect(utdClassNames(s)).toEqual(id.map((a) => UTD_ACTIONS[a - 1]!));
      seen.add(id.join(','));
    }
    expect(seen.size).toBe(UTD_SPLITS);
    expect(() => utdSplitClasses(6)).toThrow('utd-mhad-near: dataset split 6 does not exist (0..5)');
  });

  test('cross-subject assignment: disjoint subjects and classes, stratified 20% val, OOD from test subjects only', () => {
    const catalog = fullCatalog();
    expect(catalog.length).toBe(861);
    for (let s = 0; s < UTD_SPLITS; s++) {
      const a = assignSequences(catalog, s);
      const { id, ood } = utdSplitClasses(s);
      const subjects = (seqs: Sequence[]) => new Set(seqs.map((q) => q.subject));
      for (const q of [...a.train, ...a.val]) expect(UTD_TRAIN_SUBJECTS).toContain(q.subject);
      for (const q of [...a.test, ...a.ood]) expect(UTD_TEST_SUBJECTS).toContain(q.subject);
      expect([...subjects(a.train)].filter((x) => subjects(a.test).has(x))).toEqual([]);
      for (const q of [...a.train, ...a.val, ...a.test]) expect(id).toContain(q.action);
      for (const q of a.ood) expect(ood).toContain(q.action);
      // every ID sequence of the training subjects is in train or val, never both
      const trainIds = new Set(a.train.map((q) => q.id));
      for (const q of a.val) expect(trainIds.has(q.id)).toBe(false);
      const pool = catalog.filter((q) => id.includes(q.action) && UTD_TRAIN_SUBJECTS.includes(q.subject));
      expect(a.train.length + a.val.length).toBe(pool.length);
      for (const action of id) {
        const n = pool.filter((q) => q.action === action).length;
        expect(a.val.filter((q) => q.action === action).length).toBe(Math.round(n * 0.2));
      }
      expect(a.ood.length).toBe(catalog.filter((q) => ood.includes(q.action) && UTD_TEST_SUBJECTS.includes(q.subject)).length);
      expect(assignSequences(catalog, s).val.map((q) => q.id)).toEqual(a.val.map((q) => q.id));
    }
    const a0 = assignSequences(catalog, 0);
    expect([a0.train.length, a0.val.length, a0.test.length, a0.ood.length]).toEqual([181, 42, 224, 206]);
  });

  test('without data: availability says where it looked and how to get it; load fails with that one line', async () => {
    const missing = freshDir('nodata');
    const a = utdAvailability(missing);
    expect(a.available).toBe(false);
    expect(a.hint).toContain(join(missing, 'utd-mhad'));
    expect(a.hint).toContain('bun harness datasets fetch utd-mhad');
    expect(a.hint).toContain('MULTIOOD_DATA');
    const b = utdMhadNearBenchmark({ cacheDir: freshDir('cache'), log: silent });
    const error = await b.load({ modalities: ['inertial'], dataDir: missing }).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toBe(a.hint!);
    expect(error?.message).not.toContain('\n');
    await expect(b.load({ modalities: ['audio'], dataDir: missing })).rejects.toThrow('utd-mhad-near: no modality "audio" (has inertial, skeleton, depth)');
  });
});

// A 4-sequence fake dataset in the real layout (fixtures/make_utd_fixtures.py), copied so tests can touch it.
const FIXTURE = join(import.meta.dir, 'fixtures', 'utd-mhad');
function fixtureCopy(): string {
  const root = join(freshDir('data'), 'utd-mhad');
  cpSync(FIXTURE, root, { recursive: true });
  return root;
}

describe('feature cache (synthetic fixture folder)', () => {
  test('second load takes every vector from the cache and returns the same values', async () => {
    const root = fixtureCopy();
    const cache = freshDir('cache');
    const mods = ['inertial', 'skeleton', 'depth'] as const;
    const first = await loadUtdFeatures(root, mods, { cacheDir: cache });
    expect(first.sequences.map((s) => s.id)).toEqual(['a1_s1_t1', 'a1_s2_t1', 'a15_s1_t1', 'a15_s2_t1']);
    expect(first.stats.map((s) => [s.hits, s.extracted])).toEqual([[0, 4], [0, 4], [0, 4]]);
    for (const m of mods) expect(existsSync(bundlePath(cache, m))).toBe(true);
    const second = await loadUtdFeatures(root, mods, { cacheDir: cache });
    expect(second.stats.map((s) => [s.hits, s.extracted])).toEqual([[4, 0], [4, 0], [4, 0]]);
    for (const m of mods) {
      expect(second.features[m]!.cols).toBe(featureDim(m));
      expect(Array.from(second.features[m]!.data)).toEqual(Array.from(first.features[m]!.data));
    }
  });

  test('a changed source file (mtime) is re-extracted alone; a corrupt bundle is rebuilt', async () => {
    const root = fixtureCopy();
    const cache = freshDir('cache');
    await loadUtdFeatures(root, ['inertial'], { cacheDir: cache });
    const file = sequenceFile(root, { action: 15, subject: 2, trial: 1, id: 'a15_s2_t1' }, 'inertial');
    utimesSync(file, new Date(2001, 1, 1), new Date(2001, 1, 1));
    const touched = await loadUtdFeatures(root, ['inertial'], { cacheDir: cache });
    expect([touched.stats[0]!.hits, touched.stats[0]!.extracted]).toEqual([3, 1]);
    writeFileSync(bundlePath(cache, 'inertial'), 'not a bundle');
    const rebuilt = await loadUtdFeatures(root, ['inertial'], { cacheDir: cache });
    expect([rebuilt.stats[0]!.hits, rebuilt.stats[0]!.extracted]).toEqual([0, 4]);
    expect(Array.from(rebuilt.features.inertial!.data)).toEqual(Array.from(touched.features.inertial!.data));
  });

  test('a sequence missing in one requested modality is an error naming the file', async () => {
    const root = fixtureCopy();
    rmSync(sequenceFile(root, { action: 1, subject: 2, trial: 1, id: 'a1_s2_t1' }, 'skeleton'));
    expect(() => listSequences(root, ['inertial', 'skeleton'])).toThrow(/Skeleton\/a1_s2_t1_skeleton\.mat: missing \(the other modalities have a1_s2_t1\)/);
    expect(listSequences(root, ['inertial']).length).toBe(4);
  });

  test('load: z-scored with ID-train statistics, labels in ID order, OOD unlabelled', async () => {
    const root = fixtureCopy();
    const b = utdMhadNearBenchmark({ cacheDir: freshDir('cache'), log: silent });
    const data = await b.load({ modalities: ['inertial', 'depth'], dataDir: join(root, '..') });
    // fixture: action 1 (ID) and 15 (OOD) by subjects 1 (train) and 2 (test); 1 sequence per class: val gets round(0.2) = 0
    expect(data.train.labels).toEqual(Int32Array.from([0]));
    expect(data.val.features.inertial!.rows).toBe(0);
    expect(data.test.labels).toEqual(Int32Array.from([0]));
    expect(data.ood.get('near')!.labels).toBeUndefined();
    expect(Object.keys(data.train.features)).toEqual(['inertial', 'depth']);
    // one training row: every dimension centres to exactly 0
    expect(data.train.features.depth!.data.every((v) => v === 0)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The real dataset (read-only, next to this checkout). Depth over all 861 files takes a minute or
// more, so by default only a few depth files are checked; MULTIOOD_FULL_TESTS=1 loads all of it.
// ---------------------------------------------------------------------------------------------

const DATA_DIR = join(import.meta.dir, '..', '..', '..', 'shared', 'data');
const UTD = join(DATA_DIR, 'utd-mhad');
const present = existsSync(UTD);
const full = process.env.MULTIOOD_FULL_TESTS === '1';
if (!present) console.warn(`SKIPPED: real UTD-MHAD loader tests need ../shared/data/utd-mhad (looked in ${UTD})`);
else if (!full) console.warn('SKIPPED: the full UTD-MHAD depth load (861 files) runs only with MULTIOOD_FULL_TESTS=1');

function meanStd(split: SplitData, modality: string, j: number): [number, number] {
  const x = split.features[modality]!;
  let s = 0;
  for (let i = 0; i < x.rows; i++) s += x.data[i * x.cols + j]!;
  const mean = s / x.rows;
  let ss = 0;
  for (let i = 0; i < x.rows; i++) ss += (x.data[i * x.cols + j]! - mean) ** 2;
  return [mean, Math.sqrt(ss / x.rows)];
}

describe('real UTD-MHAD', () => {
  test.skipIf(!present)('861 sequences, 27 actions, 32 per action except 31 for actions 8, 23 and 27', () => {
    const seqs = listSequences(UTD, ['inertial', 'skeleton', 'depth']);
    expect(seqs.length).toBe(861);
    const perAction = new Map<number, number>();
    for (const s of seqs) perAction.set(s.action, (perAction.get(s.action) ?? 0) + 1);
    expect(perAction.size).toBe(27);
    for (const [action, n] of perAction) expect([action, n]).toEqual([action, [8, 23, 27].includes(action) ? 31 : 32]);
    expect(new Set(seqs.map((s) => s.subject)).size).toBe(8);
    expect(seqs.map((s) => s.id)).toEqual(fullCatalog().map((s) => s.id));
  });

  test.skipIf(!present)('inertial + skeleton: shapes, cross-subject split, z-scoring, determinism, cached second load', async () => {
    const cache = freshDir('cache');
    const lines: string[] = [];
    const b = utdMhadNearBenchmark({ cacheDir: cache, log: (l) => lines.push(l) });
    const modalities = ['inertial', 'skeleton'];
    let t = performance.now();
    const cold = await b.load({ modalities, dataDir: DATA_DIR });
    const coldSeconds = (performance.now() - t) / 1000;
    expect(lines.some((l) => /inertial: 861 extracted, 0 cached/.test(l))).toBe(true);
    lines.length = 0;
    t = performance.now();
    const warm = await b.load({ modalities, dataDir: DATA_DIR });
    const warmSeconds = (performance.now() - t) / 1000;
    expect(lines).toEqual([]); // nothing extracted
    console.log(`utd-mhad inertial+skeleton load: ${coldSeconds.toFixed(2)} s extracting, ${warmSeconds.toFixed(2)} s cached`);

    const sizes = (d: BenchmarkData) => [d.train, d.val, d.test, d.ood.get('near')!].map((s) => s.features.inertial!.rows);
    expect(sizes(cold)).toEqual([181, 42, 224, 206]);
    for (const m of modalities) {
      for (const split of [cold.train, cold.val, cold.test, cold.ood.get('near')!]) {
        expect(split.features[m]!.cols).toBe(featureDim(m as 'inertial' | 'skeleton'));
        expect(split.features[m]!.data.every(Number.isFinite)).toBe(true);
      }
      expect(Array.from(warm.train.features[m]!.data)).toEqual(Array.from(cold.train.features[m]!.data));
      expect(Array.from(warm.ood.get('near')!.features[m]!.data)).toEqual(Array.from(cold.ood.get('near')!.features[m]!.data));
    }
    // labels 0..13, each ID class in train, val and test
    for (const split of [cold.train, cold.val, cold.test]) expect(new Set(split.labels).size).toBe(14);
    expect([...new Set(cold.val.labels)].map((c) => cold.val.labels!.filter((y) => y === c).length).every((n) => n === 3)).toBe(true);
    // z-scored on ID train: mean 0, std 1 there (non-constant dimensions); test is only shifted and scaled
    for (const j of [0, 50, 215]) {
      const [mean, std] = meanStd(cold.train, 'inertial', j);
      expect(mean).toBeCloseTo(0, 10);
      expect(std).toBeCloseTo(1, 10);
    }
    const [testMean] = meanStd(cold.test, 'skeleton', 10);
    expect(Math.abs(testMean)).toBeGreaterThan(1e-6);
  });

  test.skipIf(!present)('depth features of a few real clips', async () => {
    for (const id of ['a1_s1_t1', 'a14_s8_t4', 'a27_s2_t1']) {
      const [a, s, t] = id.slice(1).split(/_[st]/).map(Number) as [number, number, number];
      const path = sequenceFile(UTD, { action: a, subject: s, trial: t, id }, 'depth');
      const depth = (await readMat(path, { variables: ['d_depth'] })).get('d_depth')!;
      const f = depthFeatures(depth);
      expect(f.length).toBe(featureDim('depth'));
      expect(f.every(Number.isFinite)).toBe(true);
      const n = FEATURE_SETTINGS.depth.front[0] * FEATURE_SETTINGS.depth.front[1];
      expect(Math.hypot(...f.subarray(0, n))).toBeCloseTo(1, 10);
    }
  });

  test.skipIf(!present || !full)('MULTIOOD_FULL_TESTS=1: all three modalities, all 861 depth files, then cached', async () => {
    const cache = freshDir('cache');
    let t = performance.now();
    const first = await loadUtdFeatures(UTD, ['inertial', 'skeleton', 'depth'], { cacheDir: cache });
    const cold = (performance.now() - t) / 1000;
    t = performance.now();
    const second = await loadUtdFeatures(UTD, ['inertial', 'skeleton', 'depth'], { cacheDir: cache });
    const warm = (performance.now() - t) / 1000;
    console.log(`utd-mhad full load: ${cold.toFixed(1)} s extracting, ${warm.toFixed(2)} s cached`);
    expect(first.stats.map((s) => s.extracted)).toEqual([861, 861, 861]);
    expect(second.stats.map((s) => s.hits)).toEqual([861, 861, 861]);
    expect(Array.from(second.features.depth!.data)).toEqual(Array.from(first.features.depth!.data));
  }, 600_000);
});
