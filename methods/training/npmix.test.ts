import { describe, expect, test } from 'bun:test';
import { Random } from '../random.ts';
import { ClassQueues, nearestPrototypes, npmixOutliers } from './npmix.ts';

/** Queues whose class c holds rows pos_c +- jitter in pairs, so the prototype is exactly pos_c. */
function queuesAt(positions: (number[] | null)[], perClass: number, rng: Random, capacity = 65): ClassQueues {
  const dim = positions.find((p) => p !== null)!.length;
  const q = new ClassQueues(positions.length, dim, capacity);
  positions.forEach((pos, c) => {
    if (pos === null) return;
    for (let i = 0; i < perClass / 2; i++) {
      const e = pos.map(() => Math.fround(rng.normal() * 0.05));
      // +e and -e around a float32 position: the float64 mean is the position exactly
      const rows = new Float32Array([...pos.map((v, d) => v + e[d]!), ...pos.map((v, d) => v - e[d]!)]);
      q.push(rows, new Int32Array([c, c]));
    }
  });
  return q;
}

const LINE = [0, 1, 3, 7, 12, 20]; // gaps 1, 2, 4, 5, 8: no distance ties

/** The two nearest other positions on LINE, by hand (index -> indices, nearest first). */
const TWO_NEAREST: Record<number, number[]> = {
  0: [1, 2], //  0 -> 1 (1), 3 (3);   next 7 (7)
  1: [0, 2], //  1 -> 0 (1), 3 (2);   next 7 (6)
  2: [1, 0], //  3 -> 1 (2), 0 (3);   next 7 (4)
  3: [2, 4], //  7 -> 3 (4), 12 (5);  next 1 (6)
  4: [3, 5], // 12 -> 7 (5), 20 (8);  next 3 (9)
  5: [4, 3], // 20 -> 12 (8), 7 (13); next 3 (17)
};

