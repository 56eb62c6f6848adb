/** Builds the static site: the data file through the API in process, then `astro build` under Bun. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp } from '../api/index.ts';
import { InputError } from '../errors.ts';
import { openStore } from '../store/index.ts';
import { type ApiRequest, collectSiteData } from './collect.ts';

export const SITE_ROOT = resolve(import.meta.dir, '..', '..', 'site');
const ASTRO_BIN = resolve(import.meta.dir, '..', '..', 'node_modules', 'astro', 'bin', 'astro.mjs');

export interface BuildSiteOptions {
  readonly db: string;
  readonly out: string;
  readonly repoUrl?: string | null;
  /** wraps the app's request (tests inject routes) */
  readonly wrapRequest?: (request: ApiRequest) => ApiRequest;
  /** astro's output goes here (default: inherited stderr) */
  readonly quiet?: boolean;
}

export interface BuildSiteReport {
  readonly out: string;
  readonly pages: number;
  readonly cells: number;
  readonly collectSeconds: number;
  readonly astroSeconds: number;
}

function countPages(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) n += countPages(p);
    else if (name.endsWith('.html')) n++;
  }
  return n;
}

export async function buildSite(options: BuildSiteOptions): Promise<BuildSiteReport> {
  if (!existsSync(options.db)) throw new InputError(`--db ${options.db}: no such database`);
  if (!existsSync(ASTRO_BIN)) throw new InputError('astro is not installed: run npm install');
  const out = resolve(options.out);
  const t0 = performance.now();
  const store = openStore(options.db, { readonly: true });
  let dataFile: string;
  const work = mkdtempSync(join(tmpdir(), 'multiood-site-'));
  let cells: number;
  try {
    const app = createApp(store, { staticRoot: null });
    const base: ApiRequest = (path) => app.request(path);
    const data = await collectSiteData(options.wrapRequest ? options.wrapRequest(base) : base, options.repoUrl !== undefined ? { repoUrl: options.repoUrl } : {});
    cells = data.cells.length;
    dataFile = join(work, 'site-data.json');
    writeFileSync(dataFile, JSON.stringify(data));
  } finally {
    store.close();
  }
  const t1 = performance.now();
  try {
    mkdirSync(out, { recursive: true });
    const proc = Bun.spawn([process.execPath, '--bun', ASTRO_BIN, 'build', '--root', SITE_ROOT], {
      cwd: SITE_ROOT,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', MULTIOOD_SITE_DATA: dataFile, MULTIOOD_SITE_OUT: out },
      stdout: options.quiet ? 'pipe' : 'inherit',
      stderr: options.quiet ? 'pipe' : 'inherit',
    });
    const [code, stdout, stderr] = await Promise.all([
      proc.exited,
      proc.stdout instanceof ReadableStream ? new Response(proc.stdout).text() : '',
      proc.stderr instanceof ReadableStream ? new Response(proc.stderr).text() : '',
    ]);
    if (code !== 0) throw new Error(`astro build failed (exit ${code})\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const t2 = performance.now();
  return { out, pages: countPages(out), cells, collectSeconds: (t1 - t0) / 1000, astroSeconds: (t2 - t1) / 1000 };
}
