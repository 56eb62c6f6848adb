import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainResult } from '../../methods/training/train.ts';

/**
 * Trained models' results (outputs on every split, training curve, discrepancies) cached on disk
 * under `<db dir>/outputs/<training key>.bin`, so that adding a scorer later does not retrain.
 *
 * Format: "MOOD-OUT1\n", a little-endian u32 header length, the JSON header, then the typed
 * arrays' bytes, each 8-byte aligned. The header is the value with each Float64Array/Int32Array
 * replaced by {"$f64"|"$i32": [offset, length]}, each Map by {"$map": entries} and each
 * non-finite number by {"$num": "NaN"}: float64 kept bit for bit, so cached scores equal fresh ones.
 */
const MAGIC = 'MOOD-OUT1\n';

export function outputsPath(dir: string, key: string): string {
  return join(dir, `${key}.bin`);
}

export function encodeTrainResult(value: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const addBlob = (bytes: Uint8Array): [number, number] => {
    const at = offset;
    blobs.push(bytes);
    const padded = Math.ceil(bytes.byteLength / 8) * 8;
    if (padded > bytes.byteLength) blobs.push(new Uint8Array(padded - bytes.byteLength));
    offset += padded;
    return [at, bytes.byteLength];
  };
  const walk = (v: unknown): unknown => {
    if (v instanceof Float64Array) return { $f64: addBlob(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    if (v instanceof Int32Array) return { $i32: addBlob(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    if (v instanceof Map) return { $map: [...v.entries()].map(([k, x]) => [k, walk(x)]) };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const header = new TextEncoder().encode(JSON.stringify(walk(value)));
  const prefix = new TextEncoder().encode(MAGIC);
  const headLen = prefix.byteLength + 4 + header.byteLength;
  const start = Math.ceil(headLen / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(prefix, 0);
  new DataView(out.buffer).setUint32(prefix.byteLength, header.byteLength, true);
  out.set(header, prefix.byteLength + 4);
  let at = start;
  for (const b of blobs) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

export function decodeTrainResult(bytes: Uint8Array): unknown {
  const prefix = new TextEncoder().encode(MAGIC);
  if (new TextDecoder().decode(bytes.subarray(0, prefix.byteLength)) !== MAGIC) throw new Error('not a cached outputs file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(prefix.byteLength, true);
  const headStart = prefix.byteLength + 4;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(headStart, headStart + headerLength)));
  const start = Math.ceil((headStart + headerLength) / 8) * 8;
  // A copy (Buffer#slice would be a view of the whole file), aligned for the typed array.
  const copy = (at: number, len: number) => {
    const out = new Uint8Array(len);
    out.set(bytes.subarray(start + at, start + at + len));
    return out.buffer;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('$f64' in o) {
        const [at, len] = o.$f64 as [number, number];
        return new Float64Array(copy(at, len));
      }
      if ('$i32' in o) {
        const [at, len] = o.$i32 as [number, number];
        return new Int32Array(copy(at, len));
      }
      if ('$map' in o) return new Map((o.$map as [string, unknown][]).map(([k, x]) => [k, walk(x)]));
      if ('$num' in o) return Number(o.$num);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(header);
}

/** The cached result, or undefined when absent or unreadable (then the cell retrains). */
export function readCachedTraining(dir: string, key: string): TrainResult | undefined {
  const path = outputsPath(dir, key);
  if (!existsSync(path)) return undefined;
  try {
    return decodeTrainResult(readFileSync(path)) as TrainResult;
  } catch {
    return undefined;
  }
}

/** Written to a temporary name then renamed, so a killed worker never leaves half a file. */
export function writeCachedTraining(dir: string, key: string, result: TrainResult): void {
  mkdirSync(dir, { recursive: true });
  const path = outputsPath(dir, key);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, encodeTrainResult(result));
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true }); // a full disk must not leave the partial file behind for good
    throw e;
  }
}
