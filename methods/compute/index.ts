/**
 * The float32 compute module: one pluggable product, C = A·Bᵀ (see backend.ts for the
 * interface and its accuracy contract).
 *
 * Backends:
 * - 'wasm-simd' (wasm.ts): a hand-assembled WebAssembly SIMD GEMM, optionally multi-threaded
 *   with workers sharing its memory. Compiles synchronously from ~1 kB of bytes, so it needs no
 *   asynchronous set-up and no dependency.
 * - 'js' (js.ts): plain JavaScript with float64 accumulation; the fallback where WebAssembly
 *   SIMD is unavailable. Roughly 6x slower than single-threaded wasm.
 * Another backend (e.g. WebGPU, which needs asynchronous start-up) only has to implement
 * ComputeBackend and be chosen in initCompute().
 *
 * Before initCompute() runs, getCompute() returns the single-threaded wasm backend when the
 * engine supports WebAssembly SIMD and the JS backend otherwise: synchronous scorers work either
 * way, initCompute() (called once by the harness at start-up, and by tests in beforeAll) only adds
 * worker threads or picks another backend.
 */
import type { ComputeBackend } from './backend.ts';
import { checkOperand } from './backend.ts';
import { jsBackend } from './js.ts';
import { createWasmBackend } from './wasm.ts';
import { wasmSimdSupported } from './wasm-kernel.ts';
import { setDgemmThreads } from './dgemm-pool.ts';
import { compileRowMax } from './row-max.ts';

export type { ComputeBackend, PreparedRight, PreparedRightInt16Pairs } from './backend.ts';
export { dotErrorBound, F32_UNIT_ROUNDOFF } from './backend.ts';
export { jsBackend } from './js.ts';
export { createWasmBackend, wasmWorkerChunks, type WasmBackendOptions } from './wasm.ts';
export { wasmSimdSupported } from './wasm-kernel.ts';
export { dgemmAvailable, dgemmWorkerUnits, getDgemmThreads, setDgemmThreads } from './dgemm-pool.ts';

let active: ComputeBackend | undefined;

export interface InitComputeOptions {
  /** 'auto' (default): wasm-simd when supported, else js. */
  backend?: 'auto' | 'wasm' | 'js';
  /**
   * Threads for the wasm backend, the calling one included. Default: the machine's available
   * parallelism (navigator.hardwareConcurrency), at most 8.
   */
  threads?: number;
}

/** Chooses the process-wide backend; call once at start-up. Returns the backend chosen. */
export async function initCompute(options: InitComputeOptions = {}): Promise<ComputeBackend> {
  const want = options.backend ?? 'auto';
  // The float64 kernel (methods/linalg products) uses as many threads as the float32 backend.
  setDgemmThreads(want === 'js' ? 1 : (options.threads ?? defaultThreads()));
  if (want === 'js') {
    active = jsBackend;
  } else if (wasmSimdSupported()) {
    active = createWasmBackend({ threads: options.threads ?? defaultThreads() });
    compileRowMax();
  } else if (want === 'wasm') {
    throw new Error('initCompute: WebAssembly SIMD is not supported by this engine');
  } else {
    active = jsBackend;
  }
  return active;
}

/** The backend scorers should use (see the module comment for the default before initCompute). */
export function getCompute(): ComputeBackend {
  active ??= wasmSimdSupported() ? createWasmBackend({ threads: 1 }) : jsBackend;
  return active;
}

/** Replaces the process-wide backend (tests, benchmarks). */
export function setCompute(backend: ComputeBackend): void {
  active = backend;
}

/** One-shot C = A·Bᵀ (row-major, A rowsA x cols, B rowsB x cols) on the given or active backend. */
export function matmulABt(
  a: Float32Array,
  rowsA: number,
  b: Float32Array,
  rowsB: number,
  cols: number,
  backend: ComputeBackend = getCompute(),
): Float32Array {
  checkOperand('matmulABt', a, rowsA, cols);
  const right = backend.prepareRight(b, rowsB, cols);
  try {
    return right.multiply(a, rowsA);
  } finally {
    right.dispose();
  }
}

function defaultThreads(): number {
  const n = typeof navigator === 'object' ? Number(navigator.hardwareConcurrency) : NaN;
  return Number.isFinite(n) && n >= 1 ? Math.min(8, Math.floor(n)) : 1;
}
