/**
 * Model-free checks of the UTD-MHAD features: per-modality (and concatenated) accuracy of a
 * nearest-class-mean classifier and of an L2-regularised softmax regression, on the
 * cross-subject protocol (train subjects 1, 3, 5, 7; test 2, 4, 6, 8), for all 27 actions and for
 * split 0's 14 ID actions. Features are z-scored with the training rows' statistics.
 *
 *     npx bun bench/utd-mhad-probe.ts --data-dir ../shared/data [--modalities inertial,skeleton]
 *
 * The first run extracts (and caches) the features; depth takes a minute or two.
 */
import { parseArgs } from 'node:util';
import { matrix, type Matrix } from '../methods/linalg/matrix.ts';
import { cacheDir } from '../datasets/data-dir.ts';
import { loadUtdFeatures, trainStatistics, utdRoot, utdSplitClasses } from '../datasets/utd-mhad/benchmark.ts';
import { UTD_TEST_SUBJECTS, UTD_TRAIN_SUBJECTS } from '../datasets/utd-mhad/catalog.ts';
import { UTD_MODALITIES, type UtdModality } from '../datasets/utd-mhad/features.ts';

function standardise(x: Matrix, trainRows: number[], rows: number[]): Matrix {
  const { mean, std } = trainStatistics(x, trainRows);
  const out = matrix(rows.length, x.cols);
  rows.forEach((src, i) => {
    for (let j = 0; j < x.cols; j++) out.data[i * x.cols + j] = (x.data[src * x.cols + j]! - mean[j]!) / (std[j]! < 1e-8 ? 1 : std[j]!);
  });
  return out;
}

function nearestClassMean(train: Matrix, y: Int32Array, test: Matrix, yTest: Int32Array, C: number): number {
  const d = train.cols;
  const means = new Float64Array(C * d);
  const counts = new Float64Array(C);
  for (let i = 0; i < train.rows; i++) {
    counts[y[i]!]!++;
    for (let j = 0; j < d; j++) means[y[i]! * d + j]! += train.data[i * d + j]!;
  }
  for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) means[c * d + j]! /= counts[c]!;
  let correct = 0;
  for (let i = 0; i < test.rows; i++) {
    let best = -1;
    let bestDist = Infinity;
    for (let c = 0; c < C; c++) {
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (test.data[i * d + j]! - means[c * d + j]!) ** 2;
      if (dist < bestDist) [best, bestDist] = [c, dist];
    }
    if (best === yTest[i]) correct++;
  }
  return correct / test.rows;
}

/** Softmax regression, full-batch Adam (lr 0.01, 300 steps), L2 weight penalty lambda. */
function softmaxRegression(train: Matrix, y: Int32Array, test: Matrix, yTest: Int32Array, C: number, lambda = 1e-2, steps = 300): number {
  const n = train.rows;
  const d = train.cols;
  const w = new Float64Array(C * (d + 1));
  const m = new Float64Array(w.length);
  const v = new Float64Array(w.length);
  const grad = new Float64Array(w.length);
  const logits = new Float64Array(C);
  const [b1, b2, lr, eps] = [0.9, 0.999, 0.01, 1e-8];
  for (let step = 1; step <= steps; step++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const xi = train.data.subarray(i * d, (i + 1) * d);
      let max = -Infinity;
      for (let c = 0; c < C; c++) {
        let z = w[c * (d + 1) + d]!;
        const off = c * (d + 1);
        for (let j = 0; j < d; j++) z += w[off + j]! * xi[j]!;
        logits[c] = z;
        if (z > max) max = z;
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += (logits[c] = Math.exp(logits[c]! - max));
      for (let c = 0; c < C; c++) {
        const g = (logits[c]! / sum - (c === y[i] ? 1 : 0)) / n;
        const off = c * (d + 1);
        for (let j = 0; j < d; j++) grad[off + j]! += g * xi[j]!;
        grad[off + d]! += g;
      }
    }
    for (let k = 0; k < w.length; k++) {
      const g = grad[k]! + ((k % (d + 1)) === d ? 0 : lambda * w[k]!);
      m[k] = b1 * m[k]! + (1 - b1) * g;
      v[k] = b2 * v[k]! + (1 - b2) * g * g;
      w[k]! -= (lr * (m[k]! / (1 - b1 ** step))) / (Math.sqrt(v[k]! / (1 - b2 ** step)) + eps);
    }
  }
  let correct = 0;
  for (let i = 0; i < test.rows; i++) {
    let best = -1;
    let bestZ = -Infinity;
    for (let c = 0; c < C; c++) {
      let z = w[c * (d + 1) + d]!;
      for (let j = 0; j < d; j++) z += w[c * (d + 1) + j]! * test.data[i * d + j]!;
      if (z > bestZ) [best, bestZ] = [c, z];
    }
    if (best === yTest[i]) correct++;
  }
  return correct / test.rows;
}

