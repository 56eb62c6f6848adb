/**
 * Benchmark (not a test): the nine scorers on Kinetics-scale generated dumps
 * (D 4352 = video 2304 + flow 2048, fit 22,549 rows, ID val 4,773, ID test 4,902, OOD 10,000,
 * C 129), in TypeScript and, side by side in the same job, in numpy / scikit-learn / faiss when
 * Debian's python3 packages are installed.
 *
 * Each scorer runs in a fresh process (wall time of fit + scoring, data loading excluded; peak RSS
 * of that process, data included), then the whole nine-scorer sweep runs in one process per side
 * (the TypeScript sweep shares the fit features' Gram matrix between Mahalanobis and ViM).
 * A scorer that takes under REPEAT_BELOW seconds on both sides (MSP, energy, max logit: tens of
 * milliseconds, where one run mostly times JIT warm-up and the scheduler) is then measured again,
 * REPEAT times in one fresh process per side, and its row reports the medians; the single runs
 * stay in the JSON as tsFirstSeconds / pyFirstSeconds.
 * Prints a table of both sides' times, reference/here ratios (Python time / TypeScript time: above
 * 1 means TypeScript is faster) and peak RSS, per scorer and for the sweep, then the JSON report.
 * Timings on a shared machine are noisy: only the ratios within one job are meaningful, and the
 * load average at start and end is recorded with them.
 * Usage: bun bench/scorers.ts [--scale 0.25] [--only msp,knn] [--no-python] [--sweep-only] [--python-first]
 *        [--out bench/out/scorers.json]
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeNpy } from '../datasets/io/npy.ts';
import { synthesizeModelOutputs } from '../datasets/synthetic/model-outputs.ts';
import type { FloatMatrix } from '../methods/linalg/matrix.ts';
import { SCORERS } from '../methods/scorers/index.ts';

const { values: flags } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    only: { type: 'string' },
    'no-python': { type: 'boolean', default: false },
    /** Skip the per-scorer processes: only the nine-scorer sweep on each side. */
    'sweep-only': { type: 'boolean', default: false },
    /** Run the Python sweep before the TypeScript one (to check that the order does not bias the ratio). */
    'python-first': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/out/scorers.json' },
  },
});
const scale = Number(flags.scale);
const ids = flags.only ? flags.only.split(',') : SCORERS.map((s) => s.id);
const PYTHON = '/usr/bin/python3';
const rows = (n: number) => Math.max(200, Math.round(n * scale));
const dims = [2304, 2048];

function f32(m: FloatMatrix) {
  return { dtype: 'float32' as const, shape: [m.rows, m.cols], data: Float32Array.from(m.data) };
}

async function writeDumps(dir: string): Promise<void> {
  const t = performance.now();
  const outputs = synthesizeModelOutputs({
    seed: 0, idClasses: 129, oodClasses: 100,
    modalities: [{ name: 'video', dim: dims[0]!, signal: 1.6 }, { name: 'flow', dim: dims[1]!, signal: 1.1 }],
    sizes: { train: rows(22549), val: rows(4773), test: rows(4902), ood: rows(10000) },
    noise: 1,
  });
  const splits = { train: outputs.id.train!, val: outputs.id.val!, test: outputs.id.test, eval: outputs.ood.get('near')! };
  for (const [name, s] of Object.entries(splits)) {
    await writeNpy(join(dir, `id_Kinetics_near_ood_output_${name}.npy`), f32(s.logits));
    await writeNpy(join(dir, `id_Kinetics_near_ood_feature_${name}.npy`), f32(s.features));
    const labels = s.labels ?? new Int32Array(s.logits.rows).fill(-1);
    await writeNpy(join(dir, `id_Kinetics_near_ood_label_${name}.npy`), { dtype: 'int64', shape: [labels.length], data: BigInt64Array.from(labels, (v) => BigInt(v)) });
  }
  await writeNpy(join(dir, 'W.npy'), f32(outputs.head.weight));
  await writeNpy(join(dir, 'b.npy'), { dtype: 'float32', shape: [outputs.head.bias.length], data: Float32Array.from(outputs.head.bias) });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ dims, names: ['video', 'flow'] }));
  console.error(`dumps written in ${((performance.now() - t) / 1000).toFixed(1)} s to ${dir}`);
}

/** Scorers faster than this (seconds, both sides) are timed as the median of REPEAT runs. */
const REPEAT_BELOW = 1;
const REPEAT = 7;

