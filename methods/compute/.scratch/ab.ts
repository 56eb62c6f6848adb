import { createWasmBackend } from '../index.ts';
import { loadavg } from 'node:os';
const D = 4352, N = Number(process.env.NN ?? 22549), M = 512;
const B = new Float32Array(N * D); for (let i = 0; i < B.length; i++) B[i] = Math.random();
const A = new Float32Array(M * D); for (let i = 0; i < A.length; i++) A[i] = Math.random();
const one = createWasmBackend().prepareRight(B, N, D);
const two = createWasmBackend({ threads: 2 }).prepareRight(B, N, D);
await Bun.sleep(500);
const out = new Float32Array(M * N);
const res: Record<string, number[]> = { x1: [], x2: [] };
for (let rep = 0; rep < 4; rep++) {
  for (const [name, p] of [['x1', one], ['x2', two]] as const) {
    const c0 = process.cpuUsage(); const t = performance.now(); p.multiply(A, M, out); const dt = performance.now() - t; const cu = process.cpuUsage(c0);
    res[name]!.push(Math.round(2 * M * N * D / dt / 1e6 * 10) / 10);
    console.log(name, (dt / 1000).toFixed(2), 's', (2 * M * N * D / dt / 1e6).toFixed(1), 'GFLOPS wall; cpu/wall', ((cu.user + cu.system) / 1000 / dt).toFixed(2), 'load', loadavg()[0]!.toFixed(2));
  }
}
console.log(JSON.stringify(res));
