import { describe, expect, test } from 'bun:test';
import { Random } from '../random.ts';
import { ClassQueues, npmixOutliers } from './npmix.ts';
import { choleskyLower, mixupOutliers, synthesizeOutliers, tiedGaussian, vosOutliers } from './outlier-synthesis.ts';

/** Queues with `perClass` rows per listed class drawn from N(centre_c, diag(scales^2)). */
function gaussianQueues(centres: (number[] | null)[], scales: number[], perClass: number, rng: Random, capacity = 65): ClassQueues {
  const dim = scales.length;
  const q = new ClassQueues(centres.length, dim, capacity);
  centres.forEach((mu, c) => {
    if (mu === null) return;
    const rows = new Float32Array(perClass * dim);
    for (let r = 0; r < perClass; r++) for (let d = 0; d < dim; d++) rows[r * dim + d] = mu[d]! + scales[d]! * rng.normal();
    q.push(rows, new Int32Array(perClass).fill(c));
  });
  return q;
}

/** (x - mu)^T S^{-1} (x - mu) by Gaussian elimination with partial pivoting (independent of Cholesky). */
function mahalanobis2(x: ArrayLike<number>, mu: ArrayLike<number>, s: Float64Array, n: number): number {
  const a = Array.from({ length: n }, (_, i) => [...Array.from(s.subarray(i * n, (i + 1) * n)), x[i]! - mu[i]!]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k <= n; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let v = a[r]![n]!;
    for (let k = r + 1; k < n; k++) v -= a[r]![k]! * y[k]!;
    y[r] = v / a[r]![r]!;
  }
  let q = 0;
  for (let i = 0; i < n; i++) q += (x[i]! - mu[i]!) * y[i]!;
  return q;
}

const LINE = [0, 1, 3, 7, 12, 20];

describe('mixup ablation', () => {
  test('random partner classes (not only the nearest), one outlier per non-empty class, Beta(10, 10) lambdas', () => {
    const rng = new Random(21);
    const q = gaussianQueues([...LINE.map((x) => [x, 0]), null], [0.1, 0.1], 8, rng);
    const partners = LINE.map(() => new Map<number, number>());
    const lambdas: number[] = [];
    for (let step = 0; step < 600; step++) {
      const r = mixupOutliers(q, rng);
      expect(r.count).toBe(6);
      expect(r.outliers.length).toBe(12);
      r.pairs.forEach(([c, s], i) => {
        expect(c).toBe(i);
        expect(s).not.toBe(c);
        expect(s).toBeLessThan(6); // never the empty class 6
        partners[c]!.set(s, (partners[c]!.get(s) ?? 0) + 1);
      });
      lambdas.push(...r.lambdas);
    }
    // uniform over the 5 others: 120 each of 600
    for (const m of partners) {
      expect(m.size).toBe(5);
      for (const n of m.values()) expect(Math.abs(n - 120)).toBeLessThan(45);
    }
    for (const l of lambdas) expect(l > 0 && l < 1).toBe(true);
    const mean = lambdas.reduce((a, b) => a + b, 0) / lambdas.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
  });

  test('fewer than two classes: nothing', () => {
    const rng = new Random(22);
    expect(mixupOutliers(gaussianQueues([null, [1, 1]], [1, 1], 3, rng), rng).count).toBe(0);
    expect(synthesizeOutliers('mixup', new ClassQueues(3, 2), rng).count).toBe(0);
  });
});

