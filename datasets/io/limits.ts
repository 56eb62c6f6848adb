/**
 * Bounds on the work and memory a file may cause the readers in datasets/io. Each is checked
 * against the sizes a file declares before anything is allocated, so a tiny hostile file (a zip
 * or zlib bomb, a stride-0 tensor with a huge shape) is refused with one line instead of taking
 * gigabytes.
 *
 * The defaults fit every real input the harness reads (torch.save stores its entries
 * uncompressed, so the inflate cap only concerns deflated archives and compressed MAT-files).
 * Raise them with the environment variables below (in MiB; `bun harness eval-dumps` also has
 * --max-inflate-mb and --max-tensor-mb), or with setIoLimits in code.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export interface IoLimits {
  /** Most bytes one compressed zip entry or MAT-file element may inflate to. */
  maxInflatedBytes: number;
  /** Most bytes of float64 output a tensor view may expand to beyond what its storage holds. */
  maxTensorBytes: number;
  /** Most seconds a zip library call may take before it counts as hung. */
  zipTimeoutSeconds: number;
}

const MIB = 1024 * 1024;

function fromEnv(name: string, fallback: number, scale: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return value * scale;
}

export const DEFAULT_IO_LIMITS: Readonly<IoLimits> = Object.freeze({
  maxInflatedBytes: 512 * MIB,
  maxTensorBytes: 512 * MIB,
  zipTimeoutSeconds: 120,
});

const limits: IoLimits = {
  maxInflatedBytes: fromEnv('MULTIOOD_MAX_INFLATE_MB', DEFAULT_IO_LIMITS.maxInflatedBytes, MIB),
  maxTensorBytes: fromEnv('MULTIOOD_MAX_TENSOR_MB', DEFAULT_IO_LIMITS.maxTensorBytes, MIB),
  zipTimeoutSeconds: fromEnv('MULTIOOD_ZIP_TIMEOUT_S', DEFAULT_IO_LIMITS.zipTimeoutSeconds, 1),
};

/** The limits in force (a live object: setIoLimits changes it). */
export function ioLimits(): Readonly<IoLimits> {
  return limits;
}

/** Changes some limits; returns the previous values so a caller (a test) can restore them. */
export function setIoLimits(changes: Partial<IoLimits>): IoLimits {
  const previous = { ...limits };
  for (const [key, value] of Object.entries(changes) as [keyof IoLimits, number][]) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`setIoLimits: ${key} must be a positive number, got ${value}`);
    limits[key] = value;
  }
  return previous;
}

export function mebibytes(bytes: number): string {
  return `${(bytes / MIB).toFixed(bytes < MIB ? 3 : 0)} MiB`;
}

/**
 * Control characters (newlines included) escaped as \\u000a and the like, so that an error
 * message quoting a name taken from a file stays one line in a log.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The whole of a regular file. Opened non-blocking and checked with fstat on the open descriptor,
 * so a FIFO cannot block the reader and a device such as /dev/zero cannot be read without end;
 * either is refused by `refuse(what it is)`. Symlinks to regular files are fine (dataset folders
 * often are links).
 */
export async function readRegularFile(path: string, refuse: (message: string) => Error): Promise<Uint8Array> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      const kind = stats.isDirectory() ? 'a folder' : stats.isFIFO() ? 'a FIFO' : stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device' : 'not a regular file';
      throw refuse(`${path}: expected a regular file, found ${kind}`);
    }
    const bytes = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
