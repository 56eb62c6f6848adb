/**
 * Worker side of the threaded float64 kernel (see dgemm-pool.ts): instantiates the shared-memory
 * dgemm kernel on each memory the calling thread posts, then sleeps on the control block and
 * claims work units of each published job.
 */
import { DCTRL, claimAndRun, dgemmModuleBytes, readJob, runDgemmUnit, type DgemmFn } from './dgemm-kernel.ts';

declare const self: Worker;

/** Atomics.waitAsync (ES2024; JavaScriptCore and V8 have it, the ES2022 lib does not declare it). */
interface AtomicsWaitAsync {
  waitAsync(
    array: Int32Array, index: number, value: number, timeout?: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}

type Message =
  | { type: 'init'; ctrl: Int32Array; alphas: Float64Array }
  | { type: 'memory'; id: number; memory: WebAssembly.Memory }
  | { type: 'drop' };

const module = new WebAssembly.Module(dgemmModuleBytes(true));
/** Only the newest memory is kept: the pool never publishes a job on an older one. */
let current: { id: number; fn: DgemmFn } | undefined;
let started = false;

self.onmessage = (event: MessageEvent<Message>) => {
  const msg = event.data;
  if (msg.type === 'memory') {
    const instance = new WebAssembly.Instance(module, { env: { mem: msg.memory } });
    current = { id: msg.id, fn: instance.exports.dgemm as DgemmFn };
  } else if (msg.type === 'drop') {
    current = undefined;
  } else if (msg.type === 'init' && !started) {
    started = true;
    void loop(msg.ctrl, msg.alphas);
  }
};

async function loop(ctrl: Int32Array, alphas: Float64Array): Promise<void> {
  let seen = Atomics.load(ctrl, DCTRL.gen);
  for (;;) {
    const gen = Atomics.load(ctrl, DCTRL.gen);
    if (gen === seen) {
      const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(ctrl, DCTRL.gen, seen);
      if (waited.async) await waited.value;
      continue;
    }
    seen = gen;
    const { memId, total, job } = readJob(ctrl, alphas, gen);
    const mine = current;
    if (mine === undefined || mine.id !== memId) continue; // memory not received yet: the others do the job
    claimAndRun(ctrl, gen, total, (unit) => {
      runDgemmUnit(mine.fn, job, unit);
      Atomics.add(ctrl, DCTRL.workerUnits, 1);
    });
  }
}
