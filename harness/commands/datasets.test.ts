import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFeatureFolder } from '../../datasets/feature-folder/feature-folder.ts';
import { matrix } from '../../methods/linalg/matrix.ts';
import type { DatasetRow } from './datasets.ts';

const CLI = join(import.meta.dir, '..', 'cli.ts');
const root = mkdtempSync(join(tmpdir(), 'datasets-cmd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Async spawn: the fetch test's HTTP server lives in this process and must keep answering. */
async function harness(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, CLI, ...args], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, MULTIOOD_DATA: join(root, 'default-data'), ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

const MULTIOOD_IDS = ['hmdb51-near', 'ucf101-near', 'epic-kitchens-near', 'kinetics600-near', 'hmdb51-far', 'kinetics600-far'];

describe('bun harness datasets', () => {
  test('list --json: every benchmark, official sizes, not available without a feature folder', async () => {
    const r = await harness(['datasets', 'list', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as DatasetRow[];
    expect(rows.map((x) => x.id)).toEqual(expect.arrayContaining(['synthetic-near', 'synthetic-far', ...MULTIOOD_IDS]));
    const hmdb = rows.find((x) => x.id === 'hmdb51-far')!;
    expect(hmdb).toMatchObject({ setting: 'far', idClasses: 43, available: false, modalitySets: [['video', 'flow']] });
    expect(hmdb.sizes).toEqual({ train: 3953, val: 843, test: 877, ood: { UCF: 1351, Kinetics: 8694, HAC: 3381, EPIC: 4871 } });
    expect(hmdb.hint).toContain(join(root, 'default-data', 'multiood', 'hmdb51-far'));
    expect(rows.find((x) => x.id === 'kinetics600-near')!.modalities).toEqual([{ name: 'video', dim: 2304 }, { name: 'audio', dim: 512 }, { name: 'flow', dim: 2048 }]);
    expect(rows.find((x) => x.id === 'synthetic-near')!).toMatchObject({ available: true });
  });

  test('a feature folder makes a benchmark available; info shows its manifest', async () => {
    const dataDir = join(root, 'with-folder');
    const split = (rows: number, labels: boolean) => ({
      features: { video: matrix(rows, 2304), flow: matrix(rows, 2048) },
      ...(labels ? { labels: Int32Array.from({ length: rows }, (_, i) => i % 25) } : {}),
    });
    await writeFeatureFolder(join(dataDir, 'multiood', 'hmdb51-near'), {
      benchmark: 'hmdb51-near',
      data: { train: split(3, true), val: split(2, true), test: split(2, true), ood: new Map([['near', split(2, false)]]) },
      modalities: [{ name: 'video', dim: 2304 }, { name: 'flow', dim: 2048 }],
      backbone: 'zeros',
    });
    const list = await harness(['datasets', 'list', '--json', '--data-dir', dataDir]);
    expect((JSON.parse(list.stdout) as DatasetRow[]).filter((x) => x.available && !x.id.startsWith('synthetic')).map((x) => x.id)).toEqual(['hmdb51-near']);
    const info = await harness(['datasets', 'info', 'hmdb51-near', '--data-dir', dataDir]);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('backbone "zeros"');
    expect(info.stdout).toContain('train 3, val 2, test 2, ood 2');
    expect(info.stdout).toContain('ID splits      train 2074, val 445, test 459');
  });

  test('fetch: a MultiOOD id says how to get the data instead (exit 2, one line)', async () => {
    const r = await harness(['datasets', 'fetch', 'kinetics600-far']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: kinetics600-far cannot be downloaded: MultiOOD's videos are not redistributable here; put a feature folder in .*eval-dumps`$/)]);
  });

  test('fetch utd-mhad: a server error is one line, exit 2, nothing installed', async () => {
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('gone', { status: 410, statusText: 'Gone' }) });
    try {
      const dataDir = join(root, 'fetch');
      const r = await harness(['datasets', 'fetch', 'utd-mhad', '--data-dir', dataDir, '--base-url', `http://127.0.0.1:${server.port}/mirror/`]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`error: GET http://127.0.0.1:${server.port}/mirror/Inertial.zip: HTTP 410 Gone`);
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      server.stop(true);
    }
  });

  test('check: a missing feature folder is a one-line error', async () => {
    const r = await harness(['datasets', 'check', 'ucf101-near', '--split-lists', root, '--data-dir', join(root, 'nothing')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`error: ${join(root, 'nothing', 'multiood', 'ucf101-near')}: feature folder not found`);
  });
});
