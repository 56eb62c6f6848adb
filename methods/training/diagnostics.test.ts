import { describe, expect, test } from 'bun:test';
import { fromRows } from '../linalg/matrix.ts';
import { predictionDiscrepancy } from './diagnostics.ts';

describe('predictionDiscrepancy', () => {
  test('mean over samples of the L1 distance between the two modalities\' softmaxes', () => {
    const a = fromRows([[0, 0], [10, -10]]);
    const b = fromRows([[0, 0], [-10, 10]]);
    // sample 1: identical predictions (0); sample 2: nearly opposite one-hots (~2)
    const s = 1 / (1 + Math.exp(-20));
    expect(predictionDiscrepancy([a, b])).toBeCloseTo((0 + 2 * Math.abs(s - (1 - s)) ) / 2, 12);
  });

  test('three modalities: the average over the three pairs; shift invariance of logits', () => {
    const a = fromRows([[1, 2, 3]]);
    const b = fromRows([[3, 2, 1]]);
    const c = fromRows([[101, 102, 103]]); // same softmax as a
    const p = (m: number[]) => { const e = m.map(Math.exp); const z = e.reduce((x, y) => x + y); return e.map((v) => v / z); };
    const l1 = (x: number[], y: number[]) => x.reduce((s, v, i) => s + Math.abs(v - y[i]!), 0);
    const [pa, pb] = [p([1, 2, 3]), p([3, 2, 1])];
    expect(predictionDiscrepancy([a, b, c])).toBeCloseTo((l1(pa, pb) + 0 + l1(pb, pa)) / 3, 12);
  });

  test('NaN with fewer than two modalities or no rows; shape mismatch throws', () => {
    expect(predictionDiscrepancy([fromRows([[1, 2]])])).toBeNaN();
    expect(() => predictionDiscrepancy([fromRows([[1, 2]]), fromRows([[1, 2, 3]])])).toThrow('differ');
  });
});
