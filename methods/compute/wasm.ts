import {
  checkOperand,
  outputBuffer,
  type ComputeBackend,
  type PreparedRight,
  type PreparedRightInt16Pairs,
} from './backend.ts';
import {
  CTRL,
  GEN_MASK,
  JOB_ROWS,
  claimAndRun,
  packLeft,
  packRight,
  partBytes,
  partLayout,
  runUnit,
  sgemmModuleBytes,
  unitCount,
  wasmSimdSupported,
  type GemmFn,
  type KernelKind,
  type PartLayout,
  type Slots,
} from './wasm-kernel.ts';

/**
 * The WebAssembly SIMD backend: a packed, cache-blocked float32 GEMM (see wasm-kernel.ts),
 * optionally spread over worker threads that share the wasm memory.
 *
 * B is packed once into a wasm memory per "part" (parts keep every memory under
 * `maxPartBytes`, far below wasm32's 4 GiB). multiply() packs a job of at most JOB_ROWS rows of
 * A, runs its work units ((row block, column chunk) pairs) on the calling thread and, for large
 * products, on the workers, which claim units from a shared counter, and copies the job's rows out.
 *
 * The calling thread always takes part and blocks (Atomics.wait) until the workers' units are
 * done, so multiply() stays synchronous. A worker that has not started yet simply claims nothing.
 */
export interface WasmBackendOptions {
  /** Threads in all, the calling one included (default 1). Workers are started lazily. */
  threads?: number;
  /** Largest wasm memory per part of B (default 1.5 GiB). Small values exercise the split path. */
  maxPartBytes?: number;
  /** Jobs (JOB_ROWS rows of A against one part of B) under this many flops run on the calling thread only. */
  minParallelFlops?: number;
}

const PAGE = 65536;
const MAX_PAGES = 65536;

const modules = new Map<string, WebAssembly.Module>();

function moduleFor(shared: boolean, kind: KernelKind): WebAssembly.Module {
  const key = `${kind}:${shared}`;
  let m = modules.get(key);
  if (m === undefined) {
    m = new WebAssembly.Module(shared ? sgemmModuleBytes(true, MAX_PAGES, kind) : sgemmModuleBytes(false, 65536, kind));
    modules.set(key, m);
  }
  return m;
}

interface Part {
  readonly id: number;
  readonly row0: number;
  readonly layout: PartLayout;
  readonly memory: WebAssembly.Memory;
  readonly gemm: GemmFn;
  readonly kind: KernelKind;
  /** The memory as 32-bit slots of the part's kind. */
  readonly slots: Slots;
}

let nextOperandId = 1;

