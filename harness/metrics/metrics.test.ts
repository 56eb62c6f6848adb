import { describe, expect, test } from 'bun:test';
import { auc, binaryCounts, precisionRecallCurve, rocCurve, swappedCounts } from './curves.ts';
import { accuracy, oodMetrics } from './ood.ts';
import fixture from './fixtures/metrics_cases.json';

// Reference values: scikit-learn (see fixtures/make_metrics.py), exactly as OpenOOD computes them.
const TOL = 1e-12;

describe('oodMetrics against scikit-learn', () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      const m = oodMetrics(Float64Array.from(c.id), Float64Array.from(c.ood));
      expect(Math.abs(m.fpr95 - c.fpr95)).toBeLessThan(TOL);
      expect(Math.abs(m.auroc - c.auroc)).toBeLessThan(TOL);
      expect(Math.abs(m.auprIn - c.aupr_in)).toBeLessThan(TOL);
      expect(Math.abs(m.auprOut - c.aupr_out)).toBeLessThan(TOL);
    });
    test(`${c.name}: ROC points`, () => {
      const n = c.id.length + c.ood.length;
      const isOod = new Uint8Array(n).fill(1, c.id.length);
      const negConf = Float64Array.from([...c.id, ...c.ood], (v) => -v);
      const roc = rocCurve(isOod, negConf);
      expect(Array.from(roc.fpr)).toEqual(c.roc_fpr);
      expect(Array.from(roc.tpr)).toEqual(c.roc_tpr);
    });
  }
});

describe('hand-worked cases', () => {
  test('perfect separation: FPR95 0, AUROC 1, both AUPRs 1', () => {
    const m = oodMetrics(Float64Array.of(3, 4, 5), Float64Array.of(0, 1));
    expect(m).toEqual({ fpr95: 0, auroc: 1, auprIn: 1, auprOut: 1 });
  });

  test('inverted separation: FPR95 1, AUROC 0', () => {
    const m = oodMetrics(Float64Array.of(0, 1), Float64Array.of(3, 4, 5));
    expect(m.fpr95).toBe(1);
    expect(m.auroc).toBe(0);
  });

  test('constant scores collapse into one ROC point: AUROC 1/2, FPR95 1', () => {
    const m = oodMetrics(new Float64Array(4).fill(7), new Float64Array(3).fill(7));
    expect(m.auroc).toBe(0.5);
    expect(m.fpr95).toBe(1);
    // One PR point at the full set: precision = prevalence, plus sklearn's (recall 0, precision 1).
    expect(m.auprOut).toBeCloseTo(((3 / 7 + 1) / 2) * 1, 12);
  });

  test('FPR95 is the FPR at the first ROC point reaching 95% OOD recall, ties counted together', () => {
    // 20 OOD samples at conf 0..19 (low conf = OOD-like); half of the ID samples sit at 18.5.
    const ood = Float64Array.from({ length: 20 }, (_, i) => i);
    const id = Float64Array.of(18.5, 18.5, 18.5, 18.5, 18.5, 30, 30, 30, 30, 30);
    // Catching 19 of 20 OOD (95%) means flagging conf <= 18: no ID sample is flagged.
    expect(oodMetrics(id, ood).fpr95).toBe(0);
    // Move one ID sample below 18: it is flagged before 95% recall is reached.
    const id2 = Float64Array.of(17.5, 18.5, 18.5, 18.5, 18.5, 30, 30, 30, 30, 30);
    expect(oodMetrics(id2, ood).fpr95).toBeCloseTo(0.1, 15);
  });

  test('AUROC equals Mann-Whitney U with ties counted 1/2', () => {
    const id = Float64Array.of(1, 2, 2, 3, 5);
    const ood = Float64Array.of(0, 2, 2, 4);
    let u = 0;
    for (const a of id) for (const b of ood) u += a > b ? 1 : a === b ? 0.5 : 0;
    expect(oodMetrics(id, ood).auroc).toBeCloseTo(u / (id.length * ood.length), 14);
  });

  test('one OOD sample: recall jumps straight from 0 to 1', () => {
    const m = oodMetrics(Float64Array.of(1, 2, 3, 4), Float64Array.of(2.5));
    expect(m.fpr95).toBe(0.5);
    expect(m.auroc).toBe(0.5);
  });

  test('non-finite scores are refused', () => {
    expect(() => oodMetrics(Float64Array.of(1, NaN), Float64Array.of(0))).toThrow(/finite/);
    expect(() => oodMetrics(Float64Array.of(1), Float64Array.of(-Infinity))).toThrow(/finite/);
  });

  test('empty sets are refused', () => {
    expect(() => oodMetrics(new Float64Array(0), Float64Array.of(0))).toThrow(/no ID/);
    expect(() => oodMetrics(Float64Array.of(0), new Float64Array(0))).toThrow(/no OOD/);
  });

  test('auc handles decreasing x and refuses non-monotonic x', () => {
    expect(auc(Float64Array.of(1, 0.5, 0), Float64Array.of(1, 1, 1))).toBe(1);
    expect(() => auc(Float64Array.of(0, 1, 0.5), Float64Array.of(1, 1, 1))).toThrow(/neither/);
  });

  test('accuracy', () => {
    expect(accuracy(Int32Array.of(1, 2, 3, 4), Int32Array.of(1, 2, 0, 4))).toBe(0.75);
    expect(() => accuracy(Int32Array.of(1), Int32Array.of(1, 2))).toThrow(/1 predictions for 2 labels/);
  });
});

