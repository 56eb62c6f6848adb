/**
 * Benchmark (not a test): training throughput (samples/s) of the MultiOOD video+flow model at the
 * benchmark's dimensions (inputs 2304 + 2048, C = 25, batch 16, the A2D loss: per-modality CE
 * average + Hellinger A2D, Adam lr 1e-4 / wd 1e-4, dropout 0.5), for
 *   - each TensorFlow.js backend available here (wasm, cpu),
 *   - adapter encoders (rank 16, the default on feature folders) and MLP encoders (hidden 128);
 *     identity encoders are left out, the harness refuses A2D with them (nothing shared trains),
 *   - the explicit-transpose custom-gradient dense layer and tf's own matMul gradient,
 *   - A2D + NP-Mix with outlier synthesis on (wasm, adapter, custom gradient),
 * the same architecture and loss in PyTorch on the CPU (bench/reference/training_reference.py,
 * with torch.set_num_threads(1) and with torch's default threads), and the grid throughput with
 * one Bun Worker per core training concurrently.
 *
 * Each measurement runs in a fresh process (or Worker): steps after a warm-up, timed from the
 * training loop's own step callback, so the numbers include batch assembly, dropout masks, the
 * forward and backward passes and the Adam update.
 * The custom gradient's speed-up is also measured A/B within one process (alternating segments
 * of two identical models), which machine noise cannot skew the way separate runs can.
 * Every TypeScript measurement is repeated (--repeat, interleaved) and the best run is reported
 * with all runs beside it: on a shared machine the best run is the one least disturbed.
 * Usage: bun bench/training.ts [--steps 150] [--repeat 3] [--only wasm] [--no-python] [--no-workers] [--out bench/out/training.json]
 *
 * `--cells` (issue 12) instead times a fixed set of cells end to end (bench/training-data.ts
 * cellsData: HMDB51-near's shape, 3 seeds x baseline / A2D / A2D + NP-Mix, 2 epochs, the adapter):
 * training and the outputs of every split, on one Worker per core as the grid runs them (one cell
 * per job; then the recipes of each seed as replicas of one trainReplicas loop), and the same cells
 * trained one after another by bench/reference/training_cells.py (PyTorch, all cores). Prints
 * reference / here and the peak RSS of each side.
 * Usage: bun bench/training.ts --cells [--lanes N] [--no-replicas] [--no-python] [--torch-threads N] [--out bench/out/training-cells.json]
 */
import { BATCH, benchData, CLASSES, DIMS } from './training-data.ts';
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Random } from '../methods/random.ts';

interface Case {
  readonly backend: 'wasm' | 'cpu';
  readonly encoder: 'adapter' | 'mlp';
  readonly gradient: 'custom' | 'builtin';
  readonly recipe: 'a2d' | 'a2d_npmix';
  readonly steps: number;
}

interface Measurement extends Case {
  readonly samplesPerSecond: number;
  /** every repetition's samples/s (the best is samplesPerSecond) */
  readonly runs?: readonly number[];
  readonly msPerStep: number;
  readonly timedSteps: number;
}

const WARMUP = 10;


async function measure(c: Case): Promise<Measurement> {
  const { initBackend } = await import('../harness/backend.ts');
  const { trainModel } = await import('../methods/training/train.ts');
  const { recipeById } = await import('../methods/training/recipes/index.ts');
  await initBackend(c.backend);
  const { benchmark, data } = benchData(c.steps);
  const times: number[] = [];
  await trainModel(data, {
    benchmark, modalities: ['video', 'flow'], recipe: recipeById(c.recipe)!, seed: 0,
    overrides: { encoder: c.encoder, ...(c.recipe === 'a2d_npmix' ? { queueSize: 4 } : {}) },
    builtinGradient: c.gradient === 'builtin',
    onStep: () => times.push(performance.now()),
  });
  const timed = times.length - 1 - WARMUP;
  const seconds = (times.at(-1)! - times[WARMUP]!) / 1000;
  return { ...c, samplesPerSecond: (timed * BATCH) / seconds, msPerStep: (seconds * 1000) / timed, timedSteps: timed };
}

interface GradientAB {
  readonly backend: Case['backend'];
  readonly encoder: Case['encoder'];
  /** median ms per step over the interleaved segments */
  readonly customMsPerStep: number;
  readonly builtinMsPerStep: number;
  /** builtin / custom: how much faster the explicit-transpose gradient trains */
  readonly speedup: number;
}