export function createWasmBackend(options: WasmBackendOptions = {}): ComputeBackend {
  if (!wasmSimdSupported()) throw new Error('createWasmBackend: this engine does not support WebAssembly SIMD');
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const maxPartBytes = Math.min(options.maxPartBytes ?? 1.5 * 2 ** 30, (MAX_PAGES - 1) * PAGE);
  const minParallelFlops = options.minParallelFlops ?? 2e8;
  const shared = threads > 1;

  const prepare = <T extends Slots>(kind: KernelKind, b: T, rows: number, cols: number, alloc: (n: number) => T) => {
    if (cols === 0) throw new Error('prepareRight: zero inner dimension');
    const pool = shared ? getPool(threads - 1) : undefined;
    const parts: Part[] = [];
    const perRow = partBytes(cols, 1024) - partBytes(cols, 0);
    const maxRows = Math.max(16, Math.floor((maxPartBytes - partBytes(cols, 0)) / (perRow / 1024) / 16) * 16);
    for (let row0 = 0; row0 < Math.max(rows, 1); row0 += maxRows) {
      const count = Math.min(maxRows, rows - row0);
      if (count <= 0) break;
      const layout = partLayout(cols, count);
      const pages = Math.ceil(layout.bytes / PAGE) + 1;
      if (pages > MAX_PAGES) throw new Error(`prepareRight: ${cols} columns are too wide for one wasm memory`);
      const memory = new WebAssembly.Memory(
        shared ? ({ initial: pages, maximum: pages, shared: true } as WebAssembly.MemoryDescriptor) : { initial: pages },
      );
      const instance = new WebAssembly.Instance(moduleFor(shared, kind), { env: { mem: memory } });
      const slots = kind === 'i16' ? new Int32Array(memory.buffer) : new Float32Array(memory.buffer);
      packRight(b, row0, layout, slots);
      const part: Part = { id: nextOperandId++, row0, layout, memory, gemm: instance.exports.gemm as GemmFn, kind, slots };
      pool?.addOperand(part);
      parts.push(part);
    }
    let disposed = false;
    return {
      rows,
      cols,
      multiply(a: T, rowsA: number, out?: T): T {
        if (disposed) throw new Error('multiply: operand was disposed');
        checkOperand('multiply', a, rowsA, cols);
        if (out !== undefined && out.length < rowsA * rows) throw new Error(`multiply: output holds ${out.length} values, needs ${rowsA * rows}`);
        const c = out ?? alloc(rowsA * rows);
        for (const part of parts) {
          const { layout, slots } = part;
          const ldc = layout.ldcBytes / 4;
          const cBase = layout.cOff / 4;
          const parallel = pool !== undefined && 2 * JOB_ROWS * layout.rows * cols >= minParallelFlops;
          for (let i0 = 0; i0 < rowsA; i0 += JOB_ROWS) {
            const count = Math.min(JOB_ROWS, rowsA - i0);
            packLeft(a, i0, count, layout, slots);
            const total = unitCount(layout, count);
            if (total > 0xffff) throw new Error(`multiply: ${total} work units in one job (max 65535)`);
            if (parallel) {
              pool.run(part, count, total);
            } else {
              for (let unit = 0; unit < total; unit++) runUnit(part.gemm, layout, count, unit);
            }
            for (let r = 0; r < count; r++) {
              const src = cBase + r * ldc;
              c.set(slots.subarray(src, src + layout.rows) as T, (i0 + r) * rows + part.row0);
            }
          }
        }
        return c;
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        for (const part of parts) pool?.dropOperand(part.id);
        parts.length = 0;
      },
    };
  };

  return {
    name: threads > 1 ? `wasm-simd x${threads}` : 'wasm-simd',
    threads,
    prepareRight(b: Float32Array, rows: number, cols: number): PreparedRight {
      checkOperand('prepareRight', b, rows, cols);
      const p = prepare('f32', b, rows, cols, (n) => new Float32Array(n));
      return { rows, cols, multiply: (a, rowsA, out) => p.multiply(a, rowsA, outputBuffer(out, rowsA * rows)), dispose: p.dispose };
    },
    prepareRightInt16Pairs(b: Int32Array, rows: number, pairs: number): PreparedRightInt16Pairs {
      checkOperand('prepareRightInt16Pairs', b, rows, pairs);
      return prepare('i16', b, rows, pairs, (n) => new Int32Array(n));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Worker pool (one per JS thread that uses a threaded backend; workers are unref'd).

interface Pool {
  /** Work units run by workers since the pool started (a diagnostic). */
  workerChunks(): number;
  addOperand(part: Part): void;
  dropOperand(id: number): void;
  /** Runs a job (part, rows of A, total units) on this thread and the workers; returns when done. */
  run(part: Part, count: number, total: number): void;
}

let pool: { pool: Pool; workers: number } | undefined;

/** Work units run by worker threads so far in this thread's pool (0 without one). */
export function wasmWorkerChunks(): number {
  return pool?.pool.workerChunks() ?? 0;
}

/** Stall guard: a job with no progress for this long is reported as an error. */
const STALL_MS = 300_000;

function getPool(workers: number): Pool {
  if (pool !== undefined && pool.workers >= workers) return pool.pool;
  const ctrl = new Int32Array(new SharedArrayBuffer(CTRL.length * 4));
  const list: Worker[] = [];
  let broken: unknown;
  for (let w = 0; w < workers; w++) {
    try {
      const worker = new Worker(new URL('./sgemm-worker.ts', import.meta.url).href);
      worker.unref();
      worker.addEventListener('error', (e) => {
        broken = e;
      });
      worker.postMessage({ type: 'init', ctrl });
      list.push(worker);
    } catch (e) {
      broken = e;
      break;
    }
  }
  let gen = 0;
  const created: Pool = {
    workerChunks: () => Atomics.load(ctrl, CTRL.workerChunks),
    addOperand(part) {
      for (const worker of list) worker.postMessage({ type: 'operand', id: part.id, memory: part.memory, layout: part.layout, kind: part.kind });
    },
    dropOperand(id) {
      for (const worker of list) worker.postMessage({ type: 'drop', id });
    },
    run(part, count, total) {
      if (list.length === 0 || broken !== undefined) {
        for (let unit = 0; unit < total; unit++) runUnit(part.gemm, part.layout, count, unit);
        return;
      }
      gen = (gen + 1) & GEN_MASK;
      const slot = CTRL.slot0 + (gen % 2) * CTRL.slotSize;
      ctrl[slot + CTRL.opId] = part.id;
      ctrl[slot + CTRL.total] = total;
      ctrl[slot + CTRL.rows] = count;
      Atomics.store(ctrl, CTRL.done, 0);
      Atomics.store(ctrl, CTRL.claim, gen << 16);
      Atomics.store(ctrl, CTRL.gen, gen);
      Atomics.notify(ctrl, CTRL.gen);
      claimAndRun(ctrl, gen, total, (unit) => runUnit(part.gemm, part.layout, count, unit));
      let last = Atomics.load(ctrl, CTRL.done);
      let since = performance.now();
      while (last < total) {
        Atomics.wait(ctrl, CTRL.done, last, 1000);
        const now = Atomics.load(ctrl, CTRL.done);
        if (now !== last) {
          last = now;
          since = performance.now();
        } else if (performance.now() - since > STALL_MS) {
          throw new Error(`wasm sgemm: workers made no progress for ${STALL_MS / 1000} s (${last}/${total} units)`);
        }
      }
    },
  };
  pool = { pool: created, workers };
  return created;
}