/** A seeded uniform [0, 1) stream (an LCG: the test data stay the same on every engine). */
function lcg(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** n scores on a few integer levels (times `scale`), so many tie, with zeros drawn as +0 or -0. */
function tiedScores(rand: () => number, n: number, scale: number): Float64Array {
  const levels = 1 + Math.floor(rand() * 8);
  return Float64Array.from({ length: n }, () => {
    const v = Math.floor(rand() * levels) - Math.floor(levels / 2);
    return v === 0 && rand() < 0.5 ? -0 : v * scale;
  });
}

describe('binaryCounts (two native sorts and a merge)', () => {
  /** The textbook definition: sort indices by decreasing score, close a point after each tie group. */
  function reference(isPositive: Uint8Array, score: Float64Array) {
    const order = Array.from(score.keys()).sort((a, b) => score[b]! - score[a]!);
    const fps: number[] = [];
    const tps: number[] = [];
    let tp = 0;
    order.forEach((i, r) => {
      tp += isPositive[i]!;
      if (r === order.length - 1 || score[order[r + 1]!]! !== score[i]!) {
        tps.push(tp);
        fps.push(r + 1 - tp);
      }
    });
    return { fps, tps };
  }

  test('equals the definition on random scores with many ties, ±0 and one-class inputs', () => {
    const rand = lcg(3);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 60);
      const score = tiedScores(rand, n, trial % 3 === 0 ? 0.1 : 1);
      const positives = trial % 10 === 0 ? 0 : trial % 10 === 1 ? 1 : 0.5;
      const isPositive = Uint8Array.from({ length: n }, () => (positives === 0.5 ? (rand() < 0.5 ? 1 : 0) : positives));
      const got = binaryCounts(isPositive, score);
      const want = reference(isPositive, score);
      expect(Array.from(got.fps)).toEqual(want.fps);
      expect(Array.from(got.tps)).toEqual(want.tps);
    }
  });

  test('swappedCounts equals counting the swapped problem (negatives positive, -score) afresh', () => {
    const rand = lcg(5);
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + Math.floor(rand() * 60);
      const score = tiedScores(rand, n, 0.3);
      const isPositive = Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0));
      const got = swappedCounts(binaryCounts(isPositive, score));
      const want = binaryCounts(isPositive.map((v) => 1 - v), score.map((v) => -v));
      expect(Array.from(got.fps)).toEqual(Array.from(want.fps));
      expect(Array.from(got.tps)).toEqual(Array.from(want.tps));
      // a tie group of ±0 may be represented by either zero (=== equal, as binaryCounts groups them)
      expect(Array.from(got.thresholds, (v) => v + 0)).toEqual(Array.from(want.thresholds, (v) => v + 0));
    }
  });

  test('oodMetrics (one sort, two passes, no curves built) is exactly the three curves built separately', () => {
    const rand = lcg(11);
    for (let trial = 0; trial < 120; trial++) {
      // the last 20 trials: thousands of scores, signed zeros among heavy ties
      const size = trial < 100 ? 80 : 3000;
      const nId = 1 + Math.floor(rand() * size);
      const nOod = 1 + Math.floor(rand() * size);
      const draw = () => (trial >= 100 ? (Math.floor(rand() * 5) - 2) * (rand() < 0.5 ? -1 : 1) * 0.25 : trial % 2 === 0 ? Math.floor(rand() * 6) - 3 : rand() * 4 - 2);
      const id = Float64Array.from({ length: nId }, () => draw() + 0.5);
      const ood = Float64Array.from({ length: nOod }, draw);
      const isOod = new Uint8Array(nId + nOod).fill(1, nId);
      const conf = Float64Array.from([...id, ...ood]);
      const negConf = conf.map((v) => -v);
      const roc = rocCurve(isOod, negConf);
      const prIn = precisionRecallCurve(isOod.map((v) => 1 - v), conf);
      const prOut = precisionRecallCurve(isOod, negConf);
      let at = roc.tpr.findIndex((t) => t >= 0.95);
      if (at < 0) at = 0;
      const m = oodMetrics(id, ood);
      expect(m.fpr95).toBe(roc.fpr[at]!);
      expect(m.auroc).toBe(auc(roc.fpr, roc.tpr));
      expect(m.auprIn).toBe(auc(prIn.recall, prIn.precision));
      expect(m.auprOut).toBe(auc(prOut.recall, prOut.precision));
    }
  });

  test('thresholds are the distinct scores, highest first', () => {
    const got = binaryCounts(Uint8Array.from([1, 0, 1, 0, 0]), Float64Array.from([0.5, 2, 0.5, -1, 2]));
    expect(Array.from(got.thresholds)).toEqual([2, 0.5, -1]);
    expect(Array.from(got.tps)).toEqual([0, 2, 2]);
    expect(Array.from(got.fps)).toEqual([2, 2, 3]);
  });
});
