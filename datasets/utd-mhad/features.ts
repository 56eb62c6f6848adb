/**
 * Fixed-length feature vectors from UTD-MHAD's variable-length recordings, one function per
 * modality, pure (arrays in, Float64Array out). Inputs are MAT-file arrays in MATLAB column-major
 * order (datasets/io/mat.ts). Every choice below is a setting in FEATURE_SETTINGS; changing a
 * setting or the code (bump FEATURE_VERSION) changes the feature-cache key (cache.ts).
 *
 * Inertial (`d_iner`, T x 6 at 50 Hz: accelerometer x, y, z in g, gyroscope x, y, z in deg/s):
 *   1. each channel is smoothed with a centred moving average of width ~T/L (an anti-alias
 *      low-pass: T is 107..326 samples and L = 32, so plain sampling would alias the sensor jitter);
 *   2. resampled to L points by linear interpolation at t_k = k (T-1)/(L-1), k = 0..L-1;
 *   3. per channel, the mean, standard deviation, minimum and maximum of the raw signal.
 *   Vector: 6 L resampled values (channel-major) then 6 x 4 statistics: 6 * 32 + 24 = 216.
 *
 * Skeleton (`d_skel`, 20 joints x 3 coordinates (x, y, z in metres, camera frame) x T frames,
 * joint order from Skeleton/Skeleton_joint_order.txt):
 *   1. every frame is centred on the hip-centre joint (its position is subtracted from every
 *      joint), which removes where the subject stands; the hip centre itself (then all zeros)
 *      is dropped, leaving 19 joints;
 *   2. the centred 57 joint coordinates are resampled to F frames (same smoothing + linear
 *      interpolation as the inertial channels);
 *   3. the hip centre's own trajectory relative to its first-frame position, resampled to F
 *      frames (sitting down, squats and lunges move the hip; centring alone would hide that);
 *   4. per centred joint coordinate: mean, standard deviation, minimum, maximum over all frames.
 *   Vector: 57 F (coordinate-major) + 3 F + 57 x 4 = 912 + 48 + 228 = 1188 with F = 16.
 *
 * Depth (`d_depth`, 240 x 320 x T depth maps in millimetres, 0 = no reading; the background is
 * already removed in this dataset, so non-zero pixels are the subject): depth motion maps (DMMs,
 * Chen, Liu & Kehtarnavaz, J. Real-Time Image Processing 2016), per temporal segment:
 *   1. each frame is projected to three views: front (row y x column x: the depth value), side
 *      (row y x depth bin z: 1 where any pixel of that row falls in that bin) and top (depth bin z
 *      x column x: likewise); z bins are `zBinMm` wide over [zMinMm, zMaxMm);
 *   2. DMM_v = sum over consecutive frames of |map_v(t+1) - map_v(t)|; on the front view each
 *      difference is capped at `frontCapMm`, so silhouette edges (0 <-> ~2800 mm jumps) do not
 *      drown the depth changes of body parts moving towards the camera;
 *   3. each DMM is cropped to the subject's bounding box: the rows, columns and depth bins that
 *      hold the central 99% (0.5%..99.5% quantiles) of the non-zero pixels over the whole clip,
 *      robust to stray pixels;
 *   4. the crop is downsampled by area averaging to a fixed grid (front rows x cols, side rows x
 *      z, top z x cols) and L2-normalised per view (the shape of the motion, not its amount);
 *   5. the amount of motion: log(1 + mean per-pixel DMM value of the crop) per view.
 *   Segments: the clip is cut into `segments` equal temporal parts (plus the whole clip when
 *   segments > 1), since one DMM cannot tell a swipe left from a swipe right or sitting down
 *   from standing up. Vector: (1 + segments) x (16*12 + 16*12 + 12*12 + 3) = 3 x 531 = 1593 with 2 segments.
 *
 * Standardisation (z-score per dimension with ID-train statistics) is not done here: it depends
 * on the split, so the benchmark does it at load time.
 */
import type { MatArray } from '../io/mat.ts';

export const FEATURE_VERSION = 1;

export const FEATURE_SETTINGS = {
  inertial: { length: 32 },
  skeleton: { frames: 16 },
  depth: {
    zMinMm: 1500,
    zMaxMm: 4500,
    zBinMm: 40,
    frontCapMm: 250,
    front: [16, 12],
    side: [16, 12],
    top: [12, 12],
    segments: 2,
    /** quantile cut on each side of the subject's pixel distribution for the bounding box */
    cropTail: 0.005,
  },
} as const;

export type UtdModality = 'inertial' | 'skeleton' | 'depth';
export const UTD_MODALITIES: readonly UtdModality[] = ['inertial', 'skeleton', 'depth'];

