/**
 * Worker side of the threaded wasm backend (see wasm.ts): instantiates the shared-memory kernel
 * for every operand the main thread registers, then sleeps on the control block and claims
 * work units of each published job.
 */
import { CTRL, claimAndRun, runUnit, sgemmModuleBytes, type GemmFn, type KernelKind, type PartLayout } from './wasm-kernel.ts';

declare const self: Worker;

/** Atomics.waitAsync (ES2024; JavaScriptCore and V8 have it, the ES2022 lib does not declare it). */
interface AtomicsWaitAsync {
  waitAsync(
    array: Int32Array, index: number, value: number, timeout?: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}

type Message =
  | { type: 'init'; ctrl: Int32Array }
  | { type: 'operand'; id: number; memory: WebAssembly.Memory; layout: PartLayout; kind?: KernelKind }
  | { type: 'drop'; id: number };

const modules = { f32: new WebAssembly.Module(sgemmModuleBytes(true, 65536, 'f32')), i16: new WebAssembly.Module(sgemmModuleBytes(true, 65536, 'i16')) };
const operands = new Map<number, { gemm: GemmFn; layout: PartLayout }>();
let started = false;

self.onmessage = (event: MessageEvent<Message>) => {
  const msg = event.data;
  if (msg.type === 'operand') {
    const instance = new WebAssembly.Instance(modules[msg.kind ?? 'f32'], { env: { mem: msg.memory } });
    operands.set(msg.id, { gemm: instance.exports.gemm as GemmFn, layout: msg.layout });
  } else if (msg.type === 'drop') {
    operands.delete(msg.id);
  } else if (msg.type === 'init' && !started) {
    started = true;
    void loop(msg.ctrl);
  }
};

async function loop(ctrl: Int32Array): Promise<void> {
  let seen = Atomics.load(ctrl, CTRL.gen);
  for (;;) {
    const gen = Atomics.load(ctrl, CTRL.gen);
    if (gen === seen) {
      const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(ctrl, CTRL.gen, seen);
      if (waited.async) await waited.value;
      continue;
    }
    seen = gen;
    const slot = CTRL.slot0 + (gen % 2) * CTRL.slotSize;
    const op = operands.get(ctrl[slot + CTRL.opId]!);
    if (op === undefined) continue; // not registered here yet: the other threads do the job
    const total = ctrl[slot + CTRL.total]!;
    const count = ctrl[slot + CTRL.rows]!;
    claimAndRun(ctrl, gen, total, (unit) => {
      runUnit(op.gemm, op.layout, count, unit);
      Atomics.add(ctrl, CTRL.workerChunks, 1);
    });
  }
}
