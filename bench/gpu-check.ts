/**
 * Benchmark (not a test): --backend webgpu against --backend wasm, for bench/gpu-check.sh.
 *
 *   bun bench/gpu-check.ts [--steps 60] [--batches 16,256] [--gemm-rows 4096] [--gemm-fit 8192] [--out FILE]
 *   (gemm default 4096 x 8192, or 1024 x 2048 on a software adapter)
 *
 * 1. Training throughput (samples/s) of the MultiOOD video+flow model at 2304 + 2048 inputs,
 *    C = 25, batch 16, A2D loss, Adam (as bench/training.ts), adapter (rank 16, the default) and
 *    MLP (hidden 128) encoders, on webgpu then wasm, in this one process; the first 10 steps are
 *    warm-up (WebGPU compiles its shaders there). (Identity encoders: A2D refuses them, as it could
 *    not change the fused head.) Then the batched trainer (methods/training/replicas.ts): the
 *    recipes of one seed (baseline, A2D, A2D + NP-Mix, adapter) as replicas of one loop;
 *    samples/s there counts each replica's samples (steps x batch x 3).
 *    Then the adapter A2D cell at each larger batch of --batches (30 steps, not the paper's
 *    batch 16): where per-kernel launch cost stops bounding the GPU, if it ever does.
 * 2. The heavy part of the scorer sweep, KNN's float32 product C = A·Bᵀ at Kinetics-600 width
 *    (D = 4352): the scorers' own kernel (methods/compute: wasm SIMD, one worker per core) against
 *    tf.matMul(a, b, false, true) on webgpu (upload, product and read-back included), with the
 *    largest difference between the two. The scorers stay on the CPU; this says what moving KNN
 *    to the GPU would give.
 * Prints one JSON object and writes it to --out (default $OUT/gpu-check.json, else
 * bench/out/gpu-check.json).
 */
import { BATCH, benchData, CLASSES, DIMS } from './training-data.ts';
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../harness/backend.ts';
import { initCompute } from '../methods/compute/index.ts';
import { Random } from '../methods/random.ts';
import { recipeById } from '../methods/training/recipes/index.ts';
import { trainModel } from '../methods/training/train.ts';
import { trainReplicas } from '../methods/training/replicas.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '60' },
    batches: { type: 'string', default: '16,256' },
    'gemm-rows': { type: 'string' },
    'gemm-fit': { type: 'string' },
    out: { type: 'string' },
  },
});
const STEPS = Number(args.steps);
/** batch sizes beyond the paper's 16 at which the adapter A2D cell is also timed */
const LARGE_BATCHES = args.batches.split(',').filter(Boolean).map(Number).filter((b) => b !== BATCH);
const LARGE_BATCH_STEPS = 30;
const WARMUP = 10;


interface TrainingMeasurement {
  backend: string;
  encoder: Encoder;
  batch: number;
  /** trainReplicas: the recipes trained as replicas of one loop (absent: trainModel, A2D alone) */
  replicas?: string[];
  samplesPerSecond: number;
  msPerStep: number;
  timedSteps: number;
  /** fused test logits of the trained model, for the webgpu/wasm comparison */
  logits?: Float32Array | Float64Array;
}

type Encoder = 'adapter' | 'mlp';
const REPLICA_RECIPES = ['baseline', 'a2d', 'a2d_npmix'];

async function measureReplicas(backend: 'webgpu' | 'wasm', bench: ReturnType<typeof benchData>): Promise<TrainingMeasurement> {
  await initBackend(backend);
  const times: number[] = [];
  const r = await trainReplicas(bench.data, {
    benchmark: bench.benchmark, modalities: ['video', 'flow'], seed: 0,
    replicas: REPLICA_RECIPES.map((recipe) => ({ recipe, overrides: { encoder: 'adapter' }, trainOutputs: false })),
    onStep: () => times.push(performance.now()),
  });
  const timed = times.length - 1 - WARMUP;
  const seconds = (times.at(-1)! - times[WARMUP]!) / 1000;
  tf.disposeVariables();
  return {
    backend, encoder: 'adapter', batch: BATCH, replicas: REPLICA_RECIPES, samplesPerSecond: (timed * BATCH * REPLICA_RECIPES.length) / seconds,
    msPerStep: (seconds * 1000) / timed, timedSteps: timed, logits: r[1]!.outputs.id.test.logits.data,
  };
}

async function measureTraining(backend: 'webgpu' | 'wasm', encoder: Encoder, bench: ReturnType<typeof benchData>, batch = BATCH): Promise<TrainingMeasurement> {
  await initBackend(backend);
  const times: number[] = [];
  const r = await trainModel(bench.data, {
    benchmark: bench.benchmark, modalities: ['video', 'flow'], recipe: recipeById('a2d')!, seed: 0,
    overrides: { ...(encoder === 'mlp' ? { encoder, hidden: 128 } : { encoder }), batchSize: batch }, trainOutputs: false,
    onStep: () => times.push(performance.now()),
  });
  const timed = times.length - 1 - WARMUP;
  const seconds = (times.at(-1)! - times[WARMUP]!) / 1000;
  tf.disposeVariables();
  return { backend, encoder, batch, samplesPerSecond: (timed * batch) / seconds, msPerStep: (seconds * 1000) / timed, timedSteps: timed, logits: r.outputs.id.test.logits.data };
}

