declare const self: Worker;
self.onmessage = async (e: MessageEvent) => {
  const { mem, ctrl } = e.data as { mem: WebAssembly.Memory; ctrl: Int32Array };
  new Int32Array(mem.buffer)[0] = 42;
  Atomics.store(ctrl, 0, 1); Atomics.notify(ctrl, 0);
  const res = (Atomics as any).waitAsync(ctrl, 1, 0);
  await res.value;
  ctrl[2] = mem.buffer.byteLength;
  Atomics.store(ctrl, 0, 2); Atomics.notify(ctrl, 0);
};
