import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm'); await tf.ready();
const D = 4352;
function bench(M: number, N: number, reps = 2) {
  const a = tf.randomNormal([M, D]); const b = tf.randomNormal([D, N]);
  let t = performance.now();
  const c0 = tf.matMul(a, b); c0.dataSync(); c0.dispose();
  const first = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < reps; i++) { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); }
  const dt = (performance.now() - t) / reps;
  console.log(M, N, 'first', first.toFixed(0), 'ms; steady', dt.toFixed(0), 'ms', (2 * M * D * N / dt / 1e6).toFixed(2), 'GFLOPS', 'mem', JSON.stringify(tf.memory()));
  a.dispose(); b.dispose();
}
bench(512, 4096); bench(512, 8192); bench(256, 8192); bench(1024, 8192); bench(512, 22549, 1);
bench(512, 40048, 1);
console.log('rss', process.memoryUsage().rss / 1e6);
