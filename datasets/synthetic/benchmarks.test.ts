import { describe, expect, test } from 'bun:test';
import type { FloatMatrix } from '../../methods/linalg/matrix.ts';
import type { SplitData } from '../benchmark.ts';
import { benchmarkById, BENCHMARKS } from '../registry.ts';

/** Nearest-class-mean log-likelihoods of one modality: a model-free probe of the generated evidence. */
function classLogLik(train: SplitData, modality: string, numClasses: number) {
  const x = train.features[modality]!;
  const d = x.cols;
  const means = Array.from({ length: numClasses }, () => new Float64Array(d));
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < x.rows; i++) {
    const c = train.labels![i]!;
    counts[c]!++;
    for (let j = 0; j < d; j++) means[c]![j]! += x.data[i * d + j]!;
  }
  means.forEach((m, c) => m.forEach((_, j) => (m[j]! /= counts[c]!)));
  return (m: FloatMatrix, i: number) => means.map((mu) => -mu.reduce((s, v, j) => s + (m.data[i * d + j]! - v) ** 2, 0) / 2);
}

const softmax = (v: number[]) => {
  const max = Math.max(...v);
  const e = v.map((x) => Math.exp(x - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

describe('synthetic benchmarks', () => {
  test('registry holds a Near-OOD (2 modalities) and a Far-OOD (3 modalities, 3 OOD sets) benchmark', async () => {
    const near = benchmarkById('synthetic-near')!;
    const far = benchmarkById('synthetic-far')!;
    expect(near.setting).toBe('near');
    expect(far.setting).toBe('far');
    expect(near.modalities.length).toBe(2);
    expect(far.modalities.length).toBe(3);
    const data = await far.load({ modalities: far.modalitySets[0]! });
    expect([...data.ood.keys()]).toEqual(['hard', 'medium', 'easy']);
  });

  for (const b of BENCHMARKS.filter((x) => x.id.startsWith('synthetic-'))) {
    test(`${b.id}: shapes, balanced labels, deterministic`, async () => {
      const names = b.modalities.map((m) => m.name);
      const a = await b.load({ modalities: names });
      const again = await b.load({ modalities: names });
      for (const m of b.modalities) {
        expect(a.train.features[m.name]!.cols).toBe(m.dim);
        expect(a.train.features[m.name]!.data).toEqual(again.train.features[m.name]!.data);
      }
      const counts = new Array<number>(b.classNames.length).fill(0);
      for (const y of a.train.labels!) counts[y]!++;
      expect(new Set(counts).size).toBe(1);
      for (const s of a.ood.values()) expect(s.labels).toBeUndefined();
    });

    test(`${b.id}: each modality alone is imperfect, fusion helps, modalities disagree more on OOD`, async () => {
      const names = b.modalities.map((m) => m.name);
      const data = await b.load({ modalities: names });
      const c = b.classNames.length;
      const probes = names.map((m) => classLogLik(data.train, m, c));
      const evaluate = (split: SplitData) => {
        const n = split.features[names[0]!]!.rows;
        const correct = new Array<number>(names.length + 1).fill(0);
        let discrepancy = 0;
        for (let i = 0; i < n; i++) {
          const ll = names.map((m, k) => probes[k]!(split.features[m]!, i));
          const fused = ll[0]!.map((_, cls) => ll.reduce((s, l) => s + l[cls]!, 0));
          [...ll, fused].forEach((l, k) => {
            if (split.labels && l.indexOf(Math.max(...l)) === split.labels[i]) correct[k]!++;
          });
          const p = ll.map(softmax);
          let pairs = 0;
          let sum = 0;
          for (let x = 0; x < p.length; x++) for (let y = x + 1; y < p.length; y++, pairs++) sum += p[x]!.reduce((s, v, j) => s + Math.abs(v - p[y]![j]!), 0);
          discrepancy += sum / pairs / n;
        }
        return { acc: correct.map((k) => k / n), discrepancy };
      };
      const id = evaluate(data.test);
      const unimodal = id.acc.slice(0, -1);
      const fused = id.acc.at(-1)!;
      expect(Math.max(...unimodal)).toBeLessThan(0.95);
      expect(fused).toBeGreaterThan(Math.max(...unimodal));
      for (const ood of data.ood.values()) expect(evaluate(ood).discrepancy).toBeGreaterThan(id.discrepancy * 1.3);
    });
  }

  test('dataset splits re-draw the ID classes; an unknown split or modality is refused', async () => {
    const b = benchmarkById('synthetic-near')!;
    const s0 = await b.load({ modalities: ['video'], split: 0 });
    const s1 = await b.load({ modalities: ['video'], split: 1 });
    expect(s0.train.features.video!.data).not.toEqual(s1.train.features.video!.data);
    await expect(b.load({ modalities: ['video'], split: 9 })).rejects.toThrow(/split 9 does not exist/);
    await expect(b.load({ modalities: ['depth'] })).rejects.toThrow(/no modality "depth"/);
  });
});