/**
 * The custom-gradient dense layer against tf's own matMul gradient, A/B in one process: two
 * identical models (same seed) train on the same batches in alternating segments, so machine
 * noise hits both alike; the medians of the segments' ms/step are compared. Times the training
 * step proper (upload, forward, backward, Adam), not batch assembly.
 */
async function measureGradientAB(backend: Case['backend'], encoder: Case['encoder'], segment: number, rounds: number): Promise<GradientAB> {
  const tf = await import('@tensorflow/tfjs-core');
  const { initBackend } = await import('../harness/backend.ts');
  const { Adam } = await import('../methods/training/adam.ts');
  const { MultimodalModel } = await import('../methods/training/model.ts');
  const { fillDropoutMask, trainStep } = await import('../methods/training/train.ts');
  const { recipeById } = await import('../methods/training/recipes/index.ts');
  await initBackend(backend);
  const cfg = recipeById('a2d')!.configure(benchData(1).benchmark.training, { encoder });
  const spec = { modalities: DIMS.map((dim, k) => ({ name: ['video', 'flow'][k]!, dim })), numClasses: CLASSES, encoder: cfg.encoder };
  const variants = (['custom', 'builtin'] as const).map((g) => {
    const model = new MultimodalModel(spec, new Random(0), { builtinGradient: g === 'builtin' });
    return { g, model, adam: new Adam(model.variables, { lr: cfg.lr, weightDecay: cfg.weightDecay }), ms: [] as number[] };
  });
  const rng = new Random(1);
  const pool = Array.from({ length: 8 }, () => {
    const masks = variants[0]!.model.embedDims.map((d) => { const m = new Float32Array(BATCH * d); fillDropoutMask(rng, m, 0.5); return m; });
    const inputs = DIMS.map((d) => Float32Array.from({ length: BATCH * d }, () => rng.normal()));
    return { inputs, masks, labels: Int32Array.from({ length: BATCH }, () => rng.int(CLASSES)) };
  });
  let next = 0;
  const step = (v: (typeof variants)[number]) => {
    const b = pool[next++ % pool.length]!;
    const inputs = DIMS.map((d, k) => tf.tensor2d(b.inputs[k]!, [BATCH, d]));
    const masks = b.masks.map((m, k) => tf.tensor2d(m, [BATCH, v.model.embedDims[k]!]));
    const labelsT = tf.tensor1d(b.labels, 'int32');
    trainStep(v.model, v.adam, cfg, { inputs, masks, labels: b.labels, labelsT }, { synthRng: rng, synthesisOn: false });
    tf.dispose([...inputs, ...masks, labelsT]);
  };
  for (const v of variants) for (let i = 0; i < WARMUP; i++) step(v);
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      const t = performance.now();
      for (let i = 0; i < segment; i++) step(v);
      v.ms.push((performance.now() - t) / segment);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [custom, builtin] = variants.map((v) => median(v.ms)) as [number, number];
  return { backend, encoder, customMsPerStep: custom, builtinMsPerStep: builtin, speedup: builtin / custom };
}

// ----- the fixed cells (issue 12): HMDB51-near shape, 3 seeds x baseline / A2D / A2D + NP-Mix ----

type CellsMode = 'cells' | 'replicas';
interface CellJob { readonly seed: number; readonly recipes: readonly string[] }
interface CellsMeasurement {
  readonly mode: CellsMode;
  readonly lanes: number;
  readonly seconds: number;
  readonly peakRssMiB: number;
  /** seconds per job (a cell, or the recipes of one seed as replicas), in completion order */
  readonly jobs: { readonly seed: number; readonly recipes: readonly string[]; readonly seconds: number }[];
}

/** Worker body: trains each job it is sent (trainModel per cell, or trainReplicas per seed), as a grid worker would. */
async function cellsWorker(): Promise<void> {
  const { initBackend } = await import('../harness/backend.ts');
  const { trainModel } = await import('../methods/training/train.ts');
  const { trainReplicas } = await import('../methods/training/replicas.ts');
  const { cellsData } = await import('./training-data.ts');
  await initBackend('wasm', { computeThreads: 1 });
  const { benchmark, data } = cellsData();
  const modalities = ['video', 'flow'];
  parentPort!.on('message', async (job: CellJob | null) => {
    if (job === null) return void parentPort!.close();
    const t = performance.now();
    if (job.recipes.length === 1) await trainModel(data, { benchmark, modalities, recipe: job.recipes[0]!, seed: job.seed });
    else await trainReplicas(data, { benchmark, modalities, seed: job.seed, replicas: job.recipes.map((recipe) => ({ recipe })) });
    parentPort!.postMessage({ ...job, seconds: (performance.now() - t) / 1000 });
  });
  parentPort!.postMessage('ready');
}

