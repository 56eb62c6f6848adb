/**
 * The WebAssembly binary encoding that the kernels assembled at start-up share (wasm-kernel.ts,
 * dgemm-kernel.ts, masked-row-sum.ts, training/adam-heap.ts, training/heap-matmul.ts): LEB128
 * integers, names, sections, vectors, value types, a body emitter and the module layout.
 */

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

export function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/**
 * A function body being written: the bytes, and the instructions every kernel writes most
 * (local.get/set/tee, i32.const, a SIMD opcode, a memory argument).
 */
export function emitter() {
  const c: number[] = [];
  return {
    c,
    get: (i: number) => c.push(0x20, ...uleb(i)),
    set: (i: number) => c.push(0x21, ...uleb(i)),
    tee: (i: number) => c.push(0x22, ...uleb(i)),
    i32: (n: number) => c.push(0x41, ...sleb(n)),
    simd: (op: number) => c.push(0xfd, ...uleb(op)),
    memarg: (alignLog2: number, offset: number) => c.push(...uleb(alignLog2), ...uleb(offset)),
  };
}

/** A function of a module: its parameter types, its local declarations and its code. */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  /** [count, type] runs */
  readonly locals: readonly (readonly [number, number])[];
  readonly code: readonly number[];
}

/**
 * A module that imports one memory as `env.mem` (plain, at least one page; or shared with
 * `maxPages`) and exports the given functions (no results); functions with the same parameters
 * share one type.
 */
export function wasmModule(functions: readonly WasmFunction[], memory: { shared: boolean; maxPages?: number } = { shared: false }): Uint8Array {
  const limits = memory.shared ? [0x03, ...uleb(1), ...uleb(memory.maxPages ?? 65536)] : [0x00, ...uleb(1)];
  const types: string[] = [];
  const typeOf = functions.map((f) => {
    const key = f.params.join(',');
    if (!types.includes(key)) types.push(key);
    return types.indexOf(key);
  });
  const bodies = functions.map((f) => {
    const body = [...vector(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.code];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types.map((key) => {
      const params = key.split(',').map(Number);
      return [0x60, ...uleb(params.length), ...params, 0x00];
    }))),
    ...section(2, vector([[...name('env'), ...name('mem'), 0x02, ...limits]])),
    ...section(3, vector(typeOf.map((t) => uleb(t)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(bodies)),
  ]);
}

/**
 * A module compiled on first use from `bytes()`; undefined, and remembered as such, where the
 * engine refuses it (no WebAssembly SIMD), so callers keep their JavaScript loop.
 */
export function lazyModule(bytes: () => Uint8Array): () => WebAssembly.Module | undefined {
  let compiled: WebAssembly.Module | null | undefined;
  return () => {
    if (compiled === undefined) {
      try {
        compiled = new WebAssembly.Module(bytes());
      } catch {
        compiled = null;
      }
    }
    return compiled ?? undefined;
  };
}

/** A kernel instance over a memory of its own. */
export interface KernelInstance<F> {
  readonly memory: WebAssembly.Memory;
  readonly fn: F;
}

/**
 * One instance of a single-memory kernel for the process, its memory grown to at least `bytes` on
 * each call (instantiating per call costs more than the small kernels' work). Typed-array views
 * of the memory must be made after the call: growing detaches the old ones.
 */
export function processKernel<F>(module: () => WebAssembly.Module | undefined, exportName: string): (bytes: number) => KernelInstance<F> | undefined {
  let instance: KernelInstance<F> | undefined;
  return (bytes) => {
    const compiled = module();
    if (!compiled) return undefined;
    if (!instance) {
      const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
      instance = { memory, fn: new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports[exportName] as F };
    }
    const needed = Math.ceil(bytes / 65536) - instance.memory.buffer.byteLength / 65536;
    if (needed > 0) instance.memory.grow(needed);
    return instance;
  };
}
