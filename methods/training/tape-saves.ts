import * as tf from '@tensorflow/tfjs-core';

/**
 * What TF.js keeps for the backward pass, without copying it.
 *
 * While a gradient tape records, the engine saves the inputs and outputs that each operation's
 * gradient needs, and what custom gradients pass to `save`. It saves each one through
 * `engine.clone`: an `Identity` kernel plus a tape node. On the WebAssembly backend that kernel
 * allocates and copies the tensor. In an A2D step these copies were 1,191 of 3,800 kernels
 * (measured on the tiny test benchmark), each paying TF.js's per-kernel cost.
 *
 * A saved tensor only has to keep its values until the backward pass has run, and TF.js tensors
 * are immutable (a Variable's `assign` moves it to new storage and leaves the old one to whoever
 * still holds it). So here the engine's `clone` makes a second handle on the same storage and
 * raises the backend's reference count, as the backends' own `Reshape` does: the storage lives
 * until both handles are disposed, and no kernel runs. The values the gradients read are the same,
 * so training gives bitwise the same numbers (tape-saves.test.ts). The tape node that `clone`
 * added is not needed: a saved copy feeds only gradient functions, never the loss, so
 * back-propagation pruned it anyway.
 *
 * Installed once, on the first import, for the process's engine; strings and complex tensors
 * keep the copying clone. This module is the only place that replaces an engine method.
 */

interface EngineInternals {
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }): tf.Tensor;
  readonly backend: { incRef(dataId: object): void };
}

const engine = tf.engine() as unknown as EngineInternals;
const copyingClone = Object.getPrototypeOf(engine).clone as EngineInternals['clone'];

function sharingClone(this: EngineInternals, x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'string' || x.dtype === 'complex64') return copyingClone.call(this, x);
  const handle = this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
  this.backend.incRef(x.dataId);
  return handle;
}

/** Whether saved tensors share storage (the default) or are copied as TF.js does (tests compare both). */
export function setSavedTensorSharing(enabled = true): void {
  engine.clone = enabled ? sharingClone : copyingClone;
}

setSavedTensorSharing();
