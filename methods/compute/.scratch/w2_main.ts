const ctrl = new Int32Array(new SharedArrayBuffer(64));
const w = new Worker(new URL('./w2_worker.ts', import.meta.url).href);
w.unref();
w.postMessage({ ctrl });
Atomics.wait(ctrl, 0, 0, 2000);
console.log('worker is waiting asynchronously; main exits now');
