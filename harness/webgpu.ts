import { optionalImport } from './optional-import.ts';
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from './errors.ts';

/**
 * WebGPU for TensorFlow.js under Bun: Bun has no navigator.gpu, so the GPU object comes from Dawn,
 * which the npm package `webgpu` ships prebuilt (dist/linux-x64/dawn.node) and which drives the
 * machine's Vulkan driver (an NVIDIA/AMD/Intel driver, or Mesa's lavapipe in software:
 * scripts/setup-lavapipe.sh). Neither `webgpu` nor `@tensorflow/tfjs-backend-webgpu` is a
 * dependency of the project: both are imported only here, when `--backend webgpu` is asked for.
 *
 * The adapter and device are requested here (with a timeout, so a broken driver can never hang
 * the process) and the tfjs backend is registered with that device, rather than through the
 * package's own registration (which runs only when navigator.gpu exists at import, waits without
 * a limit, and asks for one feature in a malformed way).
 */

/** The packages to install, as one npm command (exact versions: tfjs-core is 4.22.0). */
export const WEBGPU_PACKAGES = 'npm install @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu@0.6.2';
const VULKAN_HINT =
  'a Vulkan driver (NVIDIA driver with its Vulkan ICD, or Mesa lavapipe >= 25 for software: scripts/setup-lavapipe.sh) and libvulkan1';

/** The little of the WebGPU API used here (the project's lib has no DOM types). */
interface GpuAdapterLike {
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number>;
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly device?: string; readonly description?: string };
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GpuDeviceLike>;
}
interface GpuDeviceLike {
  readonly features: ReadonlySet<string>;
  destroy(): void;
  readonly lost?: Promise<unknown>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

export interface WebGpuAdapter {
  /** e.g. "llvmpipe (LLVM 15.0.6, 256 bits)" or "NVIDIA H100 80GB HBM3" */
  readonly description: string;
  readonly vendor: string;
  /** true for a software adapter (lavapipe / SwiftShader): expect CPU speeds */
  readonly software: boolean;
}

export interface WebGpuProbe {
  readonly ok: boolean;
  readonly adapter?: WebGpuAdapter;
  /** why there is no adapter (one line), when !ok */
  readonly reason?: string;
}


function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

let gpu: GpuLike | undefined;

/** Dawn's GPU object (created once per process), installing WebGPU's globals (GPUBufferUsage, ...) that tfjs reads. */
async function dawnGpu(): Promise<GpuLike> {
  if (gpu) return gpu;
  const mod = (await optionalImport('webgpu')) as { create?: (options: string[]) => GpuLike; globals?: object } | undefined;
  if (!mod?.create || !mod.globals) throw new InputError(`--backend webgpu needs Dawn for Bun (the npm package "webgpu"): ${WEBGPU_PACKAGES}`);
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  hookSetImmediate();
  const options = (process.env.MULTIOOD_DAWN_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  try {
    gpu = mod.create(options);
  } catch (e) {
    throw new InputError(`--backend webgpu: Dawn (webgpu package) failed to start: ${firstLine(e)}`);
  }
  // tfjs-backend-webgpu checks globalThis.navigator.gpu before every backend it constructs.
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: unknown };
  if (!nav.gpu) {
    try {
      Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, enumerable: true, writable: true });
    } catch {
      Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu }, configurable: true, writable: true });
    }
  }
  return gpu;
}

function describeAdapter(a: GpuAdapterLike): WebGpuAdapter {
  const info = a.info ?? {};
  const description = info.description || info.device || info.architecture || 'unknown adapter';
  const vendor = info.vendor ?? '';
  return { description, vendor, software: /llvmpipe|lavapipe|swiftshader/i.test(`${description} ${info.architecture ?? ''}`) };
}

async function requestAdapter(timeoutMs: number): Promise<GpuAdapterLike> {
  const g = await dawnGpu();
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await withTimeout(g.requestAdapter({ powerPreference: 'high-performance' }), timeoutMs, 'navigator.gpu.requestAdapter()');
  } catch (e) {
    throw new InputError(`--backend webgpu: Dawn found no GPU adapter (${firstLine(e)}); it needs ${VULKAN_HINT}`);
  }
  if (!adapter) {
    throw new InputError(`--backend webgpu: Dawn (webgpu package, Vulkan) found no GPU adapter; it needs ${VULKAN_HINT}; check with: vulkaninfo --summary`);
  }
  return adapter;
}

