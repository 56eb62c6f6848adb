/**
 * A grid worker (Bun Worker): starts the compute backend once, then runs the cells the main
 * thread sends, one at a time, posting progress and the FinishedCell back. Training is
 * single-threaded (TF.js wasm), so the parallelism of a run is the number of workers.
 */
import { initBackend, type BackendName } from '../backend.ts';
import { executeCell } from './execute-cell.ts';
import type { CellTask } from './plan.ts';

export type ToWorker = { readonly type: 'run'; readonly task: CellTask; readonly backend: BackendName; readonly outputsDir?: string };
export type FromWorker =
  | { readonly type: 'event'; readonly id: string; readonly event: import('./execute-cell.ts').CellEvent }
  | { readonly type: 'done'; readonly cell: import('../store/contract.ts').FinishedCell };

declare const self: Worker;
let backend: Promise<unknown> | undefined;
let lastProgress = 0;

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  if (msg.type !== 'run') return;
  // One thread for the scorers' kernels too: the workers already fill the cores.
  backend ??= initBackend(msg.backend, { computeThreads: 1 });
  const post = (m: FromWorker) => self.postMessage(m);
  try {
    await backend;
  } catch (e) {
    backend = undefined;
    const now = new Date().toISOString();
    post({ type: 'done', cell: { id: msg.task.id, config: msg.task.config, status: 'failed', startedAt: now, endedAt: now, seconds: 0, error: `backend: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`, results: [] } });
    return;
  }
  const cell = await executeCell(msg.task, {
    ...(msg.outputsDir ? { outputsDir: msg.outputsDir } : {}),
    onEvent: (event) => {
      if (event.kind === 'progress') {
        const t = performance.now();
        if (t - lastProgress < 200 && event.step !== event.steps) return;
        lastProgress = t;
      }
      post({ type: 'event', id: msg.task.id, event });
    },
  });
  post({ type: 'done', cell });
};
