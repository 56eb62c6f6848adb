import { build } from './gen.ts';
const [MR, NRV, U, rel, KC, M] = process.argv.slice(2).map(Number) as number[];
const NR = NRV! * 4;
const bytes = build(MR!, NRV!, U!, rel === 1);
new WebAssembly.Module(bytes);
const D = 4352, N = Number(process.env.NN ?? 8160);
const Mr = M!;
const mem = new WebAssembly.Memory({ initial: Math.ceil((D * N + D * Mr + Mr * N) * 4 / 65536) + 2 });
const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } });
const gemm = inst.exports.gemm as (...a: number[]) => void;
const f = new Float32Array(mem.buffer);
// random A (M x D) row-major and B (N x D)
const A = new Float32Array(Mr * D).map(() => Math.random() - 0.5);
const B = new Float32Array(N * D).map(() => Math.random() - 0.5);
const kc = KC!; const nkb = Math.ceil(D / kc);
const bOff = 0, aOff = D * N, cOff = aOff + D * Mr;
// pack B: [kb][jt][k][NR]
let p = bOff;
for (let kb = 0; kb < nkb; kb++) { const k0 = kb * kc, k1 = Math.min(D, k0 + kc);
  for (let jt = 0; jt < N / NR; jt++) for (let k = k0; k < k1; k++) for (let j = 0; j < NR; j++) f[p++] = B[(jt * NR + j) * D + k]!; }
p = aOff;
for (let kb = 0; kb < nkb; kb++) { const k0 = kb * kc, k1 = Math.min(D, k0 + kc);
  for (let it = 0; it < Mr / MR!; it++) for (let k = k0; k < k1; k++) for (let r = 0; r < MR!; r++) f[p++] = A[(it * MR! + r) * D + k]!; }
function run() {
  for (let kb = 0; kb < nkb; kb++) { const k0 = kb * kc, kcb = Math.min(D, k0 + kc) - k0;
    gemm((aOff + k0 * Mr) * 4, (bOff + k0 * N) * 4, cOff * 4, Mr / MR!, N / NR, kcb, N * 4, kb > 0 ? 1 : 0); }
}
run();
const c0 = process.cpuUsage(); run(); run(); const cu = process.cpuUsage(c0); const dt = (cu.user + cu.system) / 1000 / 2;
// check a few entries
let maxErr = 0;
for (let s = 0; s < 50; s++) { const i = (s * 7919) % Mr, j = (s * 104729) % N; let d = 0; for (let k = 0; k < D; k++) d += A[i * D + k]! * B[j * D + k]!; maxErr = Math.max(maxErr, Math.abs(d - f[cOff + i * N + j]!)); }
console.log(JSON.stringify({ MR, NRV, U, rel, kc, M: Mr, ms: dt.toFixed(0), gflops: (2 * Mr * N * D / dt / 1e6).toFixed(2), maxErr }));
