import { describe, expect, test } from 'bun:test';
import { percentile } from '../percentile.ts';
import { percentileBySelection, selectInPlace } from './select.ts';

/** xorshift32 draws; `levels` > 0 quantises them to force many ties. */
function draws(n: number, seed: number, levels = 0): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const u = s / 2 ** 32 - 0.3;
    out[i] = levels > 0 ? Math.round(u * levels) / levels : u;
  }
  return out;
}

describe('selection equals sorting', () => {
  const sizes = [1, 2, 3, 16, 17, 18, 100, 1001, 20000];
  for (const n of sizes) {
    test(`every probed rank, n = ${n}, distinct and tied values`, () => {
      for (const levels of [0, 7]) {
        const x = draws(n, n * 31 + levels, levels);
        const sorted = x.slice().sort();
        const ranks = new Set([0, n - 1, n >> 1, Math.floor(n * 0.9), Math.max(0, n - 2)]);
        for (const k of ranks) expect(selectInPlace(x.slice(), k)).toBe(sorted[k]!);
      }
    });
  }

  test('numpy.percentile semantics: identical to the sort-based percentile()', () => {
    for (const n of [1, 2, 5, 10, 999, 50000]) {
      for (const levels of [0, 3, 1000]) {
        const x = draws(n, n + levels, levels);
        for (const q of [0, 1, 10, 37.5, 50, 90, 99.9, 100]) {
          expect(percentileBySelection(x.slice(), q)).toBe(percentile(x, q));
        }
      }
    }
    // sorted, reversed and constant inputs (pivot worst cases for a naive quickselect)
    const ramp = Float64Array.from({ length: 5000 }, (_, i) => i);
    const rev = ramp.slice().reverse();
    const flat = new Float64Array(5000).fill(2.5);
    for (const x of [ramp, rev, flat]) expect(percentileBySelection(x.slice(), 90)).toBe(percentile(x, 90));
  });

  test('argument checks', () => {
    expect(() => percentileBySelection(new Float64Array(0), 50)).toThrow(/no values/);
    expect(() => percentileBySelection(Float64Array.from([1, Number.NaN]), 50)).toThrow(/NaN/);
    expect(() => percentileBySelection(Float64Array.from([1]), 101)).toThrow(/\[0, 100\]/);
  });
});

describe('ASH-B by selection equals the sort-based binarisation', () => {
  /** The previous implementation: sort each slice, cut-off at rank n - k, ties kept by lower index. */
  function ashBySort(data: Float64Array, cols: number, slices: { start: number; end: number }[], pct: number): Float64Array {
    const out = new Float64Array(data.length);
    for (const s of slices) {
      const n = s.end - s.start;
      const k = n - Math.round((n * pct) / 100);
      for (let i = 0; i < data.length / cols; i++) {
        const base = i * cols + s.start;
        const values = data.subarray(base, base + n);
        let sum = 0;
        for (const v of values) sum += v;
        const sorted = values.slice().sort();
        const cutoff = sorted[n - k]!;
        let above = 0;
        for (let j = n - k; j < n; j++) if (sorted[j]! > cutoff) above++;
        let ties = k - above;
        for (let j = 0; j < n; j++) {
          const v = values[j]!;
          if (v > cutoff || (v === cutoff && ties-- > 0)) out[base + j] = sum / k;
        }
      }
    }
    return out;
  }
  test('random rows with many ties and signed zeros', async () => {
    const { ashBinarize } = await import('./ash.ts');
    const cols = 70;
    const rows = 40;
    const data = draws(rows * cols, 5, 4); // quantised: ties and -0 / +0
    const slices = [{ name: 'a', start: 0, end: 30 }, { name: 'b', start: 30, end: 70 }];
    const got = ashBinarize({ rows, cols, data }, slices, 90).data;
    const want = ashBySort(data, cols, slices, 90);
    for (let i = 0; i < got.length; i++) expect(Object.is(got[i], want[i])).toBe(true);
  });
});

describe('ASH-B logits without the dense shaped matrix', () => {
  test('ashLogits = applyHead(ashBinarize(...)) up to rounding, ties and signed zeros included', async () => {
    const { ashBinarize, ashLogits } = await import('./ash.ts');
    const { applyHead } = await import('../logits.ts');
    const cols = 90;
    const rows = 50;
    const data = draws(rows * cols, 9, 6);
    const features = { rows, cols, data };
    const weight = { rows: 7, cols, data: draws(7 * cols, 10) };
    const head = { weight, bias: draws(7, 11) };
    const slices = [{ name: 'a', start: 0, end: 41 }, { name: 'b', start: 41, end: 90 }];
    for (const pct of [90, 50, 0]) {
      const dense = applyHead(ashBinarize(features, slices, pct), head).data;
      const sparse = ashLogits(features, slices, pct, head).data;
      for (let i = 0; i < dense.length; i++) expect(Math.abs(sparse[i]! - dense[i]!)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(dense[i]!)));
    }
  });
});