function concatCols(parts: Matrix[]): Matrix {
  const cols = parts.reduce((s, p) => s + p.cols, 0);
  const out = matrix(parts[0]!.rows, cols);
  for (let i = 0; i < out.rows; i++) {
    let o = i * cols;
    for (const p of parts) {
      out.data.set(p.data.subarray(i * p.cols, (i + 1) * p.cols), o);
      o += p.cols;
    }
  }
  return out;
}

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, modalities: { type: 'string' } } });
const modalities = (values.modalities?.split(',') ?? [...UTD_MODALITIES]) as UtdModality[];
const loaded = await loadUtdFeatures(utdRoot(values['data-dir']), modalities, { cacheDir: cacheDir(), log: (l) => console.error(l) });
for (const st of loaded.stats) console.error(`${st.modality}: ${st.hits} cached, ${st.extracted} extracted in ${st.seconds.toFixed(2)} s`);

const seqs = loaded.sequences;
const protocols = [
  { name: 'all 27 actions', classes: Array.from({ length: 27 }, (_, i) => i + 1) },
  { name: 'split-0 ID (actions 1-14)', classes: utdSplitClasses(0).id },
];
const sets: [string, UtdModality[]][] = [...modalities.map((m) => [m, [m]] as [string, UtdModality[]]), ...(modalities.length > 1 ? [[modalities.join('+'), modalities] as [string, UtdModality[]]] : [])];
if (modalities.length === 3) sets.push(['inertial+skeleton', ['inertial', 'skeleton']]);
console.log('| features | protocol | NCM | softmax regression |\n|---|---|---|---|');
for (const protocol of protocols) {
  const label = new Map(protocol.classes.map((a, i) => [a, i] as const));
  const trainRows = seqs.flatMap((s, i) => (label.has(s.action) && UTD_TRAIN_SUBJECTS.includes(s.subject) ? [i] : []));
  const testRows = seqs.flatMap((s, i) => (label.has(s.action) && UTD_TEST_SUBJECTS.includes(s.subject) ? [i] : []));
  const y = Int32Array.from(trainRows, (i) => label.get(seqs[i]!.action)!);
  const yTest = Int32Array.from(testRows, (i) => label.get(seqs[i]!.action)!);
  for (const [name, mods] of sets) {
    const train = concatCols(mods.map((m) => standardise(loaded.features[m]!, trainRows, trainRows)));
    const test = concatCols(mods.map((m) => standardise(loaded.features[m]!, trainRows, testRows)));
    const C = protocol.classes.length;
    const ncm = nearestClassMean(train, y, test, yTest, C);
    const lr = softmaxRegression(train, y, test, yTest, C);
    console.log(`| ${name} | ${protocol.name} (${train.rows} train / ${test.rows} test) | ${(ncm * 100).toFixed(1)} | ${(lr * 100).toFixed(1)} |`);
  }
}