/** The fixed cells on `lanes` Workers (one job at a time each, the next job to the first free lane, as the grid runner does); in a fresh process. */
async function measureCells(mode: CellsMode, lanes: number): Promise<CellsMeasurement> {
  const { CELL_RECIPES, CELL_SEEDS } = await import('./training-data.ts');
  const queue: CellJob[] = mode === 'cells'
    ? CELL_SEEDS.flatMap((seed) => CELL_RECIPES.map((r) => ({ seed, recipes: [r] })))
    : CELL_SEEDS.map((seed) => ({ seed, recipes: [...CELL_RECIPES] }));
  const jobs: CellsMeasurement['jobs'][number][] = [];
  const workers = Array.from({ length: lanes }, () => new Worker(import.meta.path, { workerData: { cellsWorker: true } }));
  // data generation and backend start-up are not timed: both sides time training and outputs only
  await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))));
  const started = performance.now();
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    const next = () => {
      const job = queue.shift();
      if (!job) { w.postMessage(null); return resolve(); }
      w.postMessage(job);
    };
    w.on('message', (m: CellsMeasurement['jobs'][number]) => { jobs.push(m); next(); });
    w.once('error', reject);
    next();
  })));
  const seconds = (performance.now() - started) / 1000;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(await Bun.file('/proc/self/status').text());
  return { mode, lanes, seconds, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024, jobs };
}

