import { afterAll, describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend.ts';
import { InputError } from './errors.ts';

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

  test('webgpu and tensorflow without their packages: one InputError line naming what to install', async () => {
    for (const [name, pkg] of [['webgpu', '@tensorflow/tfjs-backend-webgpu'], ['tensorflow', '@tensorflow/tfjs-node']] as const) {
      const err = await initBackend(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(`npm install ${pkg}`);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  test('an unknown name is an InputError', async () => {
    await expect(initBackend('tpu' as never)).rejects.toBeInstanceOf(InputError);
  });
});
