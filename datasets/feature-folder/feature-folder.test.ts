import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix } from '../../methods/linalg/matrix.ts';
import type { BenchmarkData, SplitData } from '../benchmark.ts';
import { writeNpy } from '../io/npy.ts';
import { FeatureFolderError, readFeatureFolder, writeFeatureFolder, type FeatureFolderSpec } from './feature-folder.ts';

const root = mkdtempSync(join(tmpdir(), 'feature-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MODALITIES = [
  { name: 'video', dim: 6 },
  { name: 'audio', dim: 2 },
  { name: 'flow', dim: 4 },
];
const NEAR: FeatureFolderSpec = {
  benchmark: 'toy-near',
  modalities: MODALITIES,
  numClasses: 3,
  sizes: { train: 9, val: 6, test: 6 },
  oodSets: [{ name: 'near', size: 5 }],
  oodSetsOptional: false,
};
const FAR: FeatureFolderSpec = { ...NEAR, benchmark: 'toy-far', oodSets: [{ name: 'UCF', size: 4 }, { name: 'HAC', size: 3 }], oodSetsOptional: true };

let seed = 1;
function split(rows: number, labelled: boolean, dims = MODALITIES): SplitData {
  const features = Object.fromEntries(dims.map((m) => [m.name, matrix(rows, m.dim, Float64Array.from({ length: rows * m.dim }, () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2 - 1))]));
  return labelled ? { features, labels: Int32Array.from({ length: rows }, (_, i) => i % 3) } : { features };
}
function data(ood: [string, number][], sizes = { train: 9, val: 6, test: 6 }): BenchmarkData {
  return { train: split(sizes.train, true), val: split(sizes.val, true), test: split(sizes.test, true), ood: new Map(ood.map(([n, r]) => [n, split(r, false)])) };
}

let n = 0;
async function folder(spec: FeatureFolderSpec, d: BenchmarkData, dtype: 'float32' | 'float64' = 'float64'): Promise<string> {
  const dir = join(root, `f${n++}`);
  await writeFeatureFolder(dir, { benchmark: spec.benchmark, data: d, modalities: MODALITIES, backbone: 'toy', dtype, classNames: ['a', 'b', 'c'] });
  return dir;
}
const all = { modalities: ['video', 'audio', 'flow'] };

async function rejects(dir: string, spec: FeatureFolderSpec, pattern: RegExp, options = all) {
  const error = await readFeatureFolder(dir, spec, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeatureFolderError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  expect(message).toMatch(pattern);
}

async function editManifest(dir: string, edit: (m: Record<string, unknown>) => void) {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(await readFile(path, 'utf8'));
  edit(m);
  await writeFile(path, JSON.stringify(m));
}

describe('feature folders', () => {
  test('round trip: float64 exactly, labels, OOD sets by name, no warnings at the official sizes', async () => {
    const d = data([['near', 5]]);
    const dir = await folder(NEAR, d);
    const r = await readFeatureFolder(dir, NEAR, all);
    expect(r.warnings).toEqual([]);
    expect(r.manifest.classNames).toEqual(['a', 'b', 'c']);
    expect(r.manifest.splits).toEqual({ train: 9, val: 6, test: 6, ood: 5 });
    expect(r.data.train.features.video!.data).toEqual(d.train.features.video!.data);
    expect(r.data.test.labels).toEqual(d.test.labels!);
    expect([...r.data.ood.keys()]).toEqual(['near']);
    expect(r.data.ood.get('near')!.labels).toBeUndefined();
    expect(r.data.ood.get('near')!.features.flow!.data).toEqual(d.ood.get('near')!.features.flow!.data);
  });

  test('float32 files stay float32 (no float64 copy); only the requested modalities are read', async () => {
    const d = data([['near', 5]]);
    const dir = await folder(NEAR, d, 'float32');
    await rm(join(dir, 'train.audio.npy'));
    const r = await readFeatureFolder(dir, NEAR, { modalities: ['video', 'flow'] });
    expect(Object.keys(r.data.train.features)).toEqual(['video', 'flow']);
    expect(r.data.val.features.flow!.data).toBeInstanceOf(Float32Array);
    expect(r.data.val.features.flow!.data).toEqual(Float32Array.from(d.val.features.flow!.data));
  });

  test('size mismatches against the official splits, other widths and absent Far-OOD sets are warnings', async () => {
    const d = data([['UCF', 4]], { train: 8, val: 6, test: 7 });
    const dir = await folder(FAR, d);
    const spec = { ...FAR, modalities: [{ name: 'video', dim: 2304 }, ...MODALITIES.slice(1)] };
    const r = await readFeatureFolder(dir, spec, all);
    expect(r.warnings.length).toBe(4);
    expect(r.warnings.join('\n')).toContain('split train has 8 rows, the official split has 9 (1 clips missing)');
    expect(r.warnings.join('\n')).toContain('split test has 7 rows, the official split has 6 (1 extra)');
    expect(r.warnings.join('\n')).toContain('modality video is 6 wide, the upstream backbone\'s is 2304');
    expect(r.warnings.join('\n')).toContain('no OOD set HAC (ood-HAC)');
    expect([...r.data.ood.keys()]).toEqual(['UCF']);
  });

  test('a class without training rows is a warning', async () => {
    const d = data([['near', 5]]);
    (d.train.labels as Int32Array).fill(0);
    const r = await readFeatureFolder(await folder(NEAR, d), NEAR, all);
    expect(r.warnings).toEqual([expect.stringContaining('2 ID classes have no training rows (b, c)')]);
  });

  test('missing folder, manifest, split and file: one-line errors naming the file', async () => {
    await rejects(join(root, 'nowhere'), NEAR, /nowhere: feature folder not found/);
    const dir = await folder(NEAR, data([['near', 5]]));
    await rm(join(dir, 'val.flow.npy'));
    await rejects(dir, NEAR, /val\.flow\.npy: file not found/);
    await rm(join(dir, 'manifest.json'));
    await rejects(dir, NEAR, /manifest\.json: file not found/);
    const noOod = await folder(NEAR, data([]));
    await rejects(noOod, NEAR, /manifest\.json: field splits\.ood: missing/);
    const farNone = await folder(FAR, data([]));
    await rejects(farNone, FAR, /field splits\.ood-UCF: missing \(the OOD sets ood-UCF, ood-HAC are required\)/);
  });

  test('manifest schema and consistency errors name the field', async () => {
    const cases: [(m: Record<string, unknown>) => void, RegExp][] = [
      [(m) => delete m.backbone, /field backbone: /],
      [(m) => (m.created = 'yesterday'), /field created: expected an ISO 8601 date/],
      [(m) => (m.modalities = [{ name: 'video', dim: -1 }]), /field modalities\[0\]\.dim: /],
      [(m) => (m.splits = { train: 9, val: 6, test: 6, ood: 2.5 }), /field splits\.ood: /],
      [(m) => (m.benchmark = 'other'), /field benchmark: "other", expected "toy-near"/],
      [(m) => (m.modalities = [{ name: 'depth', dim: 3 }]), /field modalities\[0\]\.name: "depth" is not a modality of toy-near/],
      [(m) => (m.modalities = [{ name: 'video', dim: 6 }, { name: 'video', dim: 6 }]), /"video" is listed twice/],
      [(m) => ((m.splits as Record<string, number>)['ood-UCF'] = 3), /field splits\.ood-UCF: unknown split/],
      [(m) => delete (m.splits as Record<string, number>).val, /field splits\.val: missing/],
      [(m) => (m.classNames = ['a']), /field classNames: 1 names, toy-near has 3 ID classes/],
      [(m) => (m.modalities = [{ name: 'video', dim: 6 }]), /field modalities: no "audio" \(the folder has video\)/],
      [(m) => ((m.modalities as { dim: number }[])[2]!.dim = 5), /train\.flow\.npy: 4 columns, but manifest\.json modalities\[2\]\.dim says 5/],
      [(m) => ((m.splits as Record<string, number>).val = 7), /val\.video\.npy: 6 rows, but manifest\.json splits\.val says 7/],
    ];
    const dir = await folder(NEAR, data([['near', 5]]));
    const original = await readFile(join(dir, 'manifest.json'), 'utf8');
    for (const [edit, pattern] of cases) {
      await writeFile(join(dir, 'manifest.json'), original);
      await editManifest(dir, edit);
      await rejects(dir, NEAR, pattern);
    }
    await writeFile(join(dir, 'manifest.json'), '{"benchmark": ');
    await rejects(dir, NEAR, /manifest\.json: not valid JSON/);
  });

  test('dtype, rank, NaN and label errors name the file', async () => {
    const dir = await folder(NEAR, data([['near', 5]]));
    const put = (file: string, a: Parameters<typeof writeNpy>[1]) => writeNpy(join(dir, file), a);
    await put('train.video.npy', { dtype: 'int32', shape: [9, 6], data: new Int32Array(54) });
    await rejects(dir, NEAR, /train\.video\.npy: dtype int32, expected float32 or float64/);
    await put('train.video.npy', { dtype: 'float32', shape: [54], data: new Float32Array(54) });
    await rejects(dir, NEAR, /train\.video\.npy: shape \(54\), expected 2-D \(9, 6\)/);
    const nan = new Float32Array(54);
    nan[13] = NaN;
    await put('train.video.npy', { dtype: 'float32', shape: [9, 6], data: nan });
    await rejects(dir, NEAR, /train\.video\.npy: row 2 column 1 is NaN/);
    await put('train.video.npy', { dtype: 'float32', shape: [9, 6], data: new Float32Array(54) });
    await put('test.labels.npy', { dtype: 'int64', shape: [6], data: BigInt64Array.from([0n, 1n, 2n, 3n, 0n, 1n]) });
    await rejects(dir, NEAR, /test\.labels\.npy: label 3 at row 3, expected 0\.\.2/);
    await put('test.labels.npy', { dtype: 'int64', shape: [5], data: new BigInt64Array(5) });
    await rejects(dir, NEAR, /test\.labels\.npy: 5 labels, but manifest\.json splits\.test says 6/);
    await put('test.labels.npy', { dtype: 'float64', shape: [6], data: new Float64Array(6) });
    await rejects(dir, NEAR, /test\.labels\.npy: dtype float64, expected int64 labels/);
    await writeFile(join(dir, 'test.labels.npy'), 'not numpy');
    await rejects(dir, NEAR, /test\.labels\.npy: not a \.npy file/);
    await put('test.labels.npy', { dtype: 'int32', shape: [6], data: Int32Array.from([0, 1, 2, 0, 1, 2]) });
    expect((await readFeatureFolder(dir, NEAR, all)).data.test.labels).toEqual(Int32Array.from([0, 1, 2, 0, 1, 2]));
  });
});
