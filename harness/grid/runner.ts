import type { BackendName } from '../backend.ts';
import { doneWorkKey, type FinishedCell, type ResultsStore, type RunMeta } from '../store/contract.ts';
import { executeCell, type CellEvent } from './execute-cell.ts';
import { cellLabel, type CellTask } from './plan.ts';
import type { FromWorker, ToWorker } from './worker.ts';

/** Runs cells on `size` lanes; lane i runs one cell at a time. */
export interface CellExecutor {
  readonly size: number;
  run(lane: number, task: CellTask, onEvent: (e: CellEvent) => void): Promise<FinishedCell>;
  /** Stops every lane now; cells in flight are abandoned (their promises reject). */
  close(): void;
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** One Bun Worker per lane (workers are replaced when one dies). */
export function workerPool(size: number, backend: BackendName, outputsDir?: string): CellExecutor {
  const workers: (Worker | undefined)[] = new Array(size).fill(undefined);
  const pending = new Map<number, { reject: (e: Error) => void }>();
  let closed = false;
  const spawn = (lane: number): Worker => {
    const w = new Worker(new URL('./worker.ts', import.meta.url).href);
    workers[lane] = w;
    return w;
  };
  return {
    size,
    run(lane, task, onEvent) {
      if (closed) return Promise.reject(new Interrupted());
      const w = workers[lane] ?? spawn(lane);
      return new Promise<FinishedCell>((resolve, reject) => {
        pending.set(lane, { reject });
        const started = new Date();
        w.onmessage = (ev: MessageEvent<FromWorker>) => {
          const m = ev.data;
          if (m.type === 'event' && m.id === task.id) onEvent(m.event);
          if (m.type === 'done' && m.cell.id === task.id) {
            pending.delete(lane);
            resolve(m.cell);
          }
        };
        w.onerror = (ev: ErrorEvent) => {
          // The worker died (e.g. out of memory): the cell fails, the lane gets a fresh worker.
          pending.delete(lane);
          w.terminate();
          workers[lane] = undefined;
          const now = new Date();
          resolve({ id: task.id, config: task.config, status: 'failed', startedAt: started.toISOString(), endedAt: now.toISOString(), seconds: (now.getTime() - started.getTime()) / 1000, error: `worker crashed: ${ev.message ?? 'unknown error'}`, results: [] });
        };
        const msg: ToWorker = { type: 'run', task, backend, ...(outputsDir ? { outputsDir } : {}) };
        w.postMessage(msg);
      });
    },
    close() {
      closed = true;
      for (const w of workers) w?.terminate();
      for (const p of pending.values()) p.reject(new Interrupted());
      pending.clear();
    },
  };
}

/** Cells run one after another on the calling thread (tests, and --workers 1 debugging). */
export function inProcessExecutor(outputsDir?: string, execute: (task: CellTask, onEvent: (e: CellEvent) => void) => Promise<FinishedCell> = (t, onEvent) => executeCell(t, { ...(outputsDir ? { outputsDir } : {}), onEvent })): CellExecutor {
  let closed = false;
  return {
    size: 1,
    async run(_lane, task, onEvent) {
      if (closed) throw new Interrupted();
      const cell = await execute(task, onEvent);
      if (closed) throw new Interrupted();
      return cell;
    },
    close() {
      closed = true;
    },
  };
}

/** What the progress view is told. */
export interface GridObserver {
  start(info: { readonly total: number; readonly alreadyDone: number; readonly lanes: number; readonly estimateSeconds: number }): void;
  cellStarted(lane: number, task: CellTask): void;
  cellEvent(lane: number, task: CellTask, e: CellEvent): void;
  cellFinished(lane: number, cell: FinishedCell, counts: { readonly done: number; readonly failed: number; readonly total: number }): void;
  end(summary: GridSummary): void;
}

export interface GridSummary {
  readonly planned: number;
  /** finished in an earlier run, skipped */
  readonly alreadyDone: number;
  readonly done: number;
  readonly failed: readonly { readonly id: string; readonly label: string; readonly error: string }[];
  /** cells not run because the run was interrupted */
  readonly notRun: number;
  readonly interrupted: boolean;
  readonly seconds: number;
}

export interface RunGridOptions {
  readonly cells: readonly CellTask[];
  readonly store: ResultsStore;
  readonly meta: RunMeta;
  readonly executor: CellExecutor;
  readonly observer?: GridObserver;
  /** Aborting stops new cells and abandons those in flight (SIGINT). */
  readonly signal?: AbortSignal;
  /** Seconds a cell is expected to take, for the first ETA. */
  readonly estimate?: (task: CellTask) => number;
}

/**
 * The cells still to run, each with only the scorer configurations not yet computed (or skipped)
 * with the current code: a cell done with every asked scorer is left out; one that lacks a scorer
 * (a new scorer, new settings, changed scorer code) runs again for that scorer only, reading its
 * trained outputs from the cache.
 */
export function remainingWork(cells: readonly CellTask[], done: ReadonlySet<string>): CellTask[] {
  const out: CellTask[] = [];
  for (const task of cells) {
    if (!done.has(doneWorkKey(task.id))) {
      out.push(task);
      continue;
    }
    const missing = task.config.scorers.filter((s) => !done.has(doneWorkKey(task.id, s)));
    if (missing.length) out.push({ ...task, config: { ...task.config, scorers: missing } });
  }
  return out;
}

/**
 * Runs every cell not already finished in the store, `executor.size` at a time, and commits each
 * finished (or failed) cell in its own transaction as it arrives: a killed run loses only the
 * cells in flight, and the next run resumes from the store.
 */
export async function runGrid(o: RunGridOptions): Promise<GridSummary> {
  const t0 = performance.now();
  const pending = remainingWork(o.cells, o.store.doneWork());
  const alreadyDone = o.cells.length - pending.length;
  const failed: { id: string; label: string; error: string }[] = [];
  let done = 0;
  let next = 0;
  let interrupted = o.signal?.aborted ?? false;
  const estimate = pending.reduce((s, c) => s + (o.estimate?.(c) ?? 0), 0) / Math.max(1, Math.min(o.executor.size, pending.length));
  o.observer?.start({ total: pending.length, alreadyDone, lanes: o.executor.size, estimateSeconds: estimate });
  if (pending.length === 0) {
    const summary: GridSummary = { planned: o.cells.length, alreadyDone, done: 0, failed: [], notRun: 0, interrupted: false, seconds: 0 };
    o.observer?.end(summary);
    return summary;
  }
  const runId = o.store.beginRun(o.meta);
  const onAbort = () => {
    interrupted = true;
    o.executor.close();
  };
  o.signal?.addEventListener('abort', onAbort);
  const lane = async (i: number) => {
    while (!interrupted && next < pending.length) {
      const task = pending[next++]!;
      o.observer?.cellStarted(i, task);
      let cell: FinishedCell;
      try {
        cell = await o.executor.run(i, task, (e) => o.observer?.cellEvent(i, task, e));
      } catch (e) {
        if (e instanceof Interrupted || interrupted) return;
        const now = new Date().toISOString();
        cell = { id: task.id, config: task.config, status: 'failed', startedAt: now, endedAt: now, seconds: 0, error: (e instanceof Error ? e.message : String(e)).split('\n')[0]!, results: [] };
      }
      if (interrupted) return;
      o.store.commitCell(runId, cell);
      if (cell.status === 'done') done++;
      else failed.push({ id: cell.id, label: cellLabel(cell.config), error: cell.error ?? 'failed' });
      o.observer?.cellFinished(i, cell, { done, failed: failed.length, total: pending.length });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.executor.size, pending.length) }, (_, i) => lane(i)));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    o.executor.close();
    o.store.endRun(runId, new Date().toISOString());
  }
  const summary: GridSummary = {
    planned: o.cells.length,
    alreadyDone,
    done,
    failed,
    notRun: pending.length - done - failed.length,
    interrupted,
    seconds: (performance.now() - t0) / 1000,
  };
  o.observer?.end(summary);
  return summary;
}
