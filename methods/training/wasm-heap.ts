/**
 * What the training kernels that work on TF.js's WebAssembly memory (adam-heap.ts,
 * heap-matmul.ts) read of @tensorflow/tfjs-backend-wasm's BackendWasm: its memory, where a
 * tensor's values lie, and how to make an output tensor. None of it is in the package's typings;
 * wasmHeap() checks each piece and answers undefined when one is missing (another backend, or
 * another version of the package), and the callers then use TF.js's own operations.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendInternals {
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number; dtype: string } | undefined };
  readonly wasm: { readonly asm?: { readonly memory?: WebAssembly.Memory }; readonly wasmMemory?: WebAssembly.Memory };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

export interface WasmHeap {
  readonly backend: WasmBackendInternals;
  readonly memory: WebAssembly.Memory;
  /** Byte offset of a float32 tensor's values (throws for another dtype). */
  offsetOf(t: tf.TensorInfo): number;
}

export function wasmHeap(): WasmHeap | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const memory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory) || typeof backend.dataIdMap?.get !== 'function' || typeof backend.makeOutput !== 'function' || typeof backend.disposeData !== 'function') return undefined;
  return {
    backend,
    memory,
    offsetOf(t) {
      const d = backend.dataIdMap.get(t.dataId);
      if (!d || d.dtype !== 'float32') throw new Error(`wasm heap: ${t.dtype} tensor without float32 storage`);
      return d.memoryOffset >>> 0;
    },
  };
}
