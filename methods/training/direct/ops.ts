import * as tf from '@tensorflow/tfjs-core';
import type { ArrayProducts } from '../heap-matmul.ts';
import { DTensor, type Derivatives, Tape } from './tape.ts';

/**
 * The operations of the training step on float32 arrays, each giving bitwise what the TF.js
 * operation of the same name gives on the wasm backend (@tensorflow/tfjs-backend-wasm 4.22), and
 * recording TF.js's own gradient formula for it, operation for operation (tfjs-core's
 * gradients/*_grad.js; the logSoftmax and dense gradients are the custom ones of tfjs-core and
 * dense.ts):
 *  - +, −, ·, /, √ and comparisons: one IEEE float32 operation per entry (JavaScript computes in
 *    float64 and the Float32Array store rounds; for these operations that is the correctly
 *    rounded float32 result, which is what the kernels' f32x4 instructions give);
 *  - sums and means: a running float32 sum from 0 in row-major order of the reduced entries, a
 *    mean divides it by the count (what the wasm Sum and Mean kernels do; checked in direct.test.ts);
 *  - exp, log and softmax: the backend's own kernels, called directly on copies of the values
 *    (their approximations are not the correctly rounded ones, so they are not reproduced here);
 *  - products: the heap kernel's order (heap-matmul.ts).
 * Broadcasting covers what the step uses: operands of rank ≤ 2 aligned on the right.
 */

