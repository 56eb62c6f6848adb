/**
 * Random-access zip reader on top of yauzl: opening reads only the central directory, and read()
 * streams just the entry asked for. Checkpoints written by torch.save are hundreds of MB while
 * the harness needs a few of their entries, so nothing here ever reads the whole file.
 *
 * yauzl handles the format (stored and deflated entries, ZIP64, data descriptors; torch sets flag
 * bit 3 and leaves the local sizes zero, so sizes come from the central directory). It does not
 * check CRC-32, so read() does, with Bun's built-in crc32. yauzl's errors are rethrown as one-line
 * ZipFormatErrors that name the file.
 */
import type { Readable } from 'node:stream';
import { openPromise, type Entry, type ZipFile } from 'yauzl';

export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
}

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  readonly localHeaderOffset: number;
  readonly flags: number;
}

const FLAG_ENCRYPTED = 0x0001;
const utf8 = new TextDecoder('utf-8');

export class ZipArchive {
  private constructor(
    private readonly zip: ZipFile,
    private readonly raw: ReadonlyMap<string, Entry>,
    readonly path: string,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  /** Opens `path` and reads its central directory; the caller must close() the archive. */
  static async open(path: string): Promise<ZipArchive> {
    // decodeStrings: false keeps names as raw bytes, decoded below as UTF-8 whatever the flags say
    // (yauzl would read unflagged names as CP437 and refuse names such as '../x' meant for extraction).
    const zip = await openPromise(path, { lazyEntries: true, autoClose: false, decodeStrings: false }).catch((error: unknown) => {
      throw zipError(path, error, 'end of central directory');
    });
    const raw = new Map<string, Entry>();
    const entries = new Map<string, ZipEntry>();
    try {
      for await (const entry of zip.eachEntry()) {
        const name = utf8.decode(entry.fileNameRaw);
        if (entry.generalPurposeBitFlag & FLAG_ENCRYPTED) throw new ZipFormatError(`${path}: entry '${name}' is encrypted`);
        if (entry.relativeOffsetOfLocalHeader + entry.compressedSize > zip.fileSize) {
          throw new ZipFormatError(`${path}: entry '${name}' extends past the end of the file (truncated zip?)`);
        }
        raw.set(name, entry);
        entries.set(name, {
          name,
          method: entry.compressionMethod,
          compressedSize: entry.compressedSize,
          uncompressedSize: entry.uncompressedSize,
          crc32: entry.crc32,
          localHeaderOffset: entry.relativeOffsetOfLocalHeader,
          flags: entry.generalPurposeBitFlag,
        });
      }
    } catch (error) {
      await closeZip(zip);
      throw zipError(path, error, 'central directory');
    }
    return new ZipArchive(zip, raw, path, entries);
  }

  /**
   * The uncompressed bytes of one entry, verified against its CRC-32, in a buffer of its own
   * (byteOffset 0, so callers may view it as any typed array).
   */
  async read(name: string): Promise<Uint8Array> {
    const entry = this.raw.get(name);
    if (!entry) throw new ZipFormatError(`${this.path}: no entry '${name}' in the zip archive`);
    let stream: Readable | undefined;
    let bytes: Uint8Array;
    let filled = 0;
    try {
      bytes = new Uint8Array(entry.uncompressedSize);
      stream = await this.zip.openReadStreamPromise(entry);
      for await (const chunk of stream as AsyncIterable<Uint8Array>) {
        if (filled + chunk.length > bytes.length) {
          throw new ZipFormatError(`${this.path}: entry '${name}' holds more than the ${bytes.length} bytes its header declares`);
        }
        bytes.set(chunk, filled);
        filled += chunk.length;
      }
    } catch (error) {
      throw zipError(this.path, error, `entry '${name}'`);
    } finally {
      stream?.destroy(); // releases yauzl's hold on the file even when reading stopped early
    }
    if (filled !== bytes.length) {
      throw new ZipFormatError(`${this.path}: entry '${name}' ends after ${filled} of ${bytes.length} bytes (truncated zip?)`);
    }
    if (Bun.hash.crc32(bytes) !== entry.crc32) {
      throw new ZipFormatError(`${this.path}: entry '${name}' fails its CRC-32 check (corrupt or truncated file)`);
    }
    return bytes;
  }

  async close(): Promise<void> {
    await closeZip(this.zip);
  }
}

/** Opens the archive, runs `use`, and closes it whatever happens. */
export async function withZipArchive<T>(path: string, use: (archive: ZipArchive) => Promise<T>): Promise<T> {
  const archive = await ZipArchive.open(path);
  try {
    return await use(archive);
  } finally {
    await archive.close();
  }
}

/** Closes the file descriptor and waits for it (yauzl closes once no entry stream holds it). */
function closeZip(zip: ZipFile): Promise<void> {
  if (!zip.isOpen) return Promise.resolve();
  return new Promise((resolve, reject) => {
    zip.once('close', resolve).once('error', reject);
    zip.close();
  });
}

/** yauzl messages (matched whole) that deserve a plainer wording; others are passed on after `what`. */
const REWORDED: readonly (readonly [RegExp, string])[] = [
  [/^End of central directory record signature not found.*/, 'not a zip archive (no end-of-central-directory record)'],
  [/^unexpected EOF$/, 'file ends while reading the WHAT (truncated zip?)'],
  [/^file data overflows file bounds.*/, 'WHAT extends past the end of the file (truncated zip?)'],
  [/^unsupported compression method: (\d+)$/, 'WHAT uses compression method $1 (expected 0 stored or 8 deflate)'],
];

/**
 * One-line ZipFormatError naming the file. System errors (ENOENT, EACCES, ...) pass through
 * unchanged: they already name the file and are not about the zip format.
 */
function zipError(path: string, error: unknown, what: string): Error {
  if (error instanceof ZipFormatError) return error;
  if (error instanceof Error && 'syscall' in error) return error;
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
  for (const [pattern, wording] of REWORDED) {
    if (pattern.test(message)) return new ZipFormatError(`${path}: ${message.replace(pattern, wording).replace('WHAT', what)}`);
  }
  return new ZipFormatError(`${path}: ${what}: ${message}`);
}
