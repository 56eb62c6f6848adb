import type { CellEvent } from './execute-cell.ts';
import { cellLabel, type CellTask } from './plan.ts';
import type { GridObserver, GridSummary } from './runner.ts';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

interface Stream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * Progress of a grid run on stderr. In a terminal: a live block redrawn in place (plain ANSI:
 * cursor up, clear line): cells done/total, failures, ETA, then one line per worker with its cell
 * and epoch. Elsewhere (CI, logs): one plain line per finished cell.
 */
export function gridProgress(stream: Stream = process.stderr, now: () => number = () => performance.now()): GridObserver {
  const tty = stream.isTTY === true;
  const t0 = now();
  let total = 0;
  let lanes: { label: string; detail: string }[] = [];
  let finished = 0;
  let failed = 0;
  let estimate = NaN;
  let drawn = 0;
  let lastDraw = 0;
  const cellSeconds: number[] = [];

  const eta = () => {
    const remaining = total - finished;
    if (cellSeconds.length === 0) return estimate;
    const mean = cellSeconds.reduce((a, b) => a + b, 0) / cellSeconds.length;
    return (remaining * mean) / Math.max(1, Math.min(lanes.length, remaining));
  };
  const draw = (force = false) => {
    if (!tty) return;
    const t = now();
    if (!force && t - lastDraw < 150) return;
    lastDraw = t;
    const width = (stream.columns ?? 120) - 1;
    const lines = [
      `cells ${finished}/${total}${failed ? ` (${failed} failed)` : ''} | elapsed ${formatDuration((t - t0) / 1000)} | ETA ${formatDuration(eta())}`,
      ...lanes.map((l, i) => `  worker ${i + 1}: ${l.label}${l.detail ? ` ${l.detail}` : ''}`),
    ].map((l) => (l.length > width ? l.slice(0, width) : l));
    let out = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const l of lines) out += `\r\x1b[2K${l}\n`;
    stream.write(out);
    drawn = lines.length;
  };
  const clear = () => {
    if (!tty || drawn === 0) return;
    let out = `\x1b[${drawn}A`;
    for (let i = 0; i < drawn; i++) out += '\r\x1b[2K\n';
    stream.write(`${out}\x1b[${drawn}A`);
    drawn = 0;
  };
  /** A line above the live block. */
  const log = (line: string) => {
    clear();
    stream.write(`${line}\n`);
    draw(true);
  };

  return {
    start(info) {
      total = info.total;
      estimate = info.estimateSeconds;
      lanes = Array.from({ length: Math.min(info.lanes, Math.max(1, info.total)) }, () => ({ label: 'idle', detail: '' }));
      if (info.total === 0) return;
      stream.write(`${info.total} cells to run on ${lanes.length} workers${info.alreadyDone ? ` (${info.alreadyDone} already done, skipped)` : ''}, estimated ${formatDuration(info.estimateSeconds)}\n`);
      draw(true);
    },
    cellStarted(lane, task: CellTask) {
      const l = lanes[lane];
      if (l) {
        l.label = cellLabel(task.config);
        l.detail = 'starting';
      }
      draw();
    },
    cellEvent(lane, _task, e: CellEvent) {
      const l = lanes[lane];
      if (!l) return;
      l.detail = e.kind === 'cached' ? '(cached outputs, scoring)' : `epoch ${e.epoch + 1}/${e.epochs} step ${e.step}/${e.steps}`;
      draw();
    },
    cellFinished(lane, cell, counts) {
      finished = counts.done + counts.failed;
      failed = counts.failed;
      cellSeconds.push(cell.seconds);
      const l = lanes[lane];
      if (l) {
        l.label = 'idle';
        l.detail = '';
      }
      const head = `[${finished}/${total}] ${cell.status === 'done' ? 'done' : 'FAILED'} ${cellLabel(cell.config)} (${cell.seconds.toFixed(1)} s)`;
      if (cell.status === 'failed') log(`${head}: ${cell.error}`);
      else if (!tty) log(`${head}, ETA ${formatDuration(eta())}`);
      else draw(true);
    },
    end(summary: GridSummary) {
      clear();
      stream.write(`${summaryLine(summary)}\n`);
      for (const f of summary.failed) stream.write(`  failed: ${f.label} [${f.id.slice(0, 12)}]: ${f.error}\n`);
    },
  };
}

export function summaryLine(s: GridSummary): string {
  if (s.done + s.failed.length === 0 && s.notRun === 0) return `nothing to do: ${s.alreadyDone} cells already done`;
  const parts = [`${s.done} cells done`];
  if (s.failed.length) parts.push(`${s.failed.length} failed`);
  if (s.alreadyDone) parts.push(`${s.alreadyDone} already done before`);
  if (s.interrupted) parts.push(`interrupted: ${s.notRun} not run (run the same command again to resume)`);
  return `${parts.join(', ')} in ${formatDuration(s.seconds)}`;
}
