import { describe, expect, test } from 'bun:test';
import { fromRows, type Matrix } from '../linalg/matrix.ts';
import type { FitContext, SplitOutputs } from '../outputs.ts';
import { percentile, roundHalfEven } from '../percentile.ts';
import type { Scorer } from '../scorer.ts';
import { ash, ashBinarize } from './ash.ts';
import { energy } from './energy.ts';
import { gen } from './gen.ts';
import { maxlogit } from './maxlogit.ts';
import { msp } from './msp.ts';
import { react } from './react.ts';
import ref from './fixtures/posthoc_cases.json';

// Reference values: numpy/torch in float64 (fixtures/make_posthoc.py), written as the benchmark computes them.
const TOL = 1e-10;

const W = fromRows(ref.W);
const test_: SplitOutputs = { logits: fromRows(ref.test_logits), features: fromRows(ref.test_features) };
const val: SplitOutputs = { logits: fromRows(ref.test_logits), features: fromRows(ref.val_features) };
const ctx: FitContext = {
  fit: val,
  val,
  head: { weight: W, bias: Float64Array.from(ref.b) },
  modalities: ref.slices,
  numClasses: ref.b.length,
  cache: new Map(),
};

function scoreWith<S extends Record<string, unknown>>(scorer: Scorer<S>, overrides: Record<string, unknown> = {}) {
  return scorer.fit(ctx, scorer.settings.parse(overrides)).score(test_);
}

function expectClose(actual: Float64Array, expected: number[], tol = TOL) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]!))));
}

describe('logit scorers against numpy', () => {
  test('MSP (row 0 has logits x60: no overflow)', () => expectClose(scoreWith(msp).conf, ref.msp));
  test('Energy, T = 1', () => expectClose(scoreWith(energy).conf, ref.energy));
  test('Energy, T = 2 override', () => expectClose(scoreWith(energy, { temperature: 2 }).conf, ref.energy_t2));
  test('MaxLogit', () => expectClose(scoreWith(maxlogit).conf, ref.maxlogit));
  test('GEN, gamma 0.1 over all classes', () => expectClose(scoreWith(gen).conf, ref.gen));
  test('GEN, gamma 0.5 over the top 3', () => expectClose(scoreWith(gen, { gamma: 0.5, topM: 3 }).conf, ref.gen_m3_g05));
});

describe('feature-shaping scorers against numpy/torch', () => {
  test('ReAct: per-modality thresholds, energy and prediction of the re-applied head', () => {
    const r = scoreWith(react);
    expectClose(r.conf, ref.react);
    expect(Array.from(r.pred!)).toEqual(ref.react_pred);
  });
  test('ASH-B features equal the authors\' ash_b per slice (k = 4, 3, 2)', () => {
    const shaped: Matrix = ashBinarize(test_.features, ref.slices, 90);
    expectClose(shaped.data, ref.ash_features.flat());
  });
  test('ASH: energy and prediction of the re-applied head', () => {
    const r = scoreWith(ash);
    expectClose(r.conf, ref.ash);
    expect(Array.from(r.pred!)).toEqual(ref.ash_pred);
  });
  test('ASH keeps the lower index among ties at the cut-off and preserves the slice sum', () => {
    const f = fromRows([[1, 2, 2, 0]]);
    // n = 4, k = 4 - round(2.0) = 2: the 2 at index 1 and the first tie wins index 2 (values 2, 2).
    const shaped = ashBinarize(f, [{ name: 'x', start: 0, end: 4 }], 50);
    expect(Array.from(shaped.data)).toEqual([0, 2.5, 2.5, 0]);
    const tie = ashBinarize(fromRows([[3, 1, 1, 1]]), [{ name: 'x', start: 0, end: 4 }], 50);
    expect(Array.from(tie.data)).toEqual([3, 3, 0, 0]);
  });
  test('ASH refuses a percentile that keeps nothing', () => {
    expect(() => ashBinarize(fromRows([[1, 2]]), [{ name: 'x', start: 0, end: 2 }], 100)).toThrow(/keeps no entry/);
  });
});

describe('percentile helpers', () => {
  for (const c of ref.percentile_cases) {
    test(`numpy.percentile(${c.values.length} values, ${c.q}) bit for bit`, () => {
      expect(percentile(Float64Array.from(c.values), c.q)).toBe(c.expected);
    });
  }
  test('round half to even', () => {
    expect([0.5, 1.5, 2.5, 22.5, 2073.6, -0.5, -1.5].map(roundHalfEven)).toEqual([0, 2, 2, 22, 2074, -0, -2]);
  });
});