describe('ClassQueues', () => {
  test('FIFO of the last 65 rows per class: eviction after 65 pushes, oldest first', () => {
    const q = new ClassQueues(3, 2);
    expect(q.capacity).toBe(65);
    // 70 rows of class 1 (value i) interleaved with class 0 rows, pushed in uneven batches
    let next = 0;
    for (const batch of [1, 16, 16, 7, 30]) {
      const emb: number[] = [];
      const lab: number[] = [];
      for (let b = 0; b < batch; b++) {
        emb.push(next, -next, 1000 + next, 0);
        lab.push(1, 0);
        next++;
      }
      q.push(new Float32Array(emb), new Int32Array(lab));
      expect(q.size(1)).toBe(Math.min(next, 65));
      expect(q.isFull(1)).toBe(next >= 65);
    }
    expect(next).toBe(70);
    expect(q.size(1)).toBe(65);
    expect(q.size(0)).toBe(65);
    expect(q.size(2)).toBe(0);
    expect(q.allFull()).toBe(false);
    const rows = q.rows(1);
    for (let i = 0; i < 65; i++) {
      expect(rows[2 * i]).toBe(i + 5); // rows 0..4 evicted
      expect(rows[2 * i + 1]).toBe(-(i + 5));
    }
    expect(Array.from(q.row(1, 0))).toEqual([5, -5]);
    expect(Array.from(q.row(1, 64))).toEqual([69, -69]);
    expect(Array.from(q.row(0, 0))).toEqual([1005, 0]);
    // prototypes: mean of 5..69 = 37 for class 1, of 1005..1069 = 1037 for class 0; class 2 absent
    const { classes, means } = q.prototypes();
    expect(classes).toEqual([0, 1]);
    expect(Array.from(means)).toEqual([1037, 0, 37, -37]);
    // a 66th..: keeps evicting one at a time
    q.push(new Float32Array([70, -70]), new Int32Array([1]));
    expect(Array.from(q.row(1, 0))).toEqual([6, -6]);
    expect(Array.from(q.row(1, 64))).toEqual([70, -70]);
    q.push(new Float32Array([0, 0]), new Int32Array([2]));
    expect(q.prototypes().classes).toEqual([0, 1, 2]);
    q.clear();
    expect([q.size(0), q.size(1), q.size(2)]).toEqual([0, 0, 0]);
    expect(q.prototypes().classes).toEqual([]);
  });

  test('allFull once every class holds capacity rows', () => {
    const q = new ClassQueues(2, 1, 3);
    q.push(new Float32Array([1, 2, 3]), new Int32Array([0, 0, 0]));
    expect(q.allFull()).toBe(false);
    q.push(new Float32Array([4, 5, 6, 7]), new Int32Array([1, 1, 1, 0]));
    expect(q.allFull()).toBe(true);
    expect(Array.from(q.rows(0))).toEqual([2, 3, 7]);
  });

  test('sample draws uniformly among the queued rows (a copy)', () => {
    const q = new ClassQueues(1, 1, 4);
    q.push(new Float32Array([10, 11, 12, 13, 14, 15]), new Int32Array(6)); // keeps 12..15
    const rng = new Random(5);
    const counts = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const s = q.sample(0, rng);
      counts.set(s[0]!, (counts.get(s[0]!) ?? 0) + 1);
      s[0] = -1; // must not write through
    }
    expect([...counts.keys()].sort()).toEqual([12, 13, 14, 15]);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  test('input errors', () => {
    const q = new ClassQueues(3, 2);
    expect(() => q.push(new Float32Array(3), new Int32Array([0, 1]))).toThrow(/values/);
    expect(() => q.push(new Float32Array(2), new Int32Array([3]))).toThrow(/class 3/);
    expect(() => q.sample(0, new Random(1))).toThrow(/no queued/);
    expect(() => new ClassQueues(0, 2)).toThrow(/numClasses/);
    expect(() => q.row(0, 0)).toThrow(/index/);
  });
});

describe('nearestPrototypes', () => {
  test('the k nearest others by Euclidean distance, nearest first', () => {
    const means = new Float32Array(LINE.flatMap((x) => [x, 0]));
    for (let c = 0; c < LINE.length; c++) expect(nearestPrototypes(means, 2, c, 2)).toEqual(TWO_NEAREST[c]!);
    expect(nearestPrototypes(means, 2, 0, 10)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('npmixOutliers', () => {
  test('the neighbour is always one of the 2 nearest prototypes, both are used, and the outlier is the mix', () => {
    const rng = new Random(11);
    // LINE along a diagonal in 3-D
    const pos = LINE.map((x) => [x, 2 * x, -x].map(Math.fround));
    const q = queuesAt(pos, 10, rng);
    const chosen = LINE.map(() => new Map<number, number>());
    for (let step = 0; step < 400; step++) {
      const r = npmixOutliers(q, rng);
      expect(r.count).toBe(LINE.length);
      expect(r.outliers.length).toBe(LINE.length * 3);
      r.pairs.forEach(([c, s], i) => {
        expect(c).toBe(i);
        expect(TWO_NEAREST[c]!).toContain(s);
        chosen[c]!.set(s, (chosen[c]!.get(s) ?? 0) + 1);
        // outlier = lambda z_c + (1 - lambda) z_s for some queued z_c of c and z_s of s
        const lam = r.lambdas[i]!;
        const out = r.outliers.subarray(i * 3, i * 3 + 3);
        const rc = q.rows(c);
        const rs = q.rows(s);
        let found = false;
        for (let a = 0; a < q.size(c) && !found; a++) {
          for (let b = 0; b < q.size(s) && !found; b++) {
            let ok = true;
            for (let d = 0; d < 3; d++) {
              const want = lam * rc[a * 3 + d]! + (1 - lam) * rs[b * 3 + d]!;
              if (Math.abs(out[d]! - want) > 1e-5 * (1 + Math.abs(want))) ok = false;
            }
            found = ok;
          }
        }
        expect(found).toBe(true);
      });
    }
    // the neighbour is drawn uniformly from the two: ~200 each of 400
    for (const m of chosen) {
      expect(m.size).toBe(2);
      for (const n of m.values()) expect(Math.abs(n - 200)).toBeLessThan(50);
    }
  });

  test('k = 2 always takes the single nearest prototype; k larger than the classes uses them all', () => {
    const rng = new Random(12);
    const q = queuesAt(LINE.map((x) => [x]), 4, rng);
    for (let step = 0; step < 50; step++) {
      for (const [c, s] of npmixOutliers(q, rng, { k: 2 }).pairs) expect(s).toBe(TWO_NEAREST[c]![0]!);
    }
    const seen = new Set<number>();
    for (let step = 0; step < 300; step++) for (const [c, s] of npmixOutliers(q, rng, { k: 99 }).pairs) if (c === 0) seen.add(s);
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  test('lambda ~ Beta(10, 10): inside (0, 1), mean 0.5, variance 1/84', () => {
    const rng = new Random(13);
    const q = queuesAt(LINE.map((x) => [x, 1]), 6, rng);
    const lambdas: number[] = [];
    for (let step = 0; step < 1000; step++) lambdas.push(...npmixOutliers(q, rng).lambdas);
    expect(lambdas.length).toBe(6000);
    for (const l of lambdas) expect(l > 0 && l < 1).toBe(true);
    const mean = lambdas.reduce((a, b) => a + b, 0) / lambdas.length;
    const variance = lambdas.reduce((a, b) => a + (b - mean) ** 2, 0) / lambdas.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.007); // SE 0.0014
    expect(Math.abs(variance - 1 / 84)).toBeLessThan(0.001);
    // a different alpha takes effect: Beta(1, 1) is uniform, variance 1/12
    const u: number[] = [];
    for (let step = 0; step < 500; step++) u.push(...npmixOutliers(q, rng, { alpha: 1 }).lambdas);
    const mu = u.reduce((a, b) => a + b, 0) / u.length;
    expect(Math.abs(u.reduce((a, b) => a + (b - mu) ** 2, 0) / u.length - 1 / 12)).toBeLessThan(0.006);
  });

  test('exactly one outlier per non-empty class; empty classes are skipped', () => {
    const rng = new Random(14);
    const pos: (number[] | null)[] = [[0, 0], null, [5, 5], [1, -2], null, [9, 0], [-3, 4], null];
    const q = queuesAt(pos, 8, rng);
    const r = npmixOutliers(q, rng);
    expect(r.count).toBe(5);
    expect(r.outliers.length).toBe(5 * 2);
    expect(r.lambdas.length).toBe(5);
    expect(r.pairs.map((p) => p[0])).toEqual([0, 2, 3, 5, 6]);
    for (const [c, s] of r.pairs) {
      expect(s).not.toBe(c);
      expect(pos[s]).not.toBeNull();
    }
  });

  test('few classes: two classes mix with each other, one or none make nothing', () => {
    const rng = new Random(15);
    const two = queuesAt([[0], null, [4]], 4, rng);
    expect(npmixOutliers(two, rng).pairs).toEqual([[0, 2], [2, 0]]);
    const one = queuesAt([null, [1]], 4, rng);
    const r1 = npmixOutliers(one, rng);
    expect(r1.count).toBe(0);
    expect(r1.outliers.length).toBe(0);
    expect(npmixOutliers(new ClassQueues(4, 3), rng).count).toBe(0);
  });

  test('deterministic for a seed; another seed differs', () => {
    const q = queuesAt(LINE.map((x) => [x, -x, 0.5 * x]), 10, new Random(16));
    const run = (seed: number) => {
      const rng = new Random(seed);
      return [0, 1, 2].map(() => npmixOutliers(q, rng));
    };
    const a = run(1);
    const b = run(1);
    const c = run(2);
    expect(b.map((r) => Array.from(r.outliers))).toEqual(a.map((r) => Array.from(r.outliers)));
    expect(b.map((r) => r.pairs)).toEqual(a.map((r) => r.pairs));
    expect(b.map((r) => r.lambdas)).toEqual(a.map((r) => r.lambdas));
    expect(c.map((r) => r.lambdas)).not.toEqual(a.map((r) => r.lambdas));
  });

  test('option errors', () => {
    const q = queuesAt(LINE.map((x) => [x]), 2, new Random(1));
    expect(() => npmixOutliers(q, new Random(1), { k: 1 })).toThrow(/k 1/);
    expect(() => npmixOutliers(q, new Random(1), { alpha: 0 })).toThrow(/alpha/);
  });
});
