import * as tf from '@tensorflow/tfjs-core';
// Gradients of the core ops (add, sum, relu, ...), which tfjs-core does not register by itself.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { heapProducts, type HeapProducts } from './heap-matmul.ts';

/**
 * A dense (fully connected) layer y = x·W + b with weights stored as [in, out], so that the
 * forward pass is one plain matMul, and a custom gradient that transposes explicitly:
 *
 *   dx = dy · transpose(W)      dW = transpose(x) · dy      db = Σ_rows dy
 *
 * tf's own MatMul gradient calls matMul with transposeA / transposeB set; the wasm backend runs
 * those flagged products through a path that is an order of magnitude slower than a plain product
 * of the same shape, while an explicit transpose of a 16 x 2304 batch costs next to nothing
 * (bench/training.ts measures the difference on MultiOOD's shapes).
 */

/**
 * The layer's three products: on the wasm backend the heap kernel (heap-matmul.ts: no packing, no
 * transposes, bitwise the same values), elsewhere tf.matMul with explicit transposes.
 */
let heapCache: { backend: tf.KernelBackend; products: HeapProducts | undefined } | undefined;
function products(): HeapProducts | undefined {
  const backend = tf.backend();
  if (heapCache?.backend !== backend) heapCache = { backend, products: heapProducts() };
  return heapCache.products;
}
const forwardProduct = (x: tf.Tensor2D, w: tf.Tensor2D) => products()?.nn(x, w) ?? tf.matMul(x, w);
const inputGradient = (dy: tf.Tensor2D, w: tf.Tensor2D) => products()?.nt(dy, w) ?? tf.matMul(dy, tf.transpose(w));
const weightGradient = (x: tf.Tensor2D, dy: tf.Tensor2D) => products()?.tn(x, dy) ?? tf.matMul(tf.transpose(x), dy);

type DenseFn = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
type LinearFn = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

function makeDense(inputGrad: boolean): DenseFn {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: tf.add(forwardProduct(x, w), b) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dx = inputGrad ? inputGradient(dy as tf.Tensor2D, sw) : tf.zerosLike(sx);
        return [dx, weightGradient(sx, dy as tf.Tensor2D), tf.sum(dy, 0)];
      },
    };
  });
  return (x, w, b) => f(x, w, b) as tf.Tensor2D;
}

function makeLinear(inputGrad: boolean): LinearFn {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: forwardProduct(x, w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dx = inputGrad ? inputGradient(dy as tf.Tensor2D, sw) : tf.zerosLike(sx);
        return [dx, weightGradient(sx, dy as tf.Tensor2D)];
      },
    };
  });
  return (x, w) => f(x, w) as tf.Tensor2D;
}

const denseWithInputGrad = makeDense(true);
const denseNoInputGrad = makeDense(false);
const linearWithInputGrad = makeLinear(true);
const linearNoInputGrad = makeLinear(false);

export interface DenseOptions {
  /**
   * Whether gradients must flow back into x. False when x is data (an identity encoder's
   * embeddings): the backward pass then skips the dy·Wᵀ product and reports a zero gradient for x.
   */
  readonly inputGrad?: boolean;
  /** Use tf's own matMul gradient (transposeA/transposeB flags) instead: for benchmarks and tests. */
  readonly builtinGradient?: boolean;
}

/** y = x·W + b; x is N x in, W is [in, out], b is [out]. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, o: DenseOptions = {}): tf.Tensor2D {
  if (o.builtinGradient) return tf.add(tf.matMul(x, w), b);
  return o.inputGrad === false ? denseNoInputGrad(x, w, b) : denseWithInputGrad(x, w, b);
}

/** y = x·W without bias (the per-modality slices of the fused head), same gradient strategy. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, o: DenseOptions = {}): tf.Tensor2D {
  if (o.builtinGradient) return tf.matMul(x, w);
  return o.inputGrad === false ? linearNoInputGrad(x, w) : linearWithInputGrad(x, w);
}