interface Measurement { seconds: Record<string, number>; firstSeconds: Record<string, number>; total: number; peakRssMiB: number; results: { scorer: string; auroc: number; fpr95: number }[] }

function measure(cmd: string[]): Measurement {
  const p = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(' ')} failed:\n${p.stderr.toString()}`);
  return JSON.parse(p.stdout.toString().trim().split('\n').pop()!);
}

const loadavgStart = loadavg();
const dir = mkdtempSync(join(tmpdir(), 'multiood-bench-'));
try {
  await writeDumps(dir);
  const child = join(import.meta.dir, 'scorers-child.ts');
  const pyRef = join(import.meta.dir, 'reference', 'scorers_reference.py');
  const hasPython = !flags['no-python'] && existsSync(PYTHON) &&
    Bun.spawnSync([PYTHON, '-c', 'import numpy, sklearn, scipy, faiss, torch']).exitCode === 0;
  if (!hasPython) console.error('python reference skipped: /usr/bin/python3 with numpy, scikit-learn, scipy, faiss and torch not found');

  const table: Record<string, unknown>[] = [];
  for (const id of flags['sweep-only'] ? [] : ids) {
    const once = (repeat: number) => ({
      ts: measure([process.execPath, child, dir, id, String(repeat)]),
      py: hasPython ? measure([PYTHON, pyRef, dir, id, String(repeat)]) : undefined,
    });
    const first = once(1);
    const quick = first.ts.seconds[id]! < REPEAT_BELOW && (first.py?.seconds[id] ?? 0) < REPEAT_BELOW;
    const { ts, py } = quick ? once(REPEAT) : first;
    const row = {
      scorer: id,
      runs: quick ? REPEAT : 1,
      tsSeconds: ts.seconds[id], tsPeakMiB: ts.peakRssMiB,
      pySeconds: py?.seconds[id], pyPeakMiB: py?.peakRssMiB,
      pyOverTs: py ? py.seconds[id]! / ts.seconds[id]! : undefined,
      tsFirstSeconds: first.ts.seconds[id], pyFirstSeconds: first.py?.seconds[id],
      aurocDiff: py ? Math.abs(ts.results[0]!.auroc - py.results[0]!.auroc) : undefined,
      fpr95Diff: py ? Math.abs(ts.results[0]!.fpr95 - py.results[0]!.fpr95) : undefined,
    };
    console.error(JSON.stringify(row));
    table.push(row);
  }
  const pyFirst = hasPython && flags['python-first'] ? measure([PYTHON, pyRef, dir, ids.join(',')]) : undefined;
  const sweepLoad = loadavg();
  const tsSweep = measure([process.execPath, child, dir, ids.join(',')]);
  const pySweep = pyFirst ?? (hasPython ? measure([PYTHON, pyRef, dir, ids.join(',')]) : undefined);
  const report = {
    command: `bun bench/scorers.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version, loadavgStart, loadavgEnd: loadavg() },
    scale, sizes: { fit: rows(22549), val: rows(4773), test: rows(4902), ood: rows(10000), D: dims[0]! + dims[1]!, C: 129 },
    perScorer: table,
    sweep: { loadavgBeforeTs: sweepLoad, tsSeconds: tsSweep.total, tsPeakMiB: tsSweep.peakRssMiB, pySeconds: pySweep?.total, pyPeakMiB: pySweep?.peakRssMiB, pyOverTs: pySweep ? pySweep.total / tsSweep.total : undefined },
  };
  printTable(table, report.sweep);
  mkdirSync(dirname(flags.out!), { recursive: true });
  writeFileSync(flags.out!, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function printTable(rows: Record<string, unknown>[], sweep: Record<string, unknown>): void {
  const f = (v: unknown, digits = 2) => (typeof v === 'number' ? v.toFixed(digits) : '-');
  const lines = [
    '| scorer | runs (median) | TypeScript (s) | peak RSS (MiB) | Python (s) | peak RSS (MiB) | reference/here |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scorer} | ${r.runs} | ${f(r.tsSeconds, 3)} | ${f(r.tsPeakMiB, 0)} | ${f(r.pySeconds, 3)} | ${f(r.pyPeakMiB, 0)} | ${f(r.pyOverTs)} |`),
    `| **all, one process** | 1 | **${f(sweep.tsSeconds, 1)}** | ${f(sweep.tsPeakMiB, 0)} | **${f(sweep.pySeconds, 1)}** | ${f(sweep.pyPeakMiB, 0)} | **${f(sweep.pyOverTs)}** |`,
  ];
  console.error(lines.join('\n'));
}
