import { afterAll, describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import { recipeById } from '../methods/training/recipes/index.ts';
import { tinyBenchmark } from '../methods/training/test-helpers.ts';
import { trainModel, type TrainResult } from '../methods/training/train.ts';
import { initBackend } from './backend.ts';
import { probeWebGpu, releaseWebGpu } from './webgpu.ts';

/**
 * --backend webgpu against --backend wasm. Runs only where Dawn (npm "webgpu" +
 * @tensorflow/tfjs-backend-webgpu) finds a GPU adapter; elsewhere it is skipped with a warning.
 *
 * Tolerances (float32 on different hardware; summation order differs between the WGSL and wasm
 * kernels): measured on lavapipe (Mesa 25.0.7, llvmpipe) after 3 epochs of A2D + NP-Mix with MLP
 * encoders, fused logits differ by at most ~1e-6 absolute (see the test's log line); asserted: 1e-3
 * on logits and features, 1e-4 on the per-epoch losses, and identical argmax predictions on all but
 * a rounding tie.
 */
const probe = await probeWebGpu(15_000);
if (!probe.ok) {
  console.warn(
    `harness/webgpu.test.ts: SKIPPED, no WebGPU here (${probe.reason}). To run it: npm install @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu@0.6.2, ` +
      'and a Vulkan driver (GPU driver, or software: sudo scripts/setup-lavapipe.sh)',
  );
}

const previous = tf.getBackend();
afterAll(async () => {
  await tf.setBackend(previous && previous !== 'webgpu' ? previous : 'wasm');
  if (probe.ok) releaseWebGpu();
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe.skipIf(!probe.ok)(`--backend webgpu (${probe.adapter?.description ?? 'no adapter'})`, () => {
  test('initBackend: webgpu is the tf backend, the adapter is reported, sync and async reads agree', async () => {
    const info = await initBackend('webgpu');
    expect(info.tfBackend).toBe('webgpu');
    expect(info.adapter?.description.length).toBeGreaterThan(0);
    const a = tf.tensor2d(Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), [64, 48]);
    const b = tf.tensor2d(Float32Array.from({ length: 48 * 32 }, (_, i) => Math.cos(i)), [48, 32]);
    const c = tf.matMul(a, b);
    const sync = c.dataSync() as Float32Array; // a synchronous GPU read (harness/webgpu.ts)
    const d = tf.matMul(a, b);
    const asyncValues = (await d.data()) as Float32Array;
    expect(Array.from(sync)).toEqual(Array.from(asyncValues));
    await initBackend('wasm');
    const ref = tf.matMul(tf.tensor2d(a.dataSync(), [64, 48]), tf.tensor2d(b.dataSync(), [48, 32])).dataSync();
    expect(maxAbsDiff(sync, ref)).toBeLessThan(1e-4);
    tf.disposeVariables();
  });

  test('reproducible: a batch-16 x 2304 product (where tfjs would pick its atomics-based split-K matmul) gives the same bits every time', async () => {
    await initBackend('webgpu');
    const x = tf.tensor2d(Float32Array.from({ length: 16 * 2304 }, (_, i) => Math.sin(i * 0.37) * 3), [16, 2304]);
    const w = tf.tensor2d(Float32Array.from({ length: 2304 * 25 }, (_, i) => Math.cos(i * 0.11)), [2304, 25]);
    const runs = Array.from({ length: 4 }, () => Array.from(tf.matMul(x, w).dataSync()).join(','));
    expect(new Set(runs).size).toBe(1);
    await initBackend('wasm');
  });

  test('training: same seed on webgpu and wasm gives the same model to float32 rounding (A2D + NP-Mix, MLP encoders, 3 epochs)', async () => {
    const { benchmark, data, modalities } = tinyBenchmark({ encoder: 'mlp', epochs: 3, classes: 4, dims: [12, 8] });
    const run = async (backend: 'webgpu' | 'wasm'): Promise<TrainResult> => {
      await initBackend(backend);
      return trainModel(data, {
        benchmark, modalities, recipe: recipeById('a2d_npmix')!, seed: 5,
        overrides: { lr: 1e-3, hidden: 16, startEpoch: 0, queueSize: 4 },
      });
    };
    const gpu = await run('webgpu');
    const cpu = await run('wasm');
    expect(gpu.curve.some((e) => e.synthesisSteps > 0)).toBe(true);
    const logits = maxAbsDiff(gpu.outputs.id.test.logits.data, cpu.outputs.id.test.logits.data);
    const features = maxAbsDiff(gpu.outputs.ood.get('near')!.features.data, cpu.outputs.ood.get('near')!.features.data);
    const losses = maxAbsDiff(gpu.curve.map((e) => e.loss), cpu.curve.map((e) => e.loss));
    console.log(`webgpu vs wasm after 3 epochs: max |Δ| logits ${logits.toExponential(2)}, OOD features ${features.toExponential(2)}, epoch losses ${losses.toExponential(2)}`);
    expect(logits).toBeLessThan(1e-3);
    expect(features).toBeLessThan(1e-3);
    expect(losses).toBeLessThan(1e-4);
    expect(gpu.bestEpoch).toBe(cpu.bestEpoch);
    expect(gpu.bestValAcc).toBeCloseTo(cpu.bestValAcc, 12);
  }, 120_000);
});

describe('probeWebGpu', () => {
  test('answers (never throws or hangs) with an adapter or a one-line reason', () => {
    expect(typeof probe.ok).toBe('boolean');
    if (!probe.ok) expect(probe.reason).not.toContain('\n');
    else expect(probe.adapter!.description.length).toBeGreaterThan(0);
  });
});
