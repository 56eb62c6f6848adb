import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix } from '../../methods/linalg/matrix.ts';
import type { SplitData } from '../benchmark.ts';
import { writeFeatureFolder } from '../feature-folder/feature-folder.ts';
import { benchmarkById } from '../registry.ts';
import { MULTIOOD_DEFINITIONS } from './definitions.ts';
import { featureFolderPath, multioodBenchmark } from './feature-benchmark.ts';

const root = mkdtempSync(join(tmpdir(), 'multiood-bench-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function split(rows: number, dims: Record<string, number>, classes?: number): SplitData {
  const features = Object.fromEntries(Object.entries(dims).map(([name, d]) => [name, matrix(rows, d, Float64Array.from({ length: rows * d }, (_, i) => (i % 7) / 7))]));
  return classes ? { features, labels: Int32Array.from({ length: rows }, (_, i) => i % classes) } : { features };
}

describe('MultiOOD benchmarks in the registry', () => {
  test('all six are registered with the definition\'s classes, sets and fit split', () => {
    for (const d of MULTIOOD_DEFINITIONS) {
      const b = benchmarkById(d.id)!;
      expect(b.classNames.length).toBe(d.idClasses);
      expect(b.modalitySets[0]).toEqual(['video', 'flow']);
      expect(b.fitSplit).toBe(d.fitSplit);
      expect(b.splits).toBe(1);
    }
    expect(benchmarkById('epic-kitchens-near')!.classNames).toEqual(['take', 'put', 'open', 'close']);
    expect(benchmarkById('kinetics600-far')!.fitSplit).toBe('val');
  });

  test('availability follows <dataDir>/multiood/<id>/manifest.json; load reads it and reports size warnings', async () => {
    const def = MULTIOOD_DEFINITIONS.find((d) => d.id === 'kinetics600-far')!;
    const warnings: string[] = [];
    const b = multioodBenchmark(def, { onWarning: (w) => warnings.push(w) });
    const dataDir = join(root, 'data');
    const before = b.availability(dataDir);
    expect(before.available).toBe(false);
    expect(before.hint).toContain(join(dataDir, 'multiood', 'kinetics600-far'));

    const dims = { video: 2304, flow: 2048 };
    await writeFeatureFolder(featureFolderPath(def, dataDir), {
      benchmark: def.id,
      data: { train: split(4, dims, 229), val: split(3, dims, 229), test: split(3, dims, 229), ood: new Map([['HMDB', split(2, dims)], ['UCF', split(2, dims)], ['HAC', split(2, dims)], ['EPIC', split(2, dims)]]) },
      modalities: def.modalities,
      backbone: 'test',
    });
    expect(b.availability(dataDir)).toEqual({ available: true });
    const data = await b.load({ modalities: ['video', 'flow'], dataDir });
    expect([...data.ood.keys()]).toEqual(['HMDB', 'UCF', 'HAC', 'EPIC']);
    expect(data.train.features.flow!.cols).toBe(2048);
    // Every split is smaller than the official one (7 warnings) and 225 classes have no training rows.
    expect(warnings.length).toBe(8);
    expect(warnings[0]).toMatch(/split train has 4 rows, the official split has 40048 \(40044 clips missing\)$/);
    expect(warnings.at(-1)).toMatch(/225 ID classes have no training rows/);
    await expect(b.load({ modalities: ['video', 'flow'], dataDir, split: 1 })).rejects.toThrow(/dataset split 1 does not exist/);
    await expect(b.load({ modalities: ['video', 'audio'], dataDir })).rejects.toThrow(/manifest\.json: field modalities: no "audio"/);
  });
});