async function cellsBenchmark(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({ args: argv, options: { cells: { type: 'boolean' }, lanes: { type: 'string' }, 'no-python': { type: 'boolean', default: false }, 'no-replicas': { type: 'boolean', default: false }, 'torch-threads': { type: 'string' }, out: { type: 'string', default: 'bench/out/training-cells.json' } } });
  const lanes = Number(o.lanes ?? availableParallelism());
  const child = (mode: CellsMode): CellsMeasurement => {
    const p = Bun.spawnSync([process.execPath, import.meta.path, '--cells-child', JSON.stringify([mode, lanes])], { stdout: 'pipe', stderr: 'pipe' });
    if (p.exitCode !== 0) throw new Error(`cells child ${mode} failed:\n${p.stderr.toString()}`);
    return JSON.parse(p.stdout.toString().trim().split('\n').pop()!) as CellsMeasurement;
  };
  const here = child('cells');
  console.error(`harness (${lanes} lanes, one cell per job): ${here.seconds.toFixed(1)} s, peak RSS ${here.peakRssMiB.toFixed(0)} MiB`);
  const replicas = o['no-replicas'] ? undefined : child('replicas');
  if (replicas) console.error(`harness (${lanes} lanes, the recipes of one seed as replicas of one loop): ${replicas.seconds.toFixed(1)} s, peak RSS ${replicas.peakRssMiB.toFixed(0)} MiB`);
  let torch: { torch: string; threads: number; cpus: number; seconds: number; peakRssMiB: number; cells: unknown[] } | undefined;
  const PYTHON = '/usr/bin/python3';
  if (!o['no-python'] && existsSync(PYTHON) && Bun.spawnSync([PYTHON, '-c', 'import torch']).exitCode === 0) {
    // all cores unless told (--torch-threads 1: on a machine shared with other jobs, torch's OpenMP
    // and OpenBLAS thread pools stall on descheduled threads; one thread then trains faster)
    const threads = Number(o['torch-threads'] ?? availableParallelism());
    const p = Bun.spawnSync([PYTHON, join(import.meta.dir, 'reference', 'training_cells.py'), `--threads=${threads}`], { stdout: 'pipe', stderr: 'pipe' });
    if (p.exitCode !== 0) throw new Error(`training_cells.py failed:\n${p.stderr.toString()}`);
    torch = JSON.parse(p.stdout.toString().trim().split('\n').pop()!);
    console.error(`PyTorch ${torch!.torch}, ${torch!.threads} threads, the same cells one after another: ${torch!.seconds.toFixed(1)} s, peak RSS ${torch!.peakRssMiB.toFixed(0)} MiB`);
    console.error(`reference / here: ${(torch!.seconds / here.seconds).toFixed(2)}${replicas ? ` (replicas: ${(torch!.seconds / replicas.seconds).toFixed(2)})` : ''}`);
  } else if (!o['no-python']) {
    console.error('PyTorch reference skipped: /usr/bin/python3 with torch not found');
  }
  const report = {
    cells: { shape: 'HMDB51-near: train 2074, val 445, test 459, OOD 3744 rows; video 2304 + flow 2048; C 25', seeds: [0, 1, 2], recipes: ['baseline', 'a2d', 'a2d_npmix'], epochs: 2, npmixStartEpoch: 1, encoder: 'adapter (rank 16)', outputs: 'train, val, test, OOD (logits, per-modality logits, features)' },
    machine: { cpus: availableParallelism(), bun: Bun.version, loadAverageAtEnd: loadavg() },
    here,
    replicas,
    torch,
    referenceOverHere: torch ? torch.seconds / here.seconds : undefined,
    referenceOverReplicas: torch && replicas ? torch.seconds / replicas.seconds : undefined,
    replicasOverCells: replicas ? here.seconds / replicas.seconds : undefined,
  };
  mkdirSync(dirname(o.out!), { recursive: true });
  writeFileSync(o.out!, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

// ----- child modes: one measurement in a fresh process, or in a Worker ------------------------
if (!isMainThread && (workerData as { cellsWorker?: boolean })?.cellsWorker) {
  await cellsWorker();
} else if (!isMainThread) {
  const m = await measure(workerData as Case);
  parentPort!.postMessage(m);
} else if (process.argv[2] === '--cells-child') {
  const [mode, lanes] = JSON.parse(process.argv[3]!) as [CellsMode, number];
  process.stdout.write(`${JSON.stringify(await measureCells(mode, lanes))}\n`);
  process.exit(0);
} else if (process.argv.includes('--cells')) {
  await cellsBenchmark(process.argv.slice(2));
  process.exit(0);
} else if (process.argv[2] === '--ab') {
  const [backend, encoder, segment, rounds] = JSON.parse(process.argv[3]!) as [Case['backend'], Case['encoder'], number, number];
  process.stdout.write(`${JSON.stringify(await measureGradientAB(backend, encoder, segment, rounds))}\n`);
  process.exit(0);
} else if (process.argv[2] === '--child') {
  const m = await measure(JSON.parse(process.argv[3]!) as Case);
  process.stdout.write(`${JSON.stringify(m)}\n`);
  process.exit(0);
} else {
  const { values: flags } = parseArgs({
    options: {
      steps: { type: 'string', default: '150' },
      repeat: { type: 'string', default: '3' },
      only: { type: 'string' },
      'no-python': { type: 'boolean', default: false },
      'no-workers': { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/out/training.json' },
    },
  });
  const steps = Number(flags.steps);
  const backends = (flags.only ? flags.only.split(',') : ['wasm', 'cpu']) as Case['backend'][];
  const child = (c: Case): Measurement => {
    const p = Bun.spawnSync([process.execPath, import.meta.path, '--child', JSON.stringify(c)], { stdout: 'pipe', stderr: 'pipe' });
    if (p.exitCode !== 0) throw new Error(`child ${JSON.stringify(c)} failed:\n${p.stderr.toString()}`);
    return JSON.parse(p.stdout.toString().trim().split('\n').pop()!) as Measurement;
  };

  const repeat = Math.max(1, Number(flags.repeat));
  const cases: Case[] = [];
  for (const backend of backends) {
    // the JS cpu backend is ~5x slower: fewer steps keep the run short
    const n = backend === 'cpu' ? Math.max(WARMUP + 20, Math.round(steps / 4)) : steps;
    for (const encoder of ['adapter', 'mlp'] as const) {
      for (const gradient of ['custom', 'builtin'] as const) cases.push({ backend, encoder, gradient, recipe: 'a2d', steps: n });
    }
  }
  if (backends.includes('wasm')) cases.push({ backend: 'wasm', encoder: 'adapter', gradient: 'custom', recipe: 'a2d_npmix', steps });
  const runs = cases.map(() => [] as Measurement[]);
  for (let r = 0; r < repeat; r++) cases.forEach((c, i) => runs[i]!.push(child(c)));
  const ts: Measurement[] = cases.map((c, i) => {
    const all = runs[i]!;
    const best = all.reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a));
    console.error(`${c.backend} ${c.encoder} ${c.gradient} ${c.recipe}: ${best.samplesPerSecond.toFixed(0)} samples/s (${best.msPerStep.toFixed(2)} ms/step; runs ${all.map((m) => m.samplesPerSecond.toFixed(0)).join(', ')})`);
    return { ...best, runs: all.map((m) => m.samplesPerSecond) };
  });

  // The custom gradient's speed-up, measured A/B in one process (robust to machine noise).
  const gradientAB: GradientAB[] = [];
  for (const backend of backends) {
    for (const encoder of ['adapter', 'mlp'] as const) {
      const [segment, rounds] = backend === 'cpu' ? [4, 6] : [15, 10];
      const p = Bun.spawnSync([process.execPath, import.meta.path, '--ab', JSON.stringify([backend, encoder, segment, rounds])], { stdout: 'pipe', stderr: 'pipe' });
      if (p.exitCode !== 0) throw new Error(`A/B ${backend} ${encoder} failed:\n${p.stderr.toString()}`);
      const ab = JSON.parse(p.stdout.toString().trim().split('\n').pop()!) as GradientAB;
      console.error(`A/B ${backend} ${encoder}: custom ${ab.customMsPerStep.toFixed(2)} ms/step, builtin ${ab.builtinMsPerStep.toFixed(2)} ms/step: x${ab.speedup.toFixed(2)}`);
      gradientAB.push(ab);
    }
  }

  // PyTorch CPU reference, same job
  const PYTHON = '/usr/bin/python3';
  const pyRef = join(import.meta.dir, 'reference', 'training_reference.py');
  let torch: { torch: string; defaultThreads: number; cpus: number; results: { threads: number; encoder: string; samplesPerSecond: number }[] } | undefined;
  if (!flags['no-python'] && existsSync(PYTHON) && Bun.spawnSync([PYTHON, '-c', 'import torch']).exitCode === 0) {
    const p = Bun.spawnSync([PYTHON, pyRef, '--steps', String(steps), '--repeat', String(repeat)], { stdout: 'pipe', stderr: 'pipe' });
    if (p.exitCode !== 0) throw new Error(`training_reference.py failed:\n${p.stderr.toString()}`);
    torch = JSON.parse(p.stdout.toString().trim().split('\n').pop()!);
    for (const t of torch!.results) console.error(`torch ${torch!.torch}, ${t.threads} thread(s), ${t.encoder}: ${t.samplesPerSecond.toFixed(0)} samples/s`);
  } else if (!flags['no-python']) {
    console.error('PyTorch reference skipped: /usr/bin/python3 with torch not found');
  }

  // Grid: one Worker per core, each training its own model concurrently (wasm, adapter, custom).
  let grid: Record<string, unknown> | undefined;
  if (!flags['no-workers'] && backends.includes('wasm')) {
    const workers = availableParallelism();
    const c: Case = { backend: 'wasm', encoder: 'adapter', gradient: 'custom', recipe: 'a2d', steps };
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: workers }, () => new Promise<Measurement>((resolve, reject) => {
      const w = new Worker(import.meta.path, { workerData: c });
      w.once('message', (m: Measurement) => { resolve(m); void w.terminate(); });
      w.once('error', reject);
    })));
    const single = ts.find((m) => m.backend === 'wasm' && m.encoder === 'adapter' && m.gradient === 'custom' && m.recipe === 'a2d');
    const total = results.reduce((s, m) => s + m.samplesPerSecond, 0);
    grid = {
      workers,
      perWorkerSamplesPerSecond: results.map((m) => m.samplesPerSecond),
      totalSamplesPerSecond: total,
      vsOneProcess: single ? total / single.samplesPerSecond : undefined,
      wallSeconds: (performance.now() - started) / 1000,
    };
    console.error(`grid, ${workers} workers: ${total.toFixed(0)} samples/s in total`);
  }

  const report = {
    shape: { inputs: DIMS, classes: CLASSES, batch: BATCH, hidden: 128, loss: 'A2D (CE average + Hellinger), Adam 1e-4/1e-4, dropout 0.5' },
    machine: { cpus: availableParallelism(), bun: Bun.version, loadAverageAtEnd: loadavg() },
    tfjs: ts,
    customGradientAB: gradientAB,
    torch,
    grid,
  };
  mkdirSync(dirname(flags.out!), { recursive: true });
  writeFileSync(flags.out!, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exit(0);
}