/**
 * Whether WebGPU can run here: the packages import and Dawn gives an adapter within `timeoutMs`.
 * Never throws and never hangs.
 */
export async function probeWebGpu(timeoutMs = 10_000): Promise<WebGpuProbe> {
  try {
    if (!(await optionalImport('@tensorflow/tfjs-backend-webgpu'))) {
      return { ok: false, reason: `@tensorflow/tfjs-backend-webgpu is not installed: ${WEBGPU_PACKAGES}` };
    }
    const adapter = await requestAdapter(timeoutMs);
    return { ok: true, adapter: describeAdapter(adapter) };
  } catch (e) {
    return { ok: false, reason: firstLine(e) };
  }
}

let registered: WebGpuAdapter | undefined;
/** tfjs-backend-webgpu's MatMulProgramType.MatMulPackedProgram */
const MATMUL_PACKED = 3;

/**
 * Registers tfjs's 'webgpu' backend on a Dawn device (once per process) and returns the adapter.
 * Throws a one-line InputError saying what is missing when the packages or an adapter are not there.
 * Does not make it the active backend (harness/backend.ts does).
 */
export async function registerWebGpuBackend(timeoutMs = 15_000): Promise<WebGpuAdapter> {
  if (registered && tf.findBackendFactory('webgpu')) return registered;
  const mod = (await optionalImport('@tensorflow/tfjs-backend-webgpu')) as
    | { WebGPUBackend?: new (device: GpuDeviceLike, adapterInfo?: unknown) => tf.KernelBackend }
    | undefined;
  if (!mod?.WebGPUBackend) throw new InputError(`--backend webgpu needs @tensorflow/tfjs-backend-webgpu: ${WEBGPU_PACKAGES}`);
  const adapter = await requestAdapter(timeoutMs);
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  // As tfjs's own registration: the adapter's maxima, so large matrices fit one binding.
  const requiredLimits = Object.fromEntries(
    ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup']
      .filter((k) => typeof l[k] === 'number')
      .map((k) => [k, l[k]!]),
  );
  let device: GpuDeviceLike;
  try {
    device = await withTimeout(adapter.requestDevice({ requiredFeatures, requiredLimits }), timeoutMs, 'GPUAdapter.requestDevice()');
  } catch (e) {
    throw new InputError(`--backend webgpu: the GPU adapter gave no device: ${firstLine(e)}`);
  }
  const info = describeAdapter(adapter);
  // tfjs picks a split-K matmul (partial sums added with atomics, in whatever order the GPU runs
  // them) for few-row products with K >= 2000, e.g. batch 16 x 2304 inputs: the same seed would then
  // not give the same numbers twice. The packed (tiled) matmul sums in a fixed order.
  // MULTIOOD_WEBGPU_MATMUL=auto restores tfjs's own choice (faster on a GPU, not reproducible).
  if (process.env.MULTIOOD_WEBGPU_MATMUL !== 'auto') tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', MATMUL_PACKED);
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  const Base = mod.WebGPUBackend as unknown as new (device: GpuDeviceLike, adapterInfo?: unknown) => WebGpuBackendInternals;
  // Priority 0: registering must never make WebGPU the default of a process that did not ask for it.
  tf.registerBackend('webgpu', () => withSyncRead(new Base(device, adapter.info)) as unknown as tf.KernelBackend, 0);
  registered = info;
  activeDevice = device;
  return info;
}

let activeDevice: GpuDeviceLike | undefined;

/**
 * Removes the 'webgpu' backend and destroys its device (its GPU memory and Dawn's threads go),
 * e.g. at the end of a test file; the next registerWebGpuBackend() starts a fresh device.
 * The active backend must be another one by then.
 */
export function releaseWebGpu(): void {
  if (tf.getBackend() === 'webgpu') throw new Error('releaseWebGpu: switch to another backend first');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  activeDevice?.destroy();
  activeDevice = undefined;
  registered = undefined;
}

