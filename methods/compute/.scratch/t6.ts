import { createWasmBackend, jsBackend } from '../index.ts';
function rnd(n: number) { const x = new Float32Array(n); for (let i = 0; i < n; i++) x[i] = Math.random() - 0.5; return x; }
// correctness on odd sizes
for (const [M, N, D] of [[1, 1, 1], [5, 17, 3], [37, 50, 259], [300, 1100, 513]] as const) {
  const A = rnd(M * D), B = rnd(N * D);
  const ref = jsBackend.prepareRight(B, N, D).multiply(A, M);
  for (const be of [createWasmBackend(), createWasmBackend({ threads: 2, minParallelFlops: 0 }), createWasmBackend({ maxPartBytes: 300000 })]) {
    const p = be.prepareRight(B, N, D); const c = p.multiply(A, M); p.dispose();
    let err = 0; for (let i = 0; i < c.length; i++) err = Math.max(err, Math.abs(c[i]! - ref[i]!));
    console.log(be.name, M, N, D, 'maxErr', err.toExponential(2));
  }
}
// speed
const D = 4352, N = 8192, M = 1024;
const A = rnd(M * D), B = rnd(N * D);
for (const be of [createWasmBackend(), createWasmBackend({ threads: 2 })]) {
  const p = be.prepareRight(B, N, D); const out = new Float32Array(M * N);
  p.multiply(A, 256, out);
  const t = performance.now(); p.multiply(A, M, out); const dt = performance.now() - t;
  console.log(be.name, dt.toFixed(0), 'ms', (2 * M * N * D / dt / 1e6).toFixed(2), 'GFLOPS'); p.dispose();
}
