import { describe, expect, test } from 'bun:test';
import type { MatArray } from '../io/mat.ts';
import { depthFeatures, FEATURE_SETTINGS, featureDim, hipCentreIndex, inertialFeatures, resampleInto, skeletonFeatures } from './features.ts';

const double = (dims: number[], fill: (...index: number[]) => number): MatArray => {
  const data = new Float64Array(dims.reduce((p, d) => p * d, 1));
  // column-major, like the MAT reader returns
  const index = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < data.length; k++) {
    data[k] = fill(...index);
    for (let a = 0; a < dims.length; a++) {
      if (++index[a]! < dims[a]!) break;
      index[a] = 0;
    }
  }
  return { class: 'double', dims, data };
};

const JOINT_ORDER = `The skeleton joint order in UTD-MAD dataset:

1. head; 
2. shoulder_center;
3. spine;
4. hip_center;
${Array.from({ length: 16 }, (_, i) => `${i + 5}. joint_${i + 5};`).join('\n')}
`;

describe('resampleInto', () => {
  test('a series shorter than the output is linearly interpolated exactly (no smoothing)', () => {
    const out = new Float64Array(5);
    resampleInto((t) => [0, 10, 20][t]!, 3, 5, out, 0);
    expect(Array.from(out)).toEqual([0, 5, 10, 15, 20]);
  });

  test('a longer series is smoothed (moving average of width ~T/L) then sampled; constants stay constant', () => {
    const out = new Float64Array(4);
    resampleInto(() => 3.5, 100, 4, out, 0);
    expect(Array.from(out)).toEqual([3.5, 3.5, 3.5, 3.5]);
    // alternating jitter averages out (edge windows are clipped to 13 samples: |mean| <= 1/13)
    resampleInto((t) => (t % 2 === 0 ? 1 : -1), 100, 4, out, 0);
    for (const v of out) expect(Math.abs(v)).toBeLessThanOrEqual(1 / 13 + 1e-12);
  });

  test('writes with a stride', () => {
    const out = new Float64Array(6);
    resampleInto((t) => t, 3, 3, out, 1, 2);
    expect(Array.from(out)).toEqual([0, 0, 0, 1, 0, 2]);
  });
});

describe('inertial features', () => {
  test(`T x 6 -> ${featureDim('inertial')} values: 6 resampled channels then mean, std, min, max per channel`, () => {
    const L = FEATURE_SETTINGS.inertial.length;
    const x = double([20, 6], (t, c) => (c! + 1) * t!);
    const f = inertialFeatures(x);
    expect(f.length).toBe(featureDim('inertial'));
    expect(f.length).toBe(6 * L + 24);
    // channel 2 (c = 1) is 2t: resampled from 0 to 38, mean 19, std 2 * sqrt((20^2 - 1) / 12), min 0, max 38
    expect(f[L]).toBeCloseTo(0, 12);
    expect(f[2 * L - 1]).toBeCloseTo(38, 12);
    const s = 6 * L + 4;
    expect(f[s]).toBeCloseTo(19, 12);
    expect(f[s + 1]).toBeCloseTo(2 * Math.sqrt((400 - 1) / 12), 12);
    expect([f[s + 2], f[s + 3]]).toEqual([0, 38]);
  });

  test('a wrong shape is refused naming it', () => {
    expect(() => inertialFeatures(double([20, 5], () => 0), 'x.mat: d_iner')).toThrow('x.mat: d_iner: expected T x 6, got 20 x 5');
  });
});