/** Rows and columns of a shape of rank ≤ 2 aligned on the right ([] → 1 × 1, [n] → 1 × n). */
function dims(shape: readonly number[]): [number, number] {
  if (shape.length > 2) throw new Error(`direct ops: rank ${shape.length} is not supported`);
  return shape.length === 2 ? [shape[0]!, shape[1]!] : shape.length === 1 ? [1, shape[0]!] : [1, 1];
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`direct ops: shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(x, y));
  }
  return out;
}

/** Reads operand `shape` at output position (r, c) of an output with `cols` columns. */
function indexer(shape: readonly number[]): (r: number, c: number) => number {
  const [rows, cols] = dims(shape);
  const rs = rows === 1 ? 0 : cols;
  const cs = cols === 1 ? 0 : 1;
  return (r, c) => r * rs + c * cs;
}

/**
 * Σ of `values` (out shape) over the axes where `shape` is 1 or absent and the output is not, as
 * TF.js's gradients do it (sum over getReductionAxes, then reshape): sequential in row-major order.
 */
function reduceTo(values: Float32Array, outShape: readonly number[], shape: readonly number[]): Float32Array {
  const [R, C] = dims(outShape);
  const [r, c] = dims(shape);
  if (r === R && c === C) return values;
  const out = new Float32Array(r * c);
  const at = indexer(shape);
  if (r === 1 && c === 1) {
    let s = 0;
    for (let i = 0; i < values.length; i++) s = Math.fround(s + values[i]!);
    out[0] = s;
  } else if (r === 1) {
    // per column, over the rows
    for (let j = 0; j < C; j++) {
      let s = 0;
      for (let i = 0; i < R; i++) s = Math.fround(s + values[i * C + j]!);
      out[at(0, j)] = s;
    }
  } else {
    for (let i = 0; i < R; i++) {
      let s = 0;
      for (let j = 0; j < C; j++) s = Math.fround(s + values[i * C + j]!);
      out[at(i, 0)] = s;
    }
  }
  return out;
}

type Arith = 'add' | 'sub' | 'mul' | 'div';

/** a op b, broadcast to `shape`; one loop per operation so that the wide same-shape case runs without calls. */
function elementwise(shape: readonly number[], a: DTensor, b: DTensor, op: Arith): Float32Array {
  const [R, C] = dims(shape);
  const out = new Float32Array(R * C);
  const av = a.values;
  const bv = b.values;
  const n = out.length;
  if (av.length === n && bv.length === n) {
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = av[i]! + bv[i]!;
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = av[i]! - bv[i]!;
    else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = av[i]! * bv[i]!;
    else for (let i = 0; i < n; i++) out[i] = av[i]! / bv[i]!;
    return out;
  }
  const ia = indexer(a.shape);
  const ib = indexer(b.shape);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const x = av[ia(r, c)]!;
      const y = bv[ib(r, c)]!;
      out[r * C + c] = op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : x / y;
    }
  }
  return out;
}

/** `values` of shape `from` broadcast to `to` (TF.js: reshape then mul by ones, an exact copy). */
function broadcastTo(values: Float32Array, from: readonly number[], to: readonly number[]): Float32Array {
  const [R, C] = dims(to);
  const at = indexer(from);
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[r * C + c] = values[at(r, c)]!;
  return out;
}

function map(values: Float32Array, f: (x: number, i: number) => number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f(values[i]!, i);
  return out;
}

const zeros = (n: number) => () => new Float32Array(n);

/** The wasm backend's Exp, Log and Softmax kernels, called without TF.js's engine. */
export class BackendKernels {
  private constructor(
    private readonly backend: tf.KernelBackend,
    private readonly kernels: Readonly<Record<'Exp' | 'Log' | 'Softmax', tf.KernelConfig>>,
  ) {}

  /** Undefined unless the current backend is wasm and has the three kernels. */
  static current(): BackendKernels | undefined {
    if (tf.getBackend() !== 'wasm') return undefined;
    const get = (name: string) => tf.getKernel(name, 'wasm');
    const exp = get('Exp');
    const log = get('Log');
    const softmax = get('Softmax');
    if (!exp || !log || !softmax) return undefined;
    return new BackendKernels(tf.backend(), { Exp: exp, Log: log, Softmax: softmax });
  }

  private run(name: 'Exp' | 'Log' | 'Softmax', input: string, values: Float32Array, shape: readonly number[], attrs: tf.NamedAttrMap = {}): Float32Array {
    const backend = this.backend;
    const info: tf.TensorInfo = { dataId: backend.write(values, [...shape], 'float32'), shape: [...shape], dtype: 'float32' };
    try {
      const out = this.kernels[name].kernelFunc({ inputs: { [input]: info }, backend, attrs }) as tf.TensorInfo;
      try {
        return Float32Array.from(backend.readSync(out.dataId) as Float32Array);
      } finally {
        backend.disposeData(out.dataId);
      }
    } finally {
      backend.disposeData(info.dataId);
    }
  }

  exp(values: Float32Array, shape: readonly number[]): Float32Array {
    return this.run('Exp', 'x', values, shape);
  }

  log(values: Float32Array, shape: readonly number[]): Float32Array {
    return this.run('Log', 'x', values, shape);
  }

  /** Softmax over the last axis of a [rows, cols] tensor. */
  softmax(values: Float32Array, shape: readonly number[]): Float32Array {
    return this.run('Softmax', 'logits', values, shape, { dim: shape.length - 1 });
  }
}

export class Ops {
  constructor(
    readonly tape: Tape,
    private readonly kernels: BackendKernels,
    private readonly products: ArrayProducts,
  ) {}

  /** A scalar constant as tf.scalar makes it (the number rounded to float32). */
  scalar(x: number): DTensor {
    return this.tape.constant([], Float32Array.of(x));
  }

  constant(shape: readonly number[], values: Float32Array): DTensor {
    return this.tape.constant(shape, values);
  }

  private binary(a: DTensor, b: DTensor, op: Arith, grad: (dy: DTensor, shape: number[]) => Derivatives): DTensor {
    const shape = broadcastShape(a.shape, b.shape);
    return this.tape.output(shape, elementwise(shape, a, b, op), [a, b], (dy) => grad(new DTensor(shape, dy, false), shape));
  }

  add(a: DTensor, b: DTensor): DTensor {
    return this.binary(a, b, 'add', (dy, shape) => [() => reduceTo(dy.values, shape, a.shape), () => reduceTo(dy.values, shape, b.shape)]);
  }

  sub(a: DTensor, b: DTensor): DTensor {
    return this.binary(a, b, 'sub', (dy, shape) => [() => reduceTo(dy.values, shape, a.shape), () => map(reduceTo(dy.values, shape, b.shape), (v) => -v)]);
  }

  mul(a: DTensor, b: DTensor): DTensor {
    return this.binary(a, b, 'mul', (dy, shape) => [
      () => reduceTo(elementwise(shape, dy, b, 'mul'), shape, a.shape),
      () => reduceTo(elementwise(shape, dy, a, 'mul'), shape, b.shape),
    ]);
  }

  div(a: DTensor, b: DTensor): DTensor {
    return this.binary(a, b, 'div', (dy, shape) => [
      () => reduceTo(elementwise(shape, dy, b, 'div'), shape, a.shape),
      () => {
        // neg(div(sum(dy·a), square(b)))
        const res = reduceTo(elementwise(shape, dy, a, 'mul'), shape, b.shape);
        return map(res, (r, i) => -Math.fround(r / Math.fround(b.values[i]! * b.values[i]!)));
      },
    ]);
  }

  neg(x: DTensor): DTensor {
    return this.tape.output(x.shape, map(x.values, (v) => -v), [x], (dy) => [() => map(dy, (g) => -g)]);
  }

  square(x: DTensor): DTensor {
    return this.tape.output(x.shape, map(x.values, (v) => v * v), [x], (dy) => [() => map(dy, (g, i) => g * Math.fround(x.values[i]! * 2))]);
  }

  sqrt(x: DTensor): DTensor {
    const y = map(x.values, (v) => Math.sqrt(v));
    return this.tape.output(x.shape, y, [x], (dy) => [() => map(dy, (g, i) => g / Math.fround(y[i]! * 2))]);
  }

  /** maximum(x, c) for a scalar constant c; the gradient flows where x ≥ c. */
  maximum(x: DTensor, c: number): DTensor {
    const cf = Math.fround(c);
    return this.tape.output(x.shape, map(x.values, (v) => Math.max(v, cf)), [x], (dy) => [() => map(dy, (g, i) => g * (x.values[i]! >= cf ? 1 : 0))]);
  }

  relu(x: DTensor): DTensor {
    const xv = x.values;
    const n = xv.length;
    const y = new Float32Array(n);
    // the wasm kernel gives +0 for -0 and keeps NaN
    for (let i = 0; i < n; i++) {
      const v = xv[i]!;
      y[i] = v > 0 || v !== v ? v : 0;
    }
    return this.tape.output(x.shape, y, [x], (dy) => [
      () => {
        // dy · step(x)
        const g = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const v = xv[i]!;
          g[i] = dy[i]! * (v > 0 ? 1 : v !== v ? NaN : 0);
        }
        return g;
      },
    ]);
  }

  /**
   * TF.js's safeSqrt of losses.ts, op for op: where(pos, sqrt(where(pos, x, onesLike(x))),
   * zerosLike(x)) with pos = cast(step(x, 0), 'bool'). Step, the cast, onesLike, zerosLike and the
   * conditions are on TF.js's tape too and send zeros back to x; they are recorded here in the
   * same order so that x's gradient sums them the same way (it turns a -0 into +0).
   */
  safeSqrt(x: DTensor): DTensor {
    const n = x.size;
    const stepped = this.tape.output(x.shape, map(x.values, (v) => stepValue(v)), [x], () => [zeros(n)]);
    const pos = this.tape.output(x.shape, map(stepped.values, (v) => (v !== 0 ? 1 : 0)), [stepped], (dy) => [() => dy.slice()]);
    const ones = this.tape.output(x.shape, new Float32Array(n).fill(1), [x], () => [zeros(n)]);
    const inner = this.where(pos, x, ones);
    const root = this.sqrt(inner);
    const zero = this.tape.output(x.shape, new Float32Array(n), [x], () => [zeros(n)]);
    return this.where(pos, root, zero);
  }

  private where(cond: DTensor, t: DTensor, e: DTensor): DTensor {
    const c = cond.values;
    const y = map(t.values, (v, i) => (c[i] ? v : e.values[i]!));
    return this.tape.output(t.shape, y, [cond, t, e], (dy) => [zeros(dy.length), () => map(dy, (g, i) => g * (c[i] ? 1 : 0)), () => map(dy, (g, i) => g * (c[i] ? 0 : 1))]);
  }

  /** Σ over axis 1 of a [rows, cols] tensor (keepDims: [rows, 1], else [rows]); undefined axis: all entries. */
  sum(x: DTensor, axis?: 1, keepDims = false): DTensor {
    const [R, C] = dims(x.shape);
    const outShape = axis === undefined ? [] : keepDims ? [R, 1] : [R];
    const y = reduceTo(x.values, [R, C], axis === undefined ? [] : [R, 1]);
    return this.tape.output(outShape, y, [x], (dy) => [() => broadcastTo(dy, axis === undefined ? [] : [R, 1], x.shape)]);
  }

  /** Mean of all entries. */
  mean(x: DTensor): DTensor {
    const n = x.size;
    const s = reduceTo(x.values, x.shape, []);
    const y = Float32Array.of(s[0]! / n);
    return this.tape.output([], y, [x], (dy) => [() => new Float32Array(n).fill(Math.fround(dy[0]! / n))]);
  }

  /** Mean over axis 1 of a [rows, cols] tensor: [rows]. */
  meanRows(x: DTensor): DTensor {
    const [R, C] = dims(x.shape);
    const y = map(reduceTo(x.values, [R, C], [R, 1]), (s) => s / C);
    return this.tape.output([R], y, [x], (dy) => [() => map(broadcastTo(dy, [R, 1], [R, C]), (g) => g / C)]);
  }

  /** |x|; gradient dy · step(x, -1): -1 at exactly 0, as TF.js's. */
  abs(x: DTensor): DTensor {
    return this.tape.output(x.shape, map(x.values, Math.abs), [x], (dy) => [() => map(dy, (g, i) => g * stepValue(x.values[i]!, -1))]);
  }

  /** Columns [start, start + width) of a [rows, cols] tensor; the gradient is padded with zeros. */
  sliceColumns(x: DTensor, start: number, width: number): DTensor {
    const [R, C] = dims(x.shape);
    const y = new Float32Array(R * width);
    for (let r = 0; r < R; r++) y.set(x.values.subarray(r * C + start, r * C + start + width), r * width);
    return this.tape.output([R, width], y, [x], (dy) => [
      () => {
        const g = new Float32Array(R * C);
        for (let r = 0; r < R; r++) g.set(dy.subarray(r * width, (r + 1) * width), r * C + start);
        return g;
      },
    ]);
  }

  softmax(x: DTensor): DTensor {
    const y = this.kernels.softmax(x.values, x.shape);
    const [R, C] = dims(x.shape);
    return this.tape.output(x.shape, y, [x], (dy) => [
      () => {
        // sub(dy·y, sum(dy·y, -1, keepDims)·y)
        const dyy = map(dy, (g, i) => g * y[i]!);
        const s = reduceTo(dyy, [R, C], [R, 1]);
        return map(dyy, (v, i) => v - Math.fround(s[Math.floor(i / C)]! * y[i]!));
      },
    ]);
  }

  /** tfjs-core's logSoftmax (a custom gradient): value = (x − max) − log Σ exp(x − max). */
  logSoftmax(x: DTensor): DTensor {
    const [R, C] = dims(x.shape);
    const shifted = new Float32Array(R * C);
    for (let r = 0; r < R; r++) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, x.values[r * C + c]!);
      for (let c = 0; c < C; c++) shifted[r * C + c] = x.values[r * C + c]! - m;
    }
    const sums = reduceTo(this.kernels.exp(shifted, [R, C]), [R, C], [R, 1]);
    const logs = this.kernels.log(sums, [R, 1]);
    const value = map(shifted, (v, i) => v - logs[Math.floor(i / C)]!);
    return this.tape.output([R, C], value, [x], (dy) => [
      () => {
        const soft = this.kernels.exp(value, [R, C]);
        const s = reduceTo(dy, [R, C], [R, 1]);
        return map(dy, (g, i) => g - Math.fround(s[Math.floor(i / C)]! * soft[i]!));
      },
    ]);
  }

  /** Natural log by the backend's kernel; gradient dy / x. */
  log(x: DTensor): DTensor {
    const y = this.kernels.log(x.values, x.shape);
    return this.tape.output(x.shape, y, [x], (dy) => [() => map(dy, (g, i) => g / x.values[i]!)]);
  }

  /** tf.addN of same-shape tensors: a running sum in input order; each input's gradient is dy. */
  addN(xs: readonly DTensor[]): DTensor {
    const y = xs[0]!.values.slice();
    for (let k = 1; k < xs.length; k++) for (let i = 0; i < y.length; i++) y[i] = y[i]! + xs[k]!.values[i]!;
    return this.tape.output(xs[0]!.shape, y, xs, (dy) => xs.map(() => () => dy.slice()));
  }

  /**
   * dense.ts's layer: x·W (+ b) by the heap kernel's products; gradients dx = dy·Wᵀ (or zeros when
   * `inputGrad` is false), dW = xᵀ·dy, db = Σ_rows dy.
   */
  dense(x: DTensor, w: DTensor, b: DTensor | undefined, inputGrad: boolean): DTensor {
    const [M, K] = x.shape as [number, number];
    const N = w.shape[1]!;
    const product = this.products.nn(x.values, w.values, M, K, N);
    if (b) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) product[i * N + j] = product[i * N + j]! + b.values[j]!;
    const inputs = b ? [x, w, b] : [x, w];
    return this.tape.output([M, N], product, inputs, (dy) => {
      const dx = inputGrad ? this.products.nt(dy, w.values, M, N, K) : new Float32Array(M * K);
      const dw = this.products.tn(x.values, dy, M, K, N);
      const ders: (() => Float32Array)[] = [() => dx, () => dw];
      if (b) ders.push(() => reduceTo(dy, [M, N], [N]));
      return ders;
    });
  }
}

/** TF.js's step(x, alpha): 1 where x > 0, NaN where x is NaN, else alpha. */
function stepValue(v: number, alpha = 0): number {
  return v > 0 ? 1 : v !== v ? NaN : alpha;
}