const INERTIAL_CHANNELS = 6;
const JOINTS = 20;

export function featureDim(modality: UtdModality): number {
  switch (modality) {
    case 'inertial':
      return INERTIAL_CHANNELS * (FEATURE_SETTINGS.inertial.length + 4);
    case 'skeleton': {
      const coords = (JOINTS - 1) * 3;
      return coords * FEATURE_SETTINGS.skeleton.frames + 3 * FEATURE_SETTINGS.skeleton.frames + coords * 4;
    }
    case 'depth': {
      const d = FEATURE_SETTINGS.depth;
      const perSegment = d.front[0] * d.front[1] + d.side[0] * d.side[1] + d.top[0] * d.top[1] + 3;
      return (d.segments > 1 ? 1 + d.segments : 1) * perSegment;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 1-D helpers
// ---------------------------------------------------------------------------------------------

/**
 * `series` (length T, read through `at`) smoothed by a centred moving average of width
 * max(1, round(T / L)) (edges averaged over the available samples), then sampled at L points by
 * linear interpolation, written to out[offset + k * stride].
 */
export function resampleInto(at: (t: number) => number, T: number, L: number, out: Float64Array, offset: number, stride = 1): void {
  if (T < 1) throw new Error('resample: empty series');
  const width = Math.max(1, Math.round(T / L));
  const half = Math.floor(width / 2);
  // prefix sums make the moving average O(T)
  const prefix = new Float64Array(T + 1);
  for (let t = 0; t < T; t++) prefix[t + 1] = prefix[t]! + at(t);
  const smooth = (t: number) => {
    const lo = Math.max(0, t - half);
    const hi = Math.min(T, t - half + width);
    return (prefix[hi]! - prefix[lo]!) / (hi - lo);
  };
  for (let k = 0; k < L; k++) {
    const pos = L === 1 ? 0 : (k * (T - 1)) / (L - 1);
    const i = Math.floor(pos);
    const frac = pos - i;
    const a = smooth(i);
    out[offset + k * stride] = frac === 0 || i + 1 >= T ? a : a + (smooth(i + 1) - a) * frac;
  }
}

/** mean, population standard deviation, min, max of at(0..T-1), written at out[offset..offset+3]. */
function statsInto(at: (t: number) => number, T: number, out: Float64Array, offset: number): void {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let t = 0; t < T; t++) {
    const v = at(t);
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / T;
  let ss = 0;
  for (let t = 0; t < T; t++) ss += (at(t) - mean) ** 2;
  out[offset] = mean;
  out[offset + 1] = Math.sqrt(ss / T);
  out[offset + 2] = min;
  out[offset + 3] = max;
}

function requireDims(array: MatArray, rank: number, fixed: (number | undefined)[], what: string): number[] {
  const dims = array.dims;
  const ok = dims.length === rank && fixed.every((d, a) => d === undefined || dims[a] === d) && dims.every((d) => d > 0);
  if (!ok) {
    const want = fixed.map((d) => d ?? 'T').join(' x ');
    throw new Error(`${what}: expected ${want}, got ${dims.join(' x ')}`);
  }
  return [...dims];
}

// ---------------------------------------------------------------------------------------------
// Inertial
// ---------------------------------------------------------------------------------------------

export function inertialFeatures(iner: MatArray, what = 'd_iner'): Float64Array {
  const [T] = requireDims(iner, 2, [undefined, INERTIAL_CHANNELS], what) as [number, number];
  const L = FEATURE_SETTINGS.inertial.length;
  const out = new Float64Array(featureDim('inertial'));
  const x = iner.data;
  for (let c = 0; c < INERTIAL_CHANNELS; c++) {
    const at = (t: number) => x[t + T * c]!; // column-major: (t, c)
    resampleInto(at, T, L, out, c * L);
    statsInto(at, T, out, INERTIAL_CHANNELS * L + c * 4);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Skeleton
// ---------------------------------------------------------------------------------------------

/**
 * The 0-based index of the hip-centre joint from Skeleton_joint_order.txt (lines like
 * "4. hip_center;"); throws when the file does not list 20 joints or has no hip centre.
 */
export function hipCentreIndex(jointOrderText: string, file = 'Skeleton_joint_order.txt'): number {
  const joints = new Map<string, number>();
  for (const m of jointOrderText.matchAll(/^\s*(\d+)\.\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*;?\s*$/gm)) {
    joints.set(m[2]!.toLowerCase().replace(/\s+/g, '_'), Number(m[1]) - 1);
  }
  if (joints.size !== JOINTS) throw new Error(`${file}: expected ${JOINTS} numbered joints, found ${joints.size}`);
  const hip = joints.get('hip_center') ?? joints.get('hip_centre');
  if (hip === undefined) throw new Error(`${file}: no hip_center joint among ${[...joints.keys()].join(', ')}`);
  return hip;
}

export function skeletonFeatures(skel: MatArray, hip: number, what = 'd_skel'): Float64Array {
  const dims = requireDims(skel, 3, [JOINTS, 3, undefined], what);
  const T = dims[2]!;
  const F = FEATURE_SETTINGS.skeleton.frames;
  const x = skel.data;
  const at = (j: number, c: number, t: number) => x[j + JOINTS * (c + 3 * t)]!; // column-major (joint, coord, frame)
  const out = new Float64Array(featureDim('skeleton'));
  const coords = (JOINTS - 1) * 3;
  let k = 0;
  for (let j = 0; j < JOINTS; j++) {
    if (j === hip) continue;
    for (let c = 0; c < 3; c++, k++) {
      const centred = (t: number) => at(j, c, t) - at(hip, c, t);
      resampleInto(centred, T, F, out, k * F);
      statsInto(centred, T, out, coords * F + 3 * F + k * 4);
    }
  }
  for (let c = 0; c < 3; c++) {
    const origin = at(hip, c, 0);
    resampleInto((t) => at(hip, c, t) - origin, T, F, out, coords * F + c * F);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Depth
// ---------------------------------------------------------------------------------------------

/** [lo, hi) covering the central 1 - 2 tail of a histogram (at least one bin). */
function quantileRange(hist: Float64Array, tail: number): [number, number] {
  let total = 0;
  for (const v of hist) total += v;
  if (total === 0) return [0, hist.length];
  let lo = 0;
  let acc = 0;
  while (lo < hist.length - 1 && acc + hist[lo]! <= tail * total) acc += hist[lo++]!;
  let hi = hist.length;
  acc = 0;
  while (hi > lo + 1 && acc + hist[hi - 1]! <= tail * total) acc += hist[--hi]!;
  return [lo, hi];
}

/**
 * Area-averaged downsampling of the [a0, a1) x [b0, b1) window of a row-major `src` (width
 * `srcCols`) to an outRows x outCols grid written at out[offset..]: each source cell goes to the
 * output cell its centre falls in; cells no source cell reaches (window smaller than the grid)
 * take the nearest source cell.
 */
function downsampleInto(src: Float64Array, srcCols: number, a0: number, a1: number, b0: number, b1: number, outRows: number, outCols: number, out: Float64Array, offset: number): void {
  const h = a1 - a0;
  const w = b1 - b0;
  const sum = new Float64Array(outRows * outCols);
  const count = new Float64Array(outRows * outCols);
  for (let a = a0; a < a1; a++) {
    const r = Math.min(outRows - 1, Math.floor(((a - a0 + 0.5) * outRows) / h));
    for (let b = b0; b < b1; b++) {
      const c = Math.min(outCols - 1, Math.floor(((b - b0 + 0.5) * outCols) / w));
      sum[r * outCols + c]! += src[a * srcCols + b]!;
      count[r * outCols + c]!++;
    }
  }
  for (let r = 0; r < outRows; r++) {
    for (let c = 0; c < outCols; c++) {
      const i = r * outCols + c;
      if (count[i]! > 0) out[offset + i] = sum[i]! / count[i]!;
      else {
        const a = a0 + Math.min(h - 1, Math.floor(((r + 0.5) * h) / outRows));
        const b = b0 + Math.min(w - 1, Math.floor(((c + 0.5) * w) / outCols));
        out[offset + i] = src[a * srcCols + b]!;
      }
    }
  }
}

/**
 * Depth-motion-map features of one clip. Works on the column-major (row, col, frame) data of
 * any numeric class (UTD-MHAD stores class double as uint16). Only the bounding box is
 * projected and differenced: everything outside it would be cropped away anyway.
 */
export function depthFeatures(depth: MatArray, what = 'd_depth'): Float64Array {
  const dims = requireDims(depth, 3, [undefined, undefined, undefined], what);
  const [R, C, T] = dims as [number, number, number];
  if (T < 2) throw new Error(`${what}: ${T} frame(s); depth motion maps need at least 2`);
  const s = FEATURE_SETTINGS.depth;
  const Z = Math.ceil((s.zMaxMm - s.zMinMm) / s.zBinMm);
  const x = depth.data;
  const frame = R * C;
  const zMin = s.zMinMm;
  const zStep = s.zBinMm;
  const cap = s.frontCapMm;

  // Bounding box over the whole clip from the non-zero pixels' row / column / depth histograms.
  const rowHist = new Float64Array(R);
  const colHist = new Float64Array(C);
  const zHist = new Float64Array(Z);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      const base = t * frame + c * R;
      let inColumn = 0;
      for (let r = 0; r < R; r++) {
        const v = x[base + r]!;
        if (v > 0) {
          inColumn++;
          rowHist[r]!++;
          let z = Math.floor((v - zMin) / zStep);
          z = z < 0 ? 0 : z >= Z ? Z - 1 : z;
          zHist[z]!++;
        }
      }
      colHist[c]! += inColumn;
    }
  }
  const [r0, r1] = quantileRange(rowHist, s.cropTail);
  const [c0, c1] = quantileRange(colHist, s.cropTail);
  const [z0, z1] = quantileRange(zHist, s.cropTail);
  const h = r1 - r0;
  const w = c1 - c0;
  const d = z1 - z0;

  // DMMs of the cropped views, per temporal part; frame difference t-1 -> t (t = 1..T-1) goes to
  // part floor((t-1) * parts / (T-1)), so the parts split the differences evenly and the
  // whole-clip DMM is their sum.
  const parts = s.segments;
  const front = Array.from({ length: parts }, () => new Float64Array(h * w));
  const side = Array.from({ length: parts }, () => new Float64Array(h * d));
  const top = Array.from({ length: parts }, () => new Float64Array(d * w));
  let prevSide = new Uint8Array(h * d);
  let prevTop = new Uint8Array(d * w);
  let curSide = new Uint8Array(h * d);
  let curTop = new Uint8Array(d * w);
  for (let t = 0; t < T; t++) {
    const part = t === 0 ? 0 : Math.floor(((t - 1) * parts) / (T - 1));
    const f = front[part]!;
    curSide.fill(0);
    curTop.fill(0);
    for (let c = c0; c < c1; c++) {
      const base = t * frame + c * R;
      const fc = c - c0;
      for (let r = r0; r < r1; r++) {
        const v = x[base + r]!;
        if (t > 0) {
          const diff = Math.abs(v - x[base - frame + r]!);
          if (diff > 0) f[(r - r0) * w + fc]! += diff < cap ? diff : cap;
        }
        if (v > 0) {
          const z = Math.floor((v - zMin) / zStep) - z0;
          if (z >= 0 && z < d) {
            curSide[(r - r0) * d + z] = 1;
            curTop[z * w + fc] = 1;
          }
        }
      }
    }
    if (t > 0) {
      const sp = side[part]!;
      const tp = top[part]!;
      for (let i = 0; i < h * d; i++) if (curSide[i] !== prevSide[i]) sp[i]!++;
      for (let i = 0; i < d * w; i++) if (curTop[i] !== prevTop[i]) tp[i]!++;
    }
    [prevSide, curSide] = [curSide, prevSide];
    [prevTop, curTop] = [curTop, prevTop];
  }

  // The whole clip first (when cut into parts), then the parts.
  const sum = (maps: Float64Array[]) => maps.reduce((acc, m) => { for (let i = 0; i < m.length; i++) acc[i]! += m[i]!; return acc; }, new Float64Array(maps[0]!.length));
  const segments = parts > 1
    ? [{ front: sum(front), side: sum(side), top: sum(top) }, ...front.map((_, k) => ({ front: front[k]!, side: side[k]!, top: top[k]! }))]
    : [{ front: front[0]!, side: side[0]!, top: top[0]! }];
  const perSegment = s.front[0] * s.front[1] + s.side[0] * s.side[1] + s.top[0] * s.top[1] + 3;
  const out = new Float64Array(segments.length * perSegment);
  segments.forEach((seg, k) => {
    let o = k * perSegment;
    const views: [Float64Array, number, number, readonly [number, number]][] = [
      [seg.front, h, w, s.front],
      [seg.side, h, d, s.side],
      [seg.top, d, w, s.top],
    ];
    const energies: number[] = [];
    for (const [map, rows, cols, [gr, gc]] of views) {
      let total = 0;
      for (const v of map) total += v;
      energies.push(Math.log1p(total / (rows * cols)));
      downsampleInto(map, cols, 0, rows, 0, cols, gr, gc, out, o);
      let norm = 0;
      for (let i = 0; i < gr * gc; i++) norm += out[o + i]! ** 2;
      norm = Math.sqrt(norm);
      if (norm > 0) for (let i = 0; i < gr * gc; i++) out[o + i]! /= norm;
      o += gr * gc;
    }
    for (const e of energies) out[o++] = e;
  });
  return out;
}