async function measureGemm(rows: number, fit: number, dim: number) {
  const rng = new Random(3);
  // post-ReLU-like features, as KNN sees them
  const a = Float32Array.from({ length: rows * dim }, () => Math.max(0, rng.normal()));
  const b = Float32Array.from({ length: fit * dim }, () => Math.max(0, rng.normal()));
  const compute = await initCompute();
  let t = performance.now();
  const prepared = compute.prepareRight(b, fit, dim);
  const prepareMs = performance.now() - t;
  t = performance.now();
  const ref = prepared.multiply(a, rows);
  const wasmMs = performance.now() - t;
  prepared.dispose();

  await initBackend('webgpu');
  const run = async () => {
    const t0 = performance.now();
    const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [rows, dim]), tf.tensor2d(b, [fit, dim]), false, true));
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return { ms: performance.now() - t0, values };
  };
  const first = await run(); // shader compilation
  const second = await run();
  let maxRel = 0;
  for (let i = 0; i < ref.length; i += 97) maxRel = Math.max(maxRel, Math.abs(second.values[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
  const gflop = (2 * rows * fit * dim) / 1e9;
  return {
    rows, fit, dim, gflop,
    wasm: { backend: compute.name, threads: compute.threads, prepareMs, ms: wasmMs, gflops: gflop / ((wasmMs + prepareMs) / 1000) },
    webgpu: { firstMs: first.ms, ms: second.ms, gflops: gflop / (second.ms / 1000) },
    maxRelativeDifference: maxRel,
  };
}

const started = performance.now();
const info: Partial<Record<'webgpu' | 'wasm', BackendInfo | string>> = {};
const results: Record<string, unknown> = {
  when: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), loadavg: loadavg() },
  steps: STEPS, batch: BATCH, dims: DIMS, classes: CLASSES,
  // set by bench/gpu-check.sh: how Vulkan was found, and the correctness test's result
  ...(process.env.GPU_CHECK_VULKAN ? { vulkan: process.env.GPU_CHECK_VULKAN } : {}),
  ...(process.env.GPU_CHECK_TEST_RC ? { correctnessTest: { rc: Number(process.env.GPU_CHECK_TEST_RC), summary: process.env.GPU_CHECK_TEST_SUMMARY ?? '' } } : {}),
};
try {
  info.webgpu = await initBackend('webgpu');
} catch (e) {
  info.webgpu = e instanceof Error ? e.message : String(e);
}
info.wasm = await initBackend('wasm');
results.backends = info;

const training: TrainingMeasurement[] = [];
/** Records one webgpu/wasm pair: both measurements, and the largest difference of their logits. */
function recordPair(key: string, label: string, gpu: TrainingMeasurement, cpu: TrainingMeasurement): void {
  let d = 0;
  for (let i = 0; i < gpu.logits!.length; i++) d = Math.max(d, Math.abs(gpu.logits![i]! - cpu.logits![i]!));
  for (const m of [gpu, cpu]) {
    delete m.logits;
    training.push(m);
  }
  results[`logitsMaxAbsDiff_${key}`] = d;
  process.stderr.write(`training ${label}: webgpu ${gpu.samplesPerSecond.toFixed(0)} samples/s, wasm ${cpu.samplesPerSecond.toFixed(0)} samples/s, max |Δ logits| ${d.toExponential(2)}\n`);
}
if (typeof info.webgpu === 'object') {
  const bench = benchData(STEPS);
  for (const encoder of ['adapter', 'mlp', 'replicas'] as const) {
    const run = (backend: 'webgpu' | 'wasm') => (encoder === 'replicas' ? measureReplicas(backend, bench) : measureTraining(backend, encoder, bench));
    const gpu = await run('webgpu');
    recordPair(encoder, encoder, gpu, await run('wasm'));
  }
  for (const batch of LARGE_BATCHES) {
    const large = benchData(LARGE_BATCH_STEPS, batch);
    const gpu = await measureTraining('webgpu', 'adapter', large, batch);
    recordPair(`adapter_batch${batch}`, `adapter, batch ${batch}`, gpu, await measureTraining('wasm', 'adapter', large, batch));
  }
  results.training = training;
  // a software adapter (lavapipe) does ~1.5 GFLOP/s: keep its product small
  const software = info.webgpu.adapter?.software ?? false;
  const gemmRows = Number(args['gemm-rows'] ?? (software ? 1024 : 4096));
  const gemmFit = Number(args['gemm-fit'] ?? (software ? 2048 : 8192));
  try {
    results.knnGemm = await measureGemm(gemmRows, gemmFit, 4352);
  } catch (e) {
    results.knnGemm = { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}
results.seconds = (performance.now() - started) / 1000;

const out = args.out ?? join(process.env.OUT || join(import.meta.dir, 'out'), 'gpu-check.json');
mkdirSync(dirname(out), { recursive: true });
const json = JSON.stringify(results, null, 2);
writeFileSync(out, `${json}\n`);
process.stdout.write(`${json}\n`);
process.stderr.write(`wrote ${out}\n`);
process.exit(0); // the wasm scorers' worker threads would keep the process alive