/**
 * Synchronous reads (dataSync, arraySync), which the training loop uses for small tensors (labels,
 * per-batch statistics, embeddings for NP-Mix queues, outputs). tfjs-backend-webgpu implements
 * readSync with OffscreenCanvas, which Bun does not have. Dawn's node binding completes
 * mapAsync only when it processes events, which it does from a tick callback that it schedules with
 * the global setImmediate while any GPU promise is pending. So: the global setImmediate is wrapped
 * (before Dawn starts) to remember Dawn's tick callback, and a synchronous read copies the buffer
 * to a staging buffer, starts mapAsync, and calls that tick directly until the buffer is mapped
 * (bounded by a deadline). A blocking wait, as tfjs's own readSync is in a browser.
 */
interface WebGpuBackendInternals {
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): { values: unknown; dtype: string; resource?: GpuBufferLike; complexTensorInfos?: unknown } };
  bufferManager: { acquireBuffer(size: number, usage: number): GpuBufferLike; releaseBuffer(b: GpuBufferLike): void };
  commandEncoder: { copyBufferToBuffer(src: GpuBufferLike, so: number, dst: GpuBufferLike, doff: number, size: number): void };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  convertAndCacheOnCPU(dataId: object, data: unknown): unknown;
}
interface GpuBufferLike {
  readonly size: number;
  readonly mapState: string;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}

/** ms one synchronous read may wait for the GPU before it fails (MULTIOOD_WEBGPU_READ_TIMEOUT_MS). */
const SYNC_READ_TIMEOUT_MS = Number(process.env.MULTIOOD_WEBGPU_READ_TIMEOUT_MS ?? 60_000);
let dawnTick: (() => void) | undefined;

/**
 * Installed before Dawn starts, and removed as soon as Dawn has scheduled its first tick (during
 * requestAdapter): that tick belongs to the instance's event runner, which lives as long as the
 * process, so later reads can call it. The rest of the process keeps the real setImmediate.
 */
function hookSetImmediate(): void {
  if (dawnTick) return;
  const g = globalThis as unknown as { setImmediate: (fn: (...a: unknown[]) => void, ...args: unknown[]) => unknown };
  const real = g.setImmediate;
  g.setImmediate = (fn: (...a: unknown[]) => void, ...args: unknown[]) => {
    // Dawn's tick is a native function (Napi::Function::New) scheduled with no arguments.
    if (!dawnTick && args.length === 0 && typeof fn === 'function' && /\[native code\]/.test(Function.prototype.toString.call(fn))) {
      dawnTick = () => fn();
      g.setImmediate = real;
    }
    return real.call(globalThis, fn, ...args);
  };
}

function withSyncRead(backend: WebGpuBackendInternals): WebGpuBackendInternals {
  const GPUBufferUsage = (globalThis as unknown as { GPUBufferUsage: { COPY_DST: number; MAP_READ: number } }).GPUBufferUsage;
  const GPUMapMode = (globalThis as unknown as { GPUMapMode: { READ: number } }).GPUMapMode;
  const original = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    const t = backend.tensorMap.get(dataId);
    if (t.values != null || t.dtype === 'string' || t.dtype === 'complex64' || !t.resource) return original(dataId);
    const buffer = t.resource;
    const staging = backend.bufferManager.acquireBuffer(buffer.size, GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ);
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.commandEncoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
    backend.submitQueue();
    staging.mapAsync(GPUMapMode.READ).catch(() => undefined);
    const deadline = performance.now() + SYNC_READ_TIMEOUT_MS;
    // Each tick processes Dawn's events and schedules one more (which finds nothing left to do).
    while (staging.mapState !== 'mapped') {
      if (!dawnTick) throw new Error('--backend webgpu: a synchronous GPU read found no Dawn event tick to drive (webgpu package changed?)');
      dawnTick();
      if (performance.now() > deadline) throw new Error(`--backend webgpu: a synchronous GPU read did not complete within ${SYNC_READ_TIMEOUT_MS} ms`);
    }
    const data = staging.getMappedRange().slice(0);
    staging.unmap();
    backend.bufferManager.releaseBuffer(staging);
    const vals = t.dtype === 'int32' ? new Int32Array(data) : t.dtype === 'bool' ? new Uint8Array(new Int32Array(data)) : new Float32Array(data);
    backend.convertAndCacheOnCPU(dataId, vals);
    return vals;
  };
  return backend;
}