describe('skeleton features', () => {
  test('hipCentreIndex reads the joint-order file (0-based), refuses a file without a hip centre', () => {
    expect(hipCentreIndex(JOINT_ORDER)).toBe(3);
    expect(() => hipCentreIndex(JOINT_ORDER.replace('hip_center', 'pelvis'), 'order.txt')).toThrow(/order\.txt: no hip_center joint/);
    expect(() => hipCentreIndex('1. head;', 'order.txt')).toThrow(/order\.txt: expected 20 numbered joints, found 1/);
  });

  const skeleton = (offset: [number, number, number]) =>
    double([20, 3, 9], (j, c, t) => offset[c!]! + Math.sin(j! + 2 * c! + 0.3 * t!) + (j === 3 ? 0.05 * t! : 0));

  test(`20 x 3 x T -> ${featureDim('skeleton')} values, invariant to where the subject stands`, () => {
    const a = skeletonFeatures(skeleton([0, 0, 0]), 3);
    const b = skeletonFeatures(skeleton([0.4, -0.2, 1.1]), 3);
    expect(a.length).toBe(featureDim('skeleton'));
    for (let i = 0; i < a.length; i++) expect(b[i]!).toBeCloseTo(a[i]!, 12);
  });

  test('the hip-centre trajectory (relative to its first frame) is kept', () => {
    const F = FEATURE_SETTINGS.skeleton.frames;
    const f = skeletonFeatures(skeleton([0, 0, 0]), 3);
    const hip = 57 * F; // x of the hip trajectory: sin(3 + 0.3 t) + 0.05 t - sin(3)
    expect(f[hip]).toBeCloseTo(0, 12);
    expect(f[hip + F - 1]).toBeCloseTo(Math.sin(3 + 0.3 * 8) + 0.4 - Math.sin(3), 12);
  });
});

describe('depth features (depth motion maps)', () => {
  /** A 100 x 40 block at 2800 mm moving `dr` rows and `dc` columns per frame, starting at (r, c). */
  const clip = (r: number, c: number, dr: number, dc: number, T = 6) =>
    double([240, 320, T], (y, x, t) => {
      const top = r + dr * t!;
      const left = c + dc * t!;
      return y! >= top && y! < top + 100 && x! >= left && x! < left + 40 ? 2800 - 20 * t! : 0;
    });

  test(`240 x 320 x T -> ${featureDim('depth')} values: (1 + segments) x (3 L2-normalised views + 3 energies)`, () => {
    const f = depthFeatures(clip(60, 100, 3, 4));
    expect(f.length).toBe(featureDim('depth'));
    const s = FEATURE_SETTINGS.depth;
    const sizes = [s.front[0] * s.front[1], s.side[0] * s.side[1], s.top[0] * s.top[1]];
    const per = sizes.reduce((a, b) => a + b, 0) + 3;
    expect(f.length).toBe((1 + s.segments) * per);
    let o = 0;
    for (let seg = 0; seg < 1 + s.segments; seg++) {
      for (const n of sizes) {
        const norm = Math.sqrt(f.subarray(o, o + n).reduce((a, v) => a + v * v, 0));
        expect(norm).toBeCloseTo(1, 12);
        o += n;
      }
      for (let k = 0; k < 3; k++) expect(f[o + k]!).toBeGreaterThan(0);
      o += 3;
    }
    expect(f.every(Number.isFinite)).toBe(true);
  });

  test('cropping to the subject makes the features invariant to where the subject stands', () => {
    const a = depthFeatures(clip(60, 100, 3, 4));
    const b = depthFeatures(clip(90, 40, 3, 4));
    for (let i = 0; i < a.length; i++) expect(b[i]!).toBeCloseTo(a[i]!, 12);
  });

  test('temporal segments tell a motion from its reverse; a still clip has no motion', () => {
    const s = FEATURE_SETTINGS.depth;
    const per = s.front[0] * s.front[1] + s.side[0] * s.side[1] + s.top[0] * s.top[1] + 3;
    const down = depthFeatures(clip(60, 100, 3, 0));
    const up = depthFeatures(clip(75, 100, -3, 0));
    expect(Array.from(up.subarray(per)).some((v, i) => Math.abs(v - down[per + i]!) > 1e-6)).toBe(true);
    const still = depthFeatures(double([240, 320, 4], (y, x) => (y! > 50 && y! < 150 && x! > 100 && x! < 140 ? 2800 : 0)));
    expect(still.every((v) => v === 0)).toBe(true);
  });

  test('uint16 data (the class the real files are stored in) gives the same features as double', () => {
    const d = clip(60, 100, 3, 4);
    const u16: MatArray = { class: 'uint16', dims: d.dims, data: Uint16Array.from(d.data) };
    expect(Array.from(depthFeatures(u16))).toEqual(Array.from(depthFeatures(d)));
  });

  test('a single frame is refused', () => {
    expect(() => depthFeatures(double([240, 320, 1], () => 0), 'x.mat: d_depth')).toThrow('x.mat: d_depth: 1 frame(s); depth motion maps need at least 2');
  });
});
