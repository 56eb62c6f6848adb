/**
 * A tiny, pluggable float32 compute layer: the one product the heavy scorers need, C = A·Bᵀ.
 *
 * A backend prepares the right operand B once (it may pack it into whatever layout its kernel
 * wants) and then multiplies many left blocks A against it. Both operands are row-major float32
 * with the same number of columns, so C[i][j] = Σ_t A[i][t]·B[j][t] (the dot product of row i of A
 * with row j of B).
 *
 * Accuracy contract (what callers may rely on to make their own results exact): every entry of C
 * is the value of *some* evaluation order of that dot product in IEEE float32 or better, so
 * |C[i][j] − a·b| ≤ γ(cols + 2)·Σ_t |a_t·b_t| with γ(n) = n·u / (1 − n·u), u = 2⁻²⁴ (see
 * {@link dotErrorBound}). Backends that accumulate in float64 (the JS one) satisfy it trivially.
 */

export interface PreparedRight {
  /** Rows of B (the number of columns of C). */
  readonly rows: number;
  /** Columns of B (the shared inner dimension). */
  readonly cols: number;
  /**
   * C = A·Bᵀ for a row-major A of `rowsA` x `cols`; returns the dense row-major `rowsA` x `rows`
   * result, written into `out` when given (it must hold at least rowsA * rows values).
   */
  multiply(a: Float32Array, rowsA: number, out?: Float32Array): Float32Array;
  /** Frees what the backend holds for B (memory, packed copies). The object is unusable after. */
  dispose(): void;
}

/**
 * A prepared right operand of int16 pairs (each Int32 slot holds two int16 values, the lower half
 * first: inner indices 2p and 2p + 1). multiply() returns the exact int32 dot products; the
 * caller guarantees that every |sum| (and every partial sum) stays below 2^31.
 */
export interface PreparedRightInt16Pairs {
  readonly rows: number;
  /** Inner slots (pairs). */
  readonly cols: number;
  multiply(a: Int32Array, rowsA: number, out?: Int32Array): Int32Array;
  dispose(): void;
}

export interface ComputeBackend {
  /** Short name for logs and benchmark output, e.g. 'wasm-simd' or 'js'. */
  readonly name: string;
  /** Threads the backend computes with (1 unless it runs workers). */
  readonly threads: number;
  /** Prepares the right operand B (row-major `rows` x `cols`) for many products A·Bᵀ. */
  prepareRight(b: Float32Array, rows: number, cols: number): PreparedRight;
  /** Optional exact int16 product (the wasm backend has it): see PreparedRightInt16Pairs. */
  prepareRightInt16Pairs?(b: Int32Array, rows: number, pairs: number): PreparedRightInt16Pairs;
}

/** Unit roundoff of float32. */
export const F32_UNIT_ROUNDOFF = 2 ** -24;

/**
 * γ(n)·(1 + tiny slack): the classical worst-case relative error factor of a float32 dot
 * product of length n − 2 (n − 2 additions' worth of roundings, one product rounding and one
 * final store), valid for any summation order. Multiply by Σ|a_t·b_t| (≤ ‖a‖·‖b‖) to bound the
 * absolute error of an entry of C.
 */
export function dotErrorBound(cols: number): number {
  const nu = (cols + 2) * F32_UNIT_ROUNDOFF;
  if (nu >= 0.5) throw new Error(`dotErrorBound: inner dimension ${cols} too large for a float32 bound`);
  return (nu / (1 - nu)) * (1 + 1e-6);
}

export function checkOperand(name: string, data: { readonly length: number }, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`${name}: invalid shape ${rows} x ${cols}`);
  }
  if (data.length < rows * cols) {
    throw new Error(`${name}: ${data.length} values do not fill a ${rows} x ${cols} matrix`);
  }
}

export function outputBuffer(out: Float32Array | undefined, size: number): Float32Array {
  if (out === undefined) return new Float32Array(size);
  if (out.length < size) throw new Error(`multiply: output holds ${out.length} values, needs ${size}`);
  return out;
}
