/**
 * The float64 wasm kernel's memory and threads: one wasm memory holding the packed operands and
 * the output block of the product in flight (reused while large enough), and a pool of workers
 * (threads - 1 of them; the calling thread always computes too) that claim work units from a
 * shared counter. Used by methods/linalg/gemm-wasm.ts; synchronous for its caller (the calling
 * thread blocks in Atomics.wait until the workers' units are done).
 */
import {
  DCTRL,
  claimAndRun,
  dgemmModuleBytes,
  dgemmSimdSupported,
  runDgemmUnit,
  writeJob,
  type DgemmFn,
  type DgemmJob,
} from './dgemm-kernel.ts';
import { GEN_MASK } from './wasm-kernel.ts';

const PAGE = 65536;
const MAX_PAGES = 65536;

let threads = 1;
let supported: boolean | undefined;

/** Whether the float64 SIMD kernel can run here (checked once). */
export function dgemmAvailable(): boolean {
  supported ??= dgemmSimdSupported();
  return supported;
}

/**
 * Threads for float64 products, the calling one included (initCompute sets it to the compute
 * backend's thread count). Results do not depend on it: every output tile is computed by one
 * thread with the same operations.
 */
export function setDgemmThreads(n: number): void {
  threads = Math.max(1, Math.floor(n));
}

export function getDgemmThreads(): number {
  return threads;
}

export interface DgemmMemory {
  readonly id: number;
  readonly f64: Float64Array;
  readonly fn: DgemmFn;
  readonly bytes: number;
}

let memory: (DgemmMemory & { shared: boolean }) | undefined;
let nextId = 1;
let plainModule: WebAssembly.Module | undefined;
let sharedModule: WebAssembly.Module | undefined;

/** A memory of at least `bytes` (its contents are arbitrary). */
export function dgemmMemory(bytes: number): DgemmMemory {
  const shared = threads > 1;
  if (memory !== undefined && memory.bytes >= bytes && memory.shared === shared) return memory;
  const pages = Math.ceil(bytes / PAGE) + 1;
  if (pages > MAX_PAGES) throw new Error(`dgemm: ${bytes} bytes exceed one wasm memory`);
  memory = undefined; // drop the old one before allocating the new
  const mem = new WebAssembly.Memory(
    shared ? ({ initial: pages, maximum: pages, shared: true } as WebAssembly.MemoryDescriptor) : { initial: pages },
  );
  const module = shared
    ? (sharedModule ??= new WebAssembly.Module(dgemmModuleBytes(true, MAX_PAGES)))
    : (plainModule ??= new WebAssembly.Module(dgemmModuleBytes(false)));
  const instance = new WebAssembly.Instance(module, { env: { mem } });
  const id = nextId++;
  memory = { id, f64: new Float64Array(mem.buffer), fn: instance.exports.dgemm as DgemmFn, bytes: (pages - 1) * PAGE, shared };
  if (shared) getPool(threads - 1).postMemory(id, mem);
  return memory;
}

/** Frees the cached memory (e.g. after a large product, to give its pages back). */
export function releaseDgemmMemory(): void {
  if (memory === undefined) return;
  if (memory.shared) pool?.dropMemory();
  memory = undefined;
}

/**
 * Runs `total` units of `job` on `mem`; spread over the workers when `parallel`. `meanwhile`, when
 * given, runs on the calling thread once the workers have the job and before it claims units
 * itself (the caller packs the next depth block there; it must not touch what this job reads or
 * writes). Returns when every unit and `meanwhile` are done.
 */
export function runDgemmJob(mem: DgemmMemory, job: DgemmJob, total: number, parallel: boolean, meanwhile?: () => void): void {
  if (!parallel || threads <= 1) {
    for (let u = 0; u < total; u++) runDgemmUnit(mem.fn, job, u);
    meanwhile?.();
    return;
  }
  getPool(threads - 1).run(mem, job, total, meanwhile);
}

// ---------------------------------------------------------------------------------------------

interface Pool {
  workers: number;
  postMemory(id: number, memory: WebAssembly.Memory): void;
  dropMemory(): void;
  run(mem: DgemmMemory, job: DgemmJob, total: number, meanwhile?: () => void): void;
  workerUnits(): number;
}

let pool: Pool | undefined;

/** Work units run by worker threads so far (a diagnostic; 0 without a pool). */
export function dgemmWorkerUnits(): number {
  return pool?.workerUnits() ?? 0;
}

/** Stall guard: a job with no progress for this long is reported as an error. */
const STALL_MS = 300_000;

function getPool(workers: number): Pool {
  if (pool !== undefined && pool.workers >= workers) return pool;
  const ctrl = new Int32Array(new SharedArrayBuffer(DCTRL.length * 4));
  const alphas = new Float64Array(new SharedArrayBuffer(16));
  const list: Worker[] = [];
  let broken: unknown;
  for (let w = 0; w < workers; w++) {
    try {
      const worker = new Worker(new URL('./dgemm-worker.ts', import.meta.url).href);
      worker.unref();
      worker.addEventListener('error', (e) => {
        broken = e;
      });
      worker.postMessage({ type: 'init', ctrl, alphas });
      list.push(worker);
    } catch (e) {
      broken = e;
      break;
    }
  }
  let gen = 0;
  pool = {
    workers,
    workerUnits: () => Atomics.load(ctrl, DCTRL.workerUnits),
    postMemory(id, mem) {
      for (const worker of list) worker.postMessage({ type: 'memory', id, memory: mem });
    },
    dropMemory() {
      for (const worker of list) worker.postMessage({ type: 'drop' });
    },
    run(mem, job, total, meanwhile) {
      if (list.length === 0 || broken !== undefined) {
        for (let u = 0; u < total; u++) runDgemmUnit(mem.fn, job, u);
        meanwhile?.();
        return;
      }
      if (total > 0xffff) throw new Error(`dgemm: ${total} work units in one job (max 65535)`);
      gen = (gen + 1) & GEN_MASK;
      writeJob(ctrl, alphas, gen, mem.id, total, job);
      Atomics.store(ctrl, DCTRL.done, 0);
      Atomics.store(ctrl, DCTRL.claim, gen << 16);
      Atomics.store(ctrl, DCTRL.gen, gen);
      Atomics.notify(ctrl, DCTRL.gen);
      meanwhile?.();
      claimAndRun(ctrl, gen, total, (u) => runDgemmUnit(mem.fn, job, u));
      let last = Atomics.load(ctrl, DCTRL.done);
      let since = performance.now();
      while (last < total) {
        Atomics.wait(ctrl, DCTRL.done, last, 1000);
        const now = Atomics.load(ctrl, DCTRL.done);
        if (now !== last) {
          last = now;
          since = performance.now();
        } else if (performance.now() - since > STALL_MS) {
          throw new Error(`dgemm: workers made no progress for ${STALL_MS / 1000} s (${last}/${total} units)`);
        }
      }
    },
  };
  return pool;
}
