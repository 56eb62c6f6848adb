import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Benchmark, LoadOptions } from '../../datasets/benchmark.ts';
import { cacheDir } from '../../datasets/data-dir.ts';
import { canonicalJson } from './canonical.ts';

/**
 * Data fingerprints: which data a result was computed from, by content. A benchmark backed by
 * files lists them (`Benchmark.dataFiles`); each file's sha256 is cached by absolute path, size
 * and modification time in `<cache>/content-hashes.json`, so a rerun does not rehash gigabytes,
 * while a regenerated or edited file (new size or mtime) is hashed again and gets a new
 * fingerprint. Generated benchmarks have no files: their declaration and the generator's code
 * (part of the training code version) determine their data.
 */

interface CacheEntry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

const CACHE_FILE = 'content-hashes.json';

function loadCache(path: string): Record<string, CacheEntry> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, CacheEntry>;
  } catch {
    return {};
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Content hashes of `files` (absolute paths), reusing cached ones whose size and mtime are unchanged. */
export async function contentHashes(files: readonly string[], cacheFolder = cacheDir()): Promise<string[]> {
  const cachePath = join(cacheFolder, CACHE_FILE);
  const cache = loadCache(cachePath);
  let changed = false;
  const out: string[] = [];
  for (const f of files) {
    const path = resolve(f);
    const st = statSync(path);
    const hit = cache[path];
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
      out.push(hit.sha256);
      continue;
    }
    const sha256 = await sha256File(path);
    cache[path] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
    changed = true;
    out.push(sha256);
  }
  if (changed) {
    try {
      mkdirSync(cacheFolder, { recursive: true });
      const tmp = `${cachePath}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(cache));
      renameSync(tmp, cachePath);
    } catch {
      // A read-only cache only costs rehashing next time.
    }
  }
  return out;
}

/** What a benchmark declares about its data (generated benchmarks: all there is). */
export function declaredFacts(b: Benchmark): unknown {
  return {
    id: b.id,
    title: b.title,
    setting: b.setting,
    classNames: b.classNames,
    modalities: b.modalities,
    modalitySets: b.modalitySets,
    splits: b.splits,
    fitSplit: b.fitSplit,
    training: b.training,
    ...(b.partitions ? { partitions: b.partitions } : {}),
  };
}

/**
 * The data fingerprint of a benchmark as loaded with `options`: sha256 of its declared facts and
 * of the content of every file it reads (16 hex digits).
 */
export async function dataFingerprint(b: Benchmark, options: Omit<LoadOptions, 'split'>, cacheFolder?: string): Promise<string> {
  const files = (b.dataFiles?.(options) ?? []).map((f) => resolve(f)).sort();
  for (const f of files) if (!existsSync(f)) throw new Error(`${f}: listed as data of ${b.id} but missing`);
  const hashes = await contentHashes(files, cacheFolder);
  const root = files.length ? commonDir(files) : '';
  const h = createHash('sha256').update(canonicalJson(declaredFacts(b)));
  files.forEach((f, i) => h.update(`\0${f.slice(root.length)}\0${hashes[i]}`));
  return h.digest('hex').slice(0, 16);
}

/** The longest common folder of absolute paths (so the fingerprint does not depend on where the data sits). */
function commonDir(paths: readonly string[]): string {
  let prefix = dirname(paths[0]!);
  while (!paths.every((p) => p.startsWith(`${prefix}/`)) && prefix !== dirname(prefix)) prefix = dirname(prefix);
  return prefix;
}
