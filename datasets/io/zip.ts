/**
 * Random-access zip reader on top of yauzl: opening reads only the central directory, and read()
 * streams just the entry asked for. Checkpoints written by torch.save are hundreds of MB while
 * the harness needs a few of their entries, so nothing here ever reads the whole file.
 *
 * yauzl handles the format (stored and deflated entries, ZIP64, data descriptors; torch sets flag
 * bit 3 and leaves the local sizes zero, so sizes come from the central directory). It does not
 * check CRC-32, so read() does, with Bun's built-in crc32. yauzl's errors are rethrown as one-line
 * ZipFormatErrors that name the file.
 *
 * Hostile files: every read yauzl asks for goes through BoundedFileReader, which refuses
 * positions outside the file (a damaged ZIP64 locator once made yauzl throw out of a callback
 * and hang); a deflated entry may not declare more than ioLimits().maxInflatedBytes nor more than
 * deflate can produce from its compressed size, checked before the output buffer is allocated;
 * and each library call has a time bound, so nothing the file says can hang the caller.
 */
import { close as closeFd, fstat, open as openFd, read as readFd } from 'node:fs';
import { Readable } from 'node:stream';
import { fromRandomAccessReaderPromise, RandomAccessReader, type Entry, type ZipFile } from 'yauzl';
import { ioLimits, mebibytes, oneLine } from './limits.ts';

/** Its message is always one line: names taken from the file (entry names, keys) are escaped. */
export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
  constructor(message: string) {
    super(oneLine(message));
  }
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
/** Deflate's best ratio is about 1032:1 (zlib tech notes); more than this is a corrupt header. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * yauzl's random access reader over an open file descriptor that refuses any range outside the
 * file before reaching fs, where an out-of-range position would throw inside a callback.
 */
class BoundedFileReader extends RandomAccessReader {
  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly path: string,
  ) {
    super();
  }

  private outOfRange(start: number, end: number): ZipFormatError | undefined {
    if (Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= this.size) return undefined;
    return new ZipFormatError(`${this.path}: the zip structure points at bytes ${start}..${end}, outside the ${this.size}-byte file (corrupt or truncated zip?)`);
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const problem = this.outOfRange(start, end);
    let position = start;
    const fd = this.fd;
    return new Readable({
      read(size) {
        if (problem) return void this.destroy(problem);
        const length = Math.min(Math.max(size, 1 << 16), end - position);
        if (length <= 0) return void this.push(null);
        const chunk = Buffer.allocUnsafe(length);
        readFd(fd, chunk, 0, length, position, (error, bytesRead) => {
          if (error) return void this.destroy(error);
          if (bytesRead === 0) return void this.destroy(new Error('unexpected EOF'));
          position += bytesRead;
          this.push(chunk.subarray(0, bytesRead));
        });
      },
    });
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (error: Error | null) => void): void {
    const problem = this.outOfRange(position, position + length);
    if (problem) return void setImmediate(() => callback(problem));
    readFd(this.fd, buffer, offset, length, position, (error, bytesRead) => {
      if (error) callback(error);
      else if (bytesRead < length) callback(new Error('unexpected EOF'));
      else callback(null);
    });
  }

  override close(callback: (error: Error | null) => void): void {
    closeFd(this.fd, (error) => callback(error ?? null));
  }
}

/** Opens `path` for yauzl through a BoundedFileReader. */
function openBounded(path: string): Promise<ZipFile> {
  return new Promise<{ fd: number; size: number }>((resolve, reject) => {
    openFd(path, 'r', (error, fd) => {
      if (error) return reject(error);
      fstat(fd, (statError, stats) => {
        if (statError || !stats.isFile()) {
          closeFd(fd, () => undefined);
          return reject(statError ?? new ZipFormatError(`${path}: not a regular file`));
        }
        resolve({ fd, size: stats.size });
      });
    });
  }).then(({ fd, size }) => {
    const reader = new BoundedFileReader(fd, size, path);
    return fromRandomAccessReaderPromise(reader, size, { lazyEntries: true, autoClose: false, decodeStrings: false }).catch((error: unknown) => {
      reader.close(() => undefined);
      throw error;
    });
  });
}

/** Rejects with a ZipFormatError when `promise` takes longer than the zip time limit. */
function withTimeout<T>(promise: Promise<T>, path: string, what: string): Promise<T> {
  const seconds = ioLimits().zipTimeoutSeconds;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ZipFormatError(`${path}: reading the ${what} took longer than ${seconds} s (corrupt zip? MULTIOOD_ZIP_TIMEOUT_S raises the limit)`)),
      seconds * 1000,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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
    const zip = await withTimeout(openBounded(path), path, 'end of central directory').catch((error: unknown) => {
      throw zipError(path, error, 'end of central directory');
    });
    const raw = new Map<string, Entry>();
    const entries = new Map<string, ZipEntry>();
    try {
      await withTimeout(readEntries(), path, 'central directory');
    } catch (error) {
      await closeZip(zip).catch(() => undefined);
      throw zipError(path, error, 'central directory');
    }
    return new ZipArchive(zip, raw, path, entries);

    async function readEntries(): Promise<void> {
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
    }
  }

  /**
   * The uncompressed bytes of one entry, verified against its CRC-32, in a buffer of its own
   * (byteOffset 0, so callers may view it as any typed array).
   */
  async read(name: string): Promise<Uint8Array> {
    const entry = this.raw.get(name);
    if (!entry) throw new ZipFormatError(`${this.path}: no entry '${name}' in the zip archive`);
    this.checkDeclaredSize(name, entry);
    let stream: Readable | undefined;
    let bytes: Uint8Array;
    let filled = 0;
    try {
      bytes = new Uint8Array(entry.uncompressedSize);
      const copy = async (): Promise<void> => {
        stream = await this.zip.openReadStreamPromise(entry);
        for await (const chunk of stream as AsyncIterable<Uint8Array>) {
          if (filled + chunk.length > bytes.length) {
            throw new ZipFormatError(`${this.path}: entry '${name}' holds more than the ${bytes.length} bytes its header declares`);
          }
          bytes.set(chunk, filled);
          filled += chunk.length;
        }
      };
      await withTimeout(copy(), this.path, `entry '${name}'`);
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

  /** Refuses, before allocating, an entry whose declared size is impossible or over the limit. */
  private checkDeclaredSize(name: string, entry: Entry): void {
    const declared = entry.uncompressedSize;
    if (entry.compressionMethod === 0) return; // stored: yauzl checks it equals the compressed size, which fits the file
    if (declared > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw new ZipFormatError(
        `${this.path}: entry '${name}' declares ${declared} bytes from ${entry.compressedSize} compressed, more than deflate can produce (corrupt zip?)`,
      );
    }
    const limit = ioLimits().maxInflatedBytes;
    if (declared > limit) {
      throw new ZipFormatError(
        `${this.path}: entry '${name}' would inflate to ${mebibytes(declared)}, over the ${mebibytes(limit)} limit (raise it with MULTIOOD_MAX_INFLATE_MB or --max-inflate-mb)`,
      );
    }
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
