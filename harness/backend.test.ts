import { afterAll, describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend.ts';
import { InputError } from './errors.ts';
import { probeWebGpu, releaseWebGpu } from './webgpu.ts';

const previous = tf.getBackend();
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

describe('initBackend', () => {
  test('wasm (default): SIMD, and the scorers\' compute backend is set up', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(info.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.compute.length).toBeGreaterThan(0);
    expect(info.computeThreads).toBeGreaterThanOrEqual(1);
  });

  test('cpu', async () => {
    const info = await initBackend('cpu');
    expect(info.tfBackend).toBe('cpu');
    expect(tf.tidy(() => Array.from(tf.add(tf.tensor([1, 2]), 1).dataSync()))).toEqual([2, 3]);
  });

  test('tensorflow without tfjs-node(-gpu): one InputError line naming what to install', async () => {
    const installed = await import('@tensorflow/tfjs-node' as string).then(() => true, () => false);
    if (installed) return;
    const err = await initBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      '--backend tensorflow needs libtensorflow bindings: npm install @tensorflow/tfjs-node@4.22.0 (or @tensorflow/tfjs-node-gpu@4.22.0 for CUDA)',
    );
  });

  test('webgpu: works where Dawn finds an adapter (harness/webgpu.test.ts), else one InputError line naming what to install', async () => {
    const probe = await probeWebGpu();
    const result = await initBackend('webgpu').catch((e: unknown) => e);
    if (probe.ok) {
      expect((result as { tfBackend: string }).tfBackend).toBe('webgpu');
      await initBackend('wasm');
      releaseWebGpu();
      return;
    }
    expect(result).toBeInstanceOf(InputError);
    const message = (result as Error).message;
    expect(message).not.toContain('\n');
    // missing packages name the npm command; a missing driver names the Vulkan driver and scripts/setup-lavapipe.sh
    expect(message).toMatch(/npm install @tensorflow\/tfjs-backend-webgpu@4\.22\.0 webgpu@|scripts\/setup-lavapipe\.sh/);
  });

  test('an unknown name is an InputError', async () => {
    await expect(initBackend('tpu' as never)).rejects.toBeInstanceOf(InputError);
  });
});
