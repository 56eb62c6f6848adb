import { optionalImport } from './optional-import.ts';
import * as tf from '@tensorflow/tfjs-core';
import { initCompute, type ComputeBackend } from '../methods/compute/index.ts';
import { InputError } from './errors.ts';
import type { WebGpuAdapter } from './webgpu.ts';

/**
 * The process-wide compute set-up: the TensorFlow.js backend that training runs on, and the
 * float32 kernels the nearest-neighbour scorers use (methods/compute). Called once at start-up by
 * every command that trains or scores.
 *
 * - 'wasm' (default): @tensorflow/tfjs-backend-wasm with SIMD, single-threaded: its threaded build
 *   needs SharedArrayBuffer workers that it cannot start under Bun. Deterministic.
 * - 'cpu': @tensorflow/tfjs-backend-cpu, plain JavaScript (slower; a cross-check).
 * - 'webgpu': @tensorflow/tfjs-backend-webgpu on Dawn (npm "webgpu") over the machine's Vulkan
 *   driver (harness/webgpu.ts); float32 on the GPU, so numbers differ from wasm in the last bits.
 *   The scorers stay on the CPU (float64 linalg, wasm SIMD KNN) whatever the backend.
 * - 'tensorflow': @tensorflow/tfjs-node-gpu, else @tensorflow/tfjs-node.
 * 'webgpu' and 'tensorflow' are loaded only when their packages are installed (they are not
 * dependencies of the project: tfjs-node downloads libtensorflow at install time).
 */
export const BACKEND_NAMES = ['wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** The name asked for. */
  readonly name: BackendName;
  /** tf.getBackend() after set-up. */
  readonly tfBackend: string;
  /** wasm only: whether the SIMD build runs. */
  readonly simd?: boolean;
  /** webgpu only: the GPU adapter Dawn chose (software: lavapipe, CPU speeds). */
  readonly adapter?: WebGpuAdapter;
  /** The scorers' float32 compute backend (methods/compute). */
  readonly compute: string;
  readonly computeThreads: number;
}

export interface InitBackendOptions {
  /** Threads for the scorers' wasm kernels (default: methods/compute's default). */
  readonly computeThreads?: number;
}


async function activate(name: string, what: string): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new InputError(`${what}: backend "${name}" failed to start: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (!ok || tf.getBackend() !== name) throw new InputError(`${what}: backend "${name}" is installed but could not start in this runtime`);
  await tf.ready();
}

/**
 * The wasm module's Emscripten start-up installs process-wide 'uncaughtException' and
 * 'unhandledRejection' listeners that re-throw (and its own clean-up of them is broken), which
 * turns every later error of the process into an Emscripten stack and exit code 7. Remove what
 * it added so the harness's one-line errors and exit codes stay as they are.
 */
async function withoutEmscriptenHandlers(start: () => Promise<void>): Promise<void> {
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const before = Object.fromEntries(events.map((e) => [e, new Set(process.listeners(e))]));
  try {
    await start();
  } finally {
    for (const e of events) {
      for (const l of process.listeners(e)) if (!before[e]!.has(l)) process.removeListener(e, l as (...args: unknown[]) => void);
    }
  }
}

let computeBackend: ComputeBackend | undefined;

export async function initBackend(name: BackendName = 'wasm', o: InitBackendOptions = {}): Promise<BackendInfo> {
  let simd: boolean | undefined;
  let adapter: WebGpuAdapter | undefined;
  switch (name) {
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      // The threaded wasm build needs workers sharing memory, which it cannot start under Bun.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      await withoutEmscriptenHandlers(() => activate('wasm', '--backend wasm'));
      simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean;
      break;
    }
    case 'cpu': {
      await import('@tensorflow/tfjs-backend-cpu');
      // Its first use prints a banner advising tfjs-node (which this project cannot install).
      tf.env().set('PROD', true);
      await activate('cpu', '--backend cpu');
      break;
    }
    case 'webgpu': {
      // Dawn (npm "webgpu") on the machine's Vulkan driver: harness/webgpu.ts.
      const { registerWebGpuBackend } = await import('./webgpu.ts');
      adapter = await registerWebGpuBackend();
      await activate('webgpu', `--backend webgpu (${adapter.description})`);
      break;
    }
    case 'tensorflow': {
      const mod = (await optionalImport('@tensorflow/tfjs-node-gpu')) ?? (await optionalImport('@tensorflow/tfjs-node'));
      if (!mod) throw new InputError('--backend tensorflow needs libtensorflow bindings: npm install @tensorflow/tfjs-node@4.22.0 (or @tensorflow/tfjs-node-gpu@4.22.0 for CUDA)');
      if (!tf.findBackendFactory('tensorflow')) {
        throw new InputError('--backend tensorflow: @tensorflow/tfjs-node is installed but registered its backend with another copy of @tensorflow/tfjs-core; install the same version (4.22.0) as the project');
      }
      await activate('tensorflow', '--backend tensorflow');
      break;
    }
    default:
      throw new InputError(`--backend ${String(name)}: expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  computeBackend ??= await initCompute(o.computeThreads ? { threads: o.computeThreads } : {});
  return { name, tfBackend: tf.getBackend(), ...(simd === undefined ? {} : { simd }), ...(adapter ? { adapter } : {}), compute: computeBackend.name, computeThreads: computeBackend.threads };
}
