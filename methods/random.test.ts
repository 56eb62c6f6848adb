import { describe, expect, test } from 'bun:test';
import { Random } from './random.ts';

describe('Random', () => {
  test('xoshiro128** seeded by splitmix32 is reproducible and seed-dependent', () => {
    const a = new Random(42);
    const b = new Random(42);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(new Random(43).nextUint32()).not.toBe(xs[0]);
  });

  test('uniform lies in [0, 1) with mean 1/2 and variance 1/12', () => {
    const r = new Random(1);
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sq += u * u;
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005); // ~5 standard errors
    expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  test('normal has mean 0 and variance 1', () => {
    const r = new Random(2);
    const n = 100_000;
    const xs = Float64Array.from({ length: n }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  test('beta(10, 10) has mean 1/2 and variance 1/84 (NP-Mix draws its lambda from it)', () => {
    const r = new Random(4);
    const n = 50_000;
    const xs = Float64Array.from({ length: n }, () => r.beta(10, 10));
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    expect(xs.every((x) => x > 0 && x < 1)).toBe(true);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.003);
    expect(Math.abs(variance - 1 / 84)).toBeLessThan(0.0006);
  });

  test('gamma(0.5) has mean 0.5 (the shape < 1 path)', () => {
    const r = new Random(5);
    const n = 50_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += r.gamma(0.5);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.02);
  });

  test('shuffle is a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Random(3).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
  });
});
