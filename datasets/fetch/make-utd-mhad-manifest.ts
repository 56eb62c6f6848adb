#!/usr/bin/env bun
/**
 * Regenerates utd-mhad.sha256.json from a verified copy of UTD-MHAD:
 *
 *   bun datasets/fetch/make-utd-mhad-manifest.ts [SOURCE_DIR]     (default ../shared/data/utd-mhad)
 *
 * Hashes every file under Inertial/, Skeleton/ and Depth/ (the folders the three official
 * archives unpack to). Only relative paths and hashes are written, never data. Files other than
 * the .mat sequences (the skeleton joint-order note) are marked optional: verified when an
 * archive holds them, not required.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sha256Hex, type Sha256Manifest } from './verified-archives.ts';

/** The folders of the three official archives (as in utd-mhad.ts, which imports the manifest this script writes). */
const UTD_MHAD_ARCHIVES = ['Inertial', 'Skeleton', 'Depth'] as const;

export async function hashUtdMhadFolder(source: string): Promise<Sha256Manifest> {
  const files: Record<string, string> = {};
  for (const folder of UTD_MHAD_ARCHIVES) {
    const names = (await readdir(join(source, folder), { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name).slice(join(source, folder).length + 1).split('\\').join('/'));
    for (const name of names.sort()) files[`${folder}/${name}`] = sha256Hex(await readFile(join(source, folder, name)));
  }
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    dataset: 'utd-mhad',
    source: 'UTD-MHAD official MATLAB files (Chen, Jafari, Kehtarnavaz, ICIP 2015), as unpacked from Inertial.zip, Skeleton.zip and Depth.zip',
    files: sorted,
    optional: Object.keys(sorted).filter((p) => !p.endsWith('.mat')),
  };
}

if (import.meta.main) {
  const source = resolve(process.argv[2] ?? join(import.meta.dir, '..', '..', '..', 'shared', 'data', 'utd-mhad'));
  const manifest = await hashUtdMhadFolder(source);
  const out = join(import.meta.dir, 'utd-mhad.sha256.json');
  await writeFile(out, `${JSON.stringify(manifest, null, 1)}\n`);
  process.stderr.write(`${out}: ${Object.keys(manifest.files).length} files from ${source}\n`);
}
