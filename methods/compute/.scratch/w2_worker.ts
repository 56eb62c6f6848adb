declare const self: Worker;
self.onmessage = async (e: MessageEvent) => {
  const { ctrl } = e.data as { ctrl: Int32Array };
  Atomics.store(ctrl, 0, 1); Atomics.notify(ctrl, 0);
  for (;;) { await (Atomics as any).waitAsync(ctrl, 1, 0).value; }
};