describe('VOS ablation', () => {
  test('tiedGaussian: class means and the pooled covariance (divided by N) + ridge', () => {
    const rng = new Random(23);
    const dim = 3;
    const q = gaussianQueues([[0, 0, 0], null, [5, -1, 2], [1, 1, 1]], [1, 2, 0.5], 7, rng);
    const { classes, means, covariance } = tiedGaussian(q, 1e-4);
    expect(classes).toEqual([0, 2, 3]);
    const want = new Float64Array(dim * dim);
    let n = 0;
    classes.forEach((c, ci) => {
      const rows = q.rows(c);
      const k = rows.length / dim;
      const mu = [0, 1, 2].map((d) => {
        let s = 0;
        for (let r = 0; r < k; r++) s += rows[r * dim + d]!;
        return s / k;
      });
      for (let d = 0; d < dim; d++) expect(means[ci * dim + d]!).toBeCloseTo(mu[d]!, 10);
      for (let r = 0; r < k; r++) {
        for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) want[a * dim + b]! += (rows[r * dim + a]! - mu[a]!) * (rows[r * dim + b]! - mu[b]!);
      }
      n += k;
    });
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        expect(covariance[a * dim + b]!).toBeCloseTo(want[a * dim + b]! / n + (a === b ? 1e-4 : 0), 10);
      }
    }
  });

  test('choleskyLower: L L^T reproduces the matrix; indefinite matrices throw', () => {
    const rng = new Random(24);
    const n = 5;
    const a = Array.from({ length: n * n }, () => rng.normal());
    const s = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) s[i * n + j]! += a[i * n + k]! * a[j * n + k]!;
    for (let i = 0; i < n; i++) s[i * n + i]! += 0.1;
    const l = choleskyLower(s, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j > i) expect(l[i * n + j]).toBe(0);
        let v = 0;
        for (let k = 0; k < n; k++) v += l[i * n + k]! * l[j * n + k]!;
        expect(v).toBeCloseTo(s[i * n + j]!, 10);
      }
    }
    expect(() => choleskyLower(new Float64Array([1, 2, 2, 1]), 2)).toThrow(/positive definite/);
  });

  test("'explicit' keeps the least likely of the candidates (replayed, likelihood by an independent solve)", () => {
    const rng0 = new Random(25);
    const dim = 3;
    const q = gaussianQueues([[0, 0, 0], [4, 4, 0], [-3, 1, 2]], [1, 0.5, 2], 10, rng0);
    const candidates = 40;
    const r = vosOutliers(q, new Random(99), { vosSampler: 'explicit', vosCandidates: candidates });
    expect(r.count).toBe(3);
    expect(r.classes).toEqual([0, 1, 2]);
    // replay the stream: per class, `candidates` draws of `dim` normals, candidate = mu + L z
    const { means, covariance } = tiedGaussian(q);
    const l = choleskyLower(covariance, dim);
    const replay = new Random(99);
    for (let ci = 0; ci < 3; ci++) {
      const mu = means.subarray(ci * dim, (ci + 1) * dim);
      let best = -Infinity;
      let bestX: number[] = [];
      for (let t = 0; t < candidates; t++) {
        const z = Array.from({ length: dim }, () => replay.normal());
        const x = [0, 1, 2].map((a) => mu[a]! + [0, 1, 2].reduce((s, b) => s + (b <= a ? l[a * dim + b]! * z[b]! : 0), 0));
        const m2 = mahalanobis2(x, mu, covariance, dim); // log density = const - m2 / 2
        if (m2 > best) {
          best = m2;
          bestX = x;
        }
      }
      const got = r.outliers.subarray(ci * dim, (ci + 1) * dim);
      for (let a = 0; a < dim; a++) expect(got[a]!).toBeCloseTo(bestX[a]!, 4);
      expect(r.mahalanobis2[ci]!).toBeCloseTo(best, 6);
    }
  });

  test("'radial' matches 'explicit' in distribution; the reported Mahalanobis distance is the outlier's", () => {
    const dim = 4;
    const q = gaussianQueues([[0, 0, 0, 0], [3, 0, 1, 0], [0, -2, 0, 2]], [1, 0.7, 1.5, 0.4], 20, new Random(26));
    const { means, covariance } = tiedGaussian(q);
    const stats = (sampler: 'radial' | 'explicit') => {
      const rng = new Random(sampler === 'radial' ? 1 : 2);
      const m2: number[] = [];
      const dir = new Array<number>(dim).fill(0);
      for (let step = 0; step < 500; step++) {
        const r = vosOutliers(q, rng, { vosSampler: sampler, vosCandidates: 30 });
        r.mahalanobis2.forEach((v, ci) => {
          const x = r.outliers.subarray(ci * dim, (ci + 1) * dim);
          const mu = means.subarray(ci * dim, (ci + 1) * dim);
          // float32 outliers: the independent value agrees to ~1e-5 relative
          expect(Math.abs(mahalanobis2(x, mu, covariance, dim) - v)).toBeLessThan(1e-4 * v);
          m2.push(v);
          for (let d = 0; d < dim; d++) dir[d]! += (x[d]! - mu[d]!) / Math.sqrt(v);
        });
      }
      const mean = m2.reduce((a, b) => a + b, 0) / m2.length;
      return { mean, sd: Math.sqrt(m2.reduce((a, b) => a + (b - mean) ** 2, 0) / m2.length), n: m2.length, dir: dir.map((v) => v / m2.length) };
    };
    const a = stats('radial');
    const b = stats('explicit');
    // E[max of 30 chi2_4] ~ 12.3; means agree within ~4 standard errors
    const se = Math.hypot(a.sd / Math.sqrt(a.n), b.sd / Math.sqrt(b.n));
    expect(Math.abs(a.mean - b.mean)).toBeLessThan(4 * se);
    expect(a.mean).toBeGreaterThan(10);
    expect(a.mean).toBeLessThan(15);
    expect(Math.abs(a.sd - b.sd)).toBeLessThan(0.15 * b.sd);
    // no preferred direction
    for (const v of a.dir) expect(Math.abs(v)).toBeLessThan(0.1);
  });

  test('one outlier per non-empty class, in the tails, deterministic, single class allowed', () => {
    const dim = 4;
    const q = gaussianQueues([[0, 0, 0, 0], null, [2, 2, 2, 2], [5, 0, 0, 0]], [1, 1, 1, 1], 65, new Random(27));
    const a = synthesizeOutliers('vos', q, new Random(3));
    const b = synthesizeOutliers('vos', q, new Random(3));
    expect(a.count).toBe(3);
    expect(a.classes).toEqual([0, 2, 3]);
    expect(a.outliers.length).toBe(3 * dim);
    expect(Array.from(b.outliers)).toEqual(Array.from(a.outliers));
    // the least likely of 1000 draws lies beyond the chi2_4 95% quantile (9.49) with certainty
    for (const m2 of vosOutliers(q, new Random(4)).mahalanobis2) expect(m2).toBeGreaterThan(9.49);
    const one = gaussianQueues([null, [1, 2, 3, 4]], [1, 1, 1, 1], 5, new Random(28));
    expect(synthesizeOutliers('vos', one, new Random(5)).count).toBe(1);
    expect(synthesizeOutliers('vos', new ClassQueues(2, 3), new Random(5)).count).toBe(0);
  });

  test('rank-deficient queues (fewer rows than dimensions) are handled by the ridge', () => {
    const q = gaussianQueues([[0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]], new Array(8).fill(1), 2, new Random(29));
    const r = vosOutliers(q, new Random(6));
    expect(r.count).toBe(2);
    for (const v of r.outliers) expect(Number.isFinite(v)).toBe(true);
  });

  test('option errors', () => {
    const q = gaussianQueues([[0]], [1], 3, new Random(1));
    expect(() => vosOutliers(q, new Random(1), { vosCandidates: 0 })).toThrow(/vosCandidates/);
    expect(() => vosOutliers(q, new Random(1), { vosRidge: -1 })).toThrow(/vosRidge/);
  });
});

describe('synthesizeOutliers', () => {
  test("'npmix' and 'mixup' are npmixOutliers and mixupOutliers on the same stream", () => {
    const q = gaussianQueues(LINE.map((x) => [x, 1, -x]), [0.2, 0.2, 0.2], 10, new Random(30));
    const viaN = synthesizeOutliers('npmix', q, new Random(7), { k: 3, alpha: 10 });
    const direct = npmixOutliers(q, new Random(7));
    expect(Array.from(viaN.outliers)).toEqual(Array.from(direct.outliers));
    expect(viaN.count).toBe(direct.count);
    expect(viaN.classes).toEqual(direct.pairs.map((p) => p[0]));
    const viaM = synthesizeOutliers('mixup', q, new Random(8));
    expect(Array.from(viaM.outliers)).toEqual(Array.from(mixupOutliers(q, new Random(8)).outliers));
    expect(() => synthesizeOutliers('gan' as never, q, new Random(1))).toThrow(/unknown/);
  });
});
