/**
 * Downloads zip archives, extracts them and verifies every extracted file against a committed
 * SHA-256 manifest, then moves the result into place with one rename.
 *
 * Everything happens in a hidden work folder inside the data folder (`.<name>-fetch-XXXX`, so
 * the final rename never crosses file systems); the work folder is removed whatever happens.
 * The target folder therefore either appears complete and verified, or not at all.
 *
 * Archive entries are matched to manifest paths by file name within the archive's folder
 * (`Inertial.zip` provides the manifest's `Inertial/...` files), whatever folders the archive
 * wraps them in; entry names are never used as output paths, so no entry can write outside the
 * target. Entries the manifest does not list are not extracted (reported as skipped); OS junk
 * (`__MACOSX/`, `._*`, `.DS_Store`, `Thumbs.db`) is ignored silently.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ZipArchive } from '../io/zip.ts';

export class FetchError extends Error {
  override readonly name = 'FetchError';
}

export const Sha256ManifestSchema = z.object({
  dataset: z.string(),
  source: z.string().optional(),
  /** Relative path (forward slashes) -> lower-case hex SHA-256. */
  files: z.record(z.string().regex(/^(?!.*(^|\/)\.\.?(\/|$))[^/\\][^\\]*$/, 'a relative path without . or .. segments'), z.string().regex(/^[0-9a-f]{64}$/)),
  /** Paths that are verified when present but may be absent from a release. */
  optional: z.array(z.string()).optional(),
});
export type Sha256Manifest = z.infer<typeof Sha256ManifestSchema>;

export interface ArchiveSource {
  readonly url: string;
  /** The manifest folder this archive provides, e.g. 'Inertial'. */
  readonly folder: string;
}

export interface FetchArchivesOptions {
  /** Folder name under dataDir, e.g. 'utd-mhad'. */
  readonly name: string;
  readonly dataDir: string;
  readonly archives: readonly ArchiveSource[];
  readonly manifest: Sha256Manifest;
  readonly onProgress?: (line: string) => void;
  /** Injected in tests; default the global fetch. */
  readonly fetch?: (url: string) => Promise<Response>;
}

export interface FetchArchivesResult {
  readonly target: string;
  readonly files: number;
  readonly bytes: number;
  /** Archive entries not in the manifest, not extracted (`archive:entry`). */
  readonly skipped: readonly string[];
  /** Optional manifest files the archives did not hold. */
  readonly absentOptional: readonly string[];
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const JUNK = /(^|\/)(__MACOSX\/|\._[^/]*$|\.DS_Store$|Thumbs\.db$)/;

export async function fetchVerifiedArchives(o: FetchArchivesOptions): Promise<FetchArchivesResult> {
  const target = join(o.dataDir, o.name);
  if (existsSync(target)) throw new FetchError(`${target} already exists: delete it to fetch again`);
  const progress = o.onProgress ?? (() => undefined);
  // folder -> file name -> manifest path
  const expected = new Map<string, Map<string, string>>();
  for (const path of Object.keys(o.manifest.files)) {
    const slash = path.indexOf('/');
    const folder = slash < 0 ? '' : path.slice(0, slash);
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (!expected.has(folder)) expected.set(folder, new Map());
    const byName = expected.get(folder)!;
    if (byName.has(base)) throw new Error(`manifest ${o.manifest.dataset}: two files named ${base} in ${folder}/`);
    byName.set(base, path);
  }

  await mkdir(o.dataDir, { recursive: true });
  const work = await mkdtemp(join(o.dataDir, `.${o.name}-fetch-`));
  try {
    const staging = join(work, o.name);
    await mkdir(staging);
    const seen = new Set<string>();
    const skipped: string[] = [];
    let bytes = 0;
    for (const archive of o.archives) {
      const zipName = archiveFileName(archive.url);
      const zipPath = join(work, zipName);
      await download(archive.url, zipPath, o.fetch ?? ((u) => fetch(u)), progress);
      const byName = expected.get(archive.folder) ?? new Map<string, string>();
      const zip = await ZipArchive.open(zipPath).catch((e: unknown) => {
        throw new FetchError(`${archive.url}: ${oneLine(e).replace(`${zipPath}: `, '')}`);
      });
      let verified = 0;
      try {
        for (const entry of zip.entries.values()) {
          if (entry.name.endsWith('/') || JUNK.test(entry.name)) continue;
          const base = entry.name.slice(entry.name.lastIndexOf('/') + 1);
          const path = byName.get(base);
          if (path === undefined) {
            skipped.push(`${zipName}:${entry.name}`);
            continue;
          }
          if (seen.has(path)) throw new FetchError(`${zipName}: ${entry.name}: a second copy of ${path}`);
          const data = await zip.read(entry.name).catch((e: unknown) => {
            throw new FetchError(`${zipName}: ${oneLine(e).replace(`${zipPath}: `, '')}`);
          });
          const hash = sha256Hex(data);
          const want = o.manifest.files[path]!;
          if (hash !== want) {
            throw new FetchError(`${zipName}: ${entry.name}: SHA-256 ${hash.slice(0, 16)}… does not match the manifest's ${want.slice(0, 16)}… for ${path} (corrupt download or another release); nothing was installed`);
          }
          const out = join(staging, ...path.split('/'));
          await mkdir(join(out, '..'), { recursive: true });
          await writeFile(out, data);
          seen.add(path);
          bytes += data.length;
          verified++;
        }
      } finally {
        await zip.close();
      }
      await rm(zipPath, { force: true });
      progress(`${zipName}: ${verified} files verified`);
    }
    const optional = new Set(o.manifest.optional ?? []);
    const missing = Object.keys(o.manifest.files).filter((p) => !seen.has(p) && !optional.has(p));
    if (missing.length > 0) {
      throw new FetchError(`${missing.length} file${missing.length > 1 ? 's' : ''} of the manifest ${missing.length > 1 ? 'are' : 'is'} in no archive (first: ${missing[0]}); nothing was installed`);
    }
    const absentOptional = [...optional].filter((p) => !seen.has(p));
    await rename(staging, target).catch((e: unknown) => {
      throw new FetchError(`could not move the verified files into ${target}: ${oneLine(e)}`);
    });
    return { target, files: seen.size, bytes, skipped, absentOptional };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function archiveFileName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  if (!/^[\w.-]+\.zip$/i.test(name)) throw new FetchError(`${url}: expected a URL ending in <name>.zip`);
  return name;
}

async function download(url: string, path: string, get: (url: string) => Promise<Response>, progress: (line: string) => void): Promise<void> {
  let res: Response;
  try {
    res = await get(url);
  } catch (e) {
    throw new FetchError(`GET ${url}: ${oneLine(e)}`);
  }
  if (!res.ok || !res.body) throw new FetchError(`GET ${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  const total = Number(res.headers.get('content-length') ?? NaN);
  const file = await open(path, 'w');
  let received = 0;
  let lastReport = performance.now();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await file.write(chunk);
      received += chunk.length;
      if (performance.now() - lastReport > 2000) {
        lastReport = performance.now();
        progress(`${url}: ${mb(received)}${Number.isFinite(total) ? ` of ${mb(total)}` : ''}`);
      }
    }
  } catch (e) {
    throw new FetchError(`GET ${url}: download interrupted after ${mb(received)} (${oneLine(e)})`);
  } finally {
    await file.close();
  }
  if (Number.isFinite(total) && received !== total) throw new FetchError(`GET ${url}: got ${received} bytes, the server announced ${total}`);
  progress(`${url}: ${mb(received)} downloaded`);
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}
