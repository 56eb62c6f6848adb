import { jsMatmulABt } from '../js.ts';
const D = 4352, M = 64, N = 1024;
const A = new Float32Array(M * D).map(() => Math.random() - 0.5);
const B = new Float32Array(N * D).map(() => Math.random() - 0.5);
const C = new Float32Array(M * N);
jsMatmulABt(A, M, B, N, D, C);
const t = performance.now(); jsMatmulABt(A, M, B, N, D, C); const dt = performance.now() - t;
console.log('js', dt.toFixed(0), 'ms', (2 * M * N * D / dt / 1e6).toFixed(2), 'GFLOPS');
