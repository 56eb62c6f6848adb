const mem = new WebAssembly.Memory({ initial: 10, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
console.log('shared buffer', mem.buffer.constructor.name, (mem.buffer as any).growable);
const ctrl = new Int32Array(new SharedArrayBuffer(64));
const w = new Worker(new URL('./w_worker.ts', import.meta.url).href);
w.unref();
w.postMessage({ mem, ctrl });
// block main synchronously while worker does stuff
const t = performance.now();
let r = Atomics.wait(ctrl, 0, 0, 5000);
console.log('main wait ->', r, ctrl[0], (performance.now() - t).toFixed(0), 'ms; mem[0]=', new Int32Array(mem.buffer)[0]);
mem.grow(10);
ctrl[1] = 1; Atomics.notify(ctrl, 1);
r = Atomics.wait(ctrl, 0, 1, 5000);
console.log('main wait2 ->', r, ctrl[0], 'worker saw bytes', ctrl[2]);
console.log('typeof waitAsync', typeof (Atomics as any).waitAsync);
