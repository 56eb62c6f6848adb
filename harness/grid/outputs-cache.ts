import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainResult } from '../../methods/training/train.ts';

/**
 * Trained models' results (outputs on every split, training curve, discrepancies) cached on disk
 * under `<db dir>/outputs/<training key>.bin`, so that adding a scorer later does not retrain.
 *
 * Format: "MOOD-OUT2\n", a little-endian u32 header length, the JSON header, then the typed
 * arrays' bytes, each 8-byte aligned. The header is the value with each Float64Array /
 * Float32Array / Int32Array replaced by {"$f64"|"$f32"|"$i32": [offset, length]}, each Map by
 * {"$map": entries} and each non-finite number by {"$num": "NaN"}: every array keeps its type and
 * bits, so cached scores equal fresh ones. Arrays are written and read one at a time, straight
 * between the file and their own buffers: a cache never holds a second copy of a model's outputs.
 */
const MAGIC = 'MOOD-OUT2\n';
const TAGS = [
  ['$f64', Float64Array],
  ['$f32', Float32Array],
  ['$i32', Int32Array],
] as const;
type Tagged = Float64Array | Float32Array | Int32Array;

export function outputsPath(dir: string, key: string): string {
  return join(dir, `${key}.bin`);
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** The header bytes and the arrays to write after it (at the header's offsets, in order). */
function layout(value: unknown): { head: Uint8Array; arrays: Tagged[]; dataStart: number; dataBytes: number } {
  const arrays: Tagged[] = [];
  let offset = 0;
  const walk = (v: unknown): unknown => {
    for (const [tag, type] of TAGS) {
      if (v instanceof type) {
        arrays.push(v);
        const at = offset;
        offset += align8(v.byteLength);
        return { [tag]: [at, v.byteLength] };
      }
    }
    if (v instanceof Map) return { $map: [...v.entries()].map(([k, x]) => [k, walk(x)]) };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const header = new TextEncoder().encode(JSON.stringify(walk(value)));
  const prefix = new TextEncoder().encode(MAGIC);
  const dataStart = align8(prefix.byteLength + 4 + header.byteLength);
  const head = new Uint8Array(dataStart);
  head.set(prefix, 0);
  new DataView(head.buffer).setUint32(prefix.byteLength, header.byteLength, true);
  head.set(header, prefix.byteLength + 4);
  return { head, arrays, dataStart, dataBytes: offset };
}

/** Writes the encoding to an open file, array by array. */
function writeEncoded(fd: number, value: unknown): void {
  const { head, arrays } = layout(value);
  const pad = new Uint8Array(8);
  const writeAll = (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done);
  };
  writeAll(head);
  for (const a of arrays) {
    writeAll(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const gap = align8(a.byteLength) - a.byteLength;
    if (gap > 0) writeAll(pad.subarray(0, gap));
  }
}

/** The whole encoding in memory (tests; the cache itself streams). */
export function encodeTrainResult(value: unknown): Uint8Array {
  const { head, arrays, dataStart, dataBytes } = layout(value);
  const out = new Uint8Array(dataStart + dataBytes);
  out.set(head, 0);
  let at = dataStart;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += align8(a.byteLength);
  }
  return out;
}

/** Reads `length` bytes at `position` of the encoding into `into`. */
type ReadAt = (into: Uint8Array, position: number) => void;

function decodeWith(readAt: ReadAt, size: number): unknown {
  const prefix = new TextEncoder().encode(MAGIC);
  if (size < prefix.byteLength + 4) throw new Error('not a cached outputs file');
  const start = new Uint8Array(prefix.byteLength + 4);
  readAt(start, 0);
  if (new TextDecoder().decode(start.subarray(0, prefix.byteLength)) !== MAGIC) throw new Error('not a cached outputs file');
  const headerLength = new DataView(start.buffer).getUint32(prefix.byteLength, true);
  const headStart = prefix.byteLength + 4;
  if (headStart + headerLength > size) throw new Error('truncated cached outputs file');
  const headerBytes = new Uint8Array(headerLength);
  readAt(headerBytes, headStart);
  const header = JSON.parse(new TextDecoder().decode(headerBytes));
  const dataStart = align8(headStart + headerLength);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const [tag, type] of TAGS) {
        if (tag in o) {
          const [at, len] = o[tag] as [number, number];
          if (dataStart + at + len > size || len % type.BYTES_PER_ELEMENT !== 0) throw new Error('truncated cached outputs file');
          // Its own aligned buffer, filled straight from the source.
          const bytes = new Uint8Array(len);
          readAt(bytes, dataStart + at);
          return new type(bytes.buffer);
        }
      }
      if ('$map' in o) return new Map((o.$map as [string, unknown][]).map(([k, x]) => [k, walk(x)]));
      if ('$num' in o) return Number(o.$num);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(header);
}

export function decodeTrainResult(bytes: Uint8Array): unknown {
  return decodeWith((into, position) => into.set(bytes.subarray(position, position + into.byteLength)), bytes.byteLength);
}

/** The cached result, or undefined when absent or unreadable (then the cell retrains). */
export function readCachedTraining(dir: string, key: string): TrainResult | undefined {
  const path = outputsPath(dir, key);
  if (!existsSync(path)) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const file = fd;
    const readAt: ReadAt = (into, position) => {
      for (let done = 0; done < into.byteLength; ) {
        const n = readSync(file, into, done, into.byteLength - done, position + done);
        if (n === 0) throw new Error('truncated cached outputs file');
        done += n;
      }
    };
    return decodeWith(readAt, fstatSync(file).size) as TrainResult;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Written to a temporary name then renamed, so a killed worker never leaves half a file. */
export function writeCachedTraining(dir: string, key: string, result: TrainResult): void {
  mkdirSync(dir, { recursive: true });
  const path = outputsPath(dir, key);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeEncoded(fd, result);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true }); // a full disk must not leave the partial file behind for good
    throw e;
  }
}
