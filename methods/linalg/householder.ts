/**
 * LAPACK's dlarfg: the elementary reflector H = I - tau v v^T with H [alpha; x] = [beta; 0],
 * v = [1; x / (alpha - beta)]. The tail x = data[tailStart..tailEnd) is overwritten with v's tail;
 * alpha (data[alphaIndex]) is left for the caller. The norm is computed with scaling so that
 * tiny or huge entries neither underflow nor overflow. tau = 0 (H = I) when x is zero.
 */
export function householderReflector(data: Float64Array, alphaIndex: number, tailStart: number, tailEnd: number): { beta: number; tau: number } {
  const alpha = data[alphaIndex]!;
  let scale = 0;
  for (let r = tailStart; r < tailEnd; r++) scale = Math.max(scale, Math.abs(data[r]!));
  if (scale === 0) return { beta: alpha, tau: 0 };
  let ss = 0;
  for (let r = tailStart; r < tailEnd; r++) {
    const x = data[r]! / scale;
    ss += x * x;
  }
  const xnorm = scale * Math.sqrt(ss);
  const beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
  const f = 1 / (alpha - beta);
  for (let r = tailStart; r < tailEnd; r++) data[r]! *= f;
  return { beta, tau: (beta - alpha) / beta };
}
