/**
 * A minimal reverse-mode tape over float32 arrays that back-propagates exactly as TF.js's engine
 * does (tfjs-core 4.22, `backpropagateGradients`), so that the direct training step (step.ts)
 * gives bitwise the gradients that `tf.variableGrads` gives on the wasm backend:
 *  - a node is recorded only when one of its inputs depends on a parameter (TF.js prunes the
 *    others from the tape);
 *  - the loss's gradient starts as ones; nodes are visited in reverse order of recording, a node
 *    whose output received no gradient is skipped;
 *  - each input that depends on a parameter gets the node's gradient for it, evaluated in input
 *    order, and a tensor reached more than once accumulates `current + new` in that visiting
 *    order. Float32 addition is commutative but not associative, so the order matters as soon as
 *    a tensor has three consumers (a unimodal head's logits under LogitNorm + A2D have four).
 * The tape knows nothing about operations: ops.ts gives each node TF.js's gradient formula,
 * operation for operation.
 */

/** A float32 tensor of the direct step: its shape (row-major), values, and whether a parameter is upstream of it. */
export class DTensor {
  constructor(
    readonly shape: readonly number[],
    readonly values: Float32Array,
    readonly requiresGrad: boolean,
  ) {}

  get size(): number {
    return this.values.length;
  }
}

/** Per input, a thunk for its gradient (called only for inputs that require one), as TF.js's gradFunc returns. */
export type Derivatives = readonly (() => Float32Array)[];

interface Node {
  readonly inputs: readonly DTensor[];
  readonly output: DTensor;
  readonly gradient: (dy: Float32Array) => Derivatives;
}

export class Tape {
  private readonly nodes: Node[] = [];

  /** A parameter: a leaf that requires a gradient. */
  parameter(shape: readonly number[], values: Float32Array): DTensor {
    return new DTensor(shape, values, true);
  }

  /** Data: a leaf without gradient. */
  constant(shape: readonly number[], values: Float32Array): DTensor {
    return new DTensor(shape, values, false);
  }

  /** The output of an operation on `inputs`, recorded when one of them requires a gradient. */
  output(shape: readonly number[], values: Float32Array, inputs: readonly DTensor[], gradient: (dy: Float32Array) => Derivatives): DTensor {
    const requiresGrad = inputs.some((x) => x.requiresGrad);
    const out = new DTensor(shape, values, requiresGrad);
    if (requiresGrad) this.nodes.push({ inputs, output: out, gradient });
    return out;
  }

  /** d loss / d p for every parameter p the loss depends on (absent: no path, as tf.variableGrads leaves it out). */
  gradients(loss: DTensor, parameters: readonly DTensor[]): Map<DTensor, Float32Array> {
    if (loss.size !== 1) throw new Error(`Tape.gradients: the loss has ${loss.size} values, expected 1`);
    const acc = new Map<DTensor, Float32Array>();
    acc.set(loss, new Float32Array(loss.size).fill(1));
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!;
      const dy = acc.get(node.output);
      if (!dy) continue;
      const ders = node.gradient(dy);
      node.inputs.forEach((x, j) => {
        if (!x.requiresGrad) return;
        const dx = ders[j]!();
        if (dx.length !== x.size) throw new Error(`Tape: gradient of ${dx.length} values for an input of ${x.size}`);
        const cur = acc.get(x);
        if (!cur) acc.set(x, dx);
        else {
          const sum = new Float32Array(dx.length);
          for (let e = 0; e < sum.length; e++) sum[e] = cur[e]! + dx[e]!;
          acc.set(x, sum);
        }
      });
    }
    const out = new Map<DTensor, Float32Array>();
    for (const p of parameters) {
      const g = acc.get(p);
      if (g) out.set(p, g);
    }
    return out;
  }
}
