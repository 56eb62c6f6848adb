/**
 * MATLAB MAT-file (Level 5, "MATLAB 5.0 MAT-file", what MATLAB writes with -v6 and -v7) reader
 * for plain real numeric arrays: the format UTD-MHAD and many other sensor datasets ship in.
 *
 * Layout read here (MathWorks, "MAT-File Format", Level 5):
 * - a 128-byte header: 116 bytes of text, an 8-byte subsystem-data offset, a 2-byte version
 *   (0x0100) and a 2-byte endian indicator: 'IM' in a little-endian file. Big-endian files ('MI')
 *   are refused, so are v7.3 files (HDF5; version 0x0200) and Level 4 files (no header);
 * - then data elements, each an 8-byte tag (uint32 type, uint32 byte count) and its data padded
 *   to 8 bytes; a "small data element" packs type (low 16 bits), byte count (high 16 bits) and up
 *   to 4 data bytes into the 8 tag bytes;
 * - a top-level element is either a miMATRIX (14), one variable, or a miCOMPRESSED (15) element,
 *   a zlib stream holding one miMATRIX (MATLAB -v7's default, scipy's do_compression=True);
 * - a miMATRIX holds array flags (class in the low byte; complex 0x0800, global 0x0400,
 *   logical 0x0200), dimensions (miINT32, rank >= 2), the name (miINT8) and the real part.
 *
 * The real part's stored type may be narrower than the class: MATLAB saves an integer-valued
 * double array as miUINT8 or miUINT16 when the values fit (UTD-MHAD's depth maps are class double
 * stored as uint16). The data is converted to the class's type, so `data` always has the type
 * `class` names; a stored value the class cannot hold exactly is an error, not a wrap-around.
 *
 * Supported classes: double, single, int8, uint8, int16, uint16, int32, uint32 and logical
 * (uint8 data with the logical flag). Complex, sparse, cell, struct, object, char, int64/uint64,
 * function handles and opaque (MCOS) classes are refused with one line naming the file and the
 * variable, because a silent reinterpretation would produce plausible-looking wrong features.
 *
 * ORDER: `data` is in MATLAB's column-major order, exactly as stored: element (i, j, k) of an
 * array with dims [d0, d1, d2] is data[i + d0 * (j + d1 * k)] (0-based). Use `matIndex` /
 * `matAt` rather than spelling out the strides.
 */
import { inflateSync } from 'node:zlib';
import { ioLimits, mebibytes, oneLine, readRegularFile } from './limits.ts';

export type MatClass = 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'logical';

export interface MatDataByClass {
  double: Float64Array;
  single: Float32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  logical: Uint8Array;
}

/** One variable: `class` discriminates the type of `data` (column-major, see the module doc). */
export type MatArray = {
  [C in MatClass]: { readonly class: C; readonly dims: readonly number[]; readonly data: MatDataByClass[C] };
}[MatClass];

export interface MatReadOptions {
  /** Read only these variables; the others are skipped (not even checked for support). */
  readonly variables?: readonly string[];
}

/** Its message is always one line: names taken from the file (entry names, keys) are escaped. */
export class MatFormatError extends Error {
  override name = 'MatFormatError';
  constructor(message: string) {
    super(oneLine(message));
  }
}

/** Column-major linear index of (i, j, k, ...) in an array of `dims` (0-based; trailing indices default to 0). */
export function matIndex(dims: readonly number[], ...index: number[]): number {
  let linear = 0;
  let stride = 1;
  for (let a = 0; a < dims.length; a++) {
    const i = index[a] ?? 0;
    const d = dims[a]!;
    if (!Number.isInteger(i) || i < 0 || i >= d) throw new RangeError(`matIndex: index ${i} out of range 0..${d - 1} on axis ${a}`);
    linear += i * stride;
    stride *= d;
  }
  if (index.length > dims.length && index.slice(dims.length).some((i) => i !== 0)) {
    throw new RangeError(`matIndex: ${index.length} indices for a rank-${dims.length} array`);
  }
  return linear;
}

/** Element (i, j, k, ...) of a variable, as a number. */
export function matAt(array: MatArray, ...index: number[]): number {
  return array.data[matIndex(array.dims, ...index)]!;
}

// ---------------------------------------------------------------------------------------------
// Element and class tables
// ---------------------------------------------------------------------------------------------

const MI_INT8 = 1;
const MI_INT32 = 5;
const MI_UINT32 = 6;
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;

type TypedArrayCtor = Float64ArrayConstructor | Float32ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor;

interface StoredType {
  readonly label: string;
  readonly size: number;
  /** undefined for the 64-bit integers, read through BigInt arrays */
  readonly ctor?: TypedArrayCtor;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

const STORED_TYPES: ReadonlyMap<number, StoredType> = new Map([
  [1, { label: 'miINT8', size: 1, ctor: Int8Array, min: -128, max: 127, integer: true }],
  [2, { label: 'miUINT8', size: 1, ctor: Uint8Array, min: 0, max: 255, integer: true }],
  [3, { label: 'miINT16', size: 2, ctor: Int16Array, min: -32768, max: 32767, integer: true }],
  [4, { label: 'miUINT16', size: 2, ctor: Uint16Array, min: 0, max: 65535, integer: true }],
  [5, { label: 'miINT32', size: 4, ctor: Int32Array, min: -(2 ** 31), max: 2 ** 31 - 1, integer: true }],
  [6, { label: 'miUINT32', size: 4, ctor: Uint32Array, min: 0, max: 2 ** 32 - 1, integer: true }],
  [7, { label: 'miSINGLE', size: 4, ctor: Float32Array, min: -Infinity, max: Infinity, integer: false }],
  [9, { label: 'miDOUBLE', size: 8, ctor: Float64Array, min: -Infinity, max: Infinity, integer: false }],
  [12, { label: 'miINT64', size: 8, min: -Infinity, max: Infinity, integer: true }],
  [13, { label: 'miUINT64', size: 8, min: 0, max: Infinity, integer: true }],
]);

interface ClassSpec {
  readonly cls: MatClass;
  readonly ctor: TypedArrayCtor;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

const CLASSES: ReadonlyMap<number, ClassSpec> = new Map([
  [6, { cls: 'double', ctor: Float64Array, min: -Infinity, max: Infinity, integer: false }],
  [7, { cls: 'single', ctor: Float32Array, min: -Infinity, max: Infinity, integer: false }],
  [8, { cls: 'int8', ctor: Int8Array, min: -128, max: 127, integer: true }],
  [9, { cls: 'uint8', ctor: Uint8Array, min: 0, max: 255, integer: true }],
  [10, { cls: 'int16', ctor: Int16Array, min: -32768, max: 32767, integer: true }],
  [11, { cls: 'uint16', ctor: Uint16Array, min: 0, max: 65535, integer: true }],
  [12, { cls: 'int32', ctor: Int32Array, min: -(2 ** 31), max: 2 ** 31 - 1, integer: true }],
  [13, { cls: 'uint32', ctor: Uint32Array, min: 0, max: 2 ** 32 - 1, integer: true }],
] satisfies [number, ClassSpec][]);

/** Classes that are refused, by their mxCLASS number, with what to save instead. */
const REFUSED_CLASSES: ReadonlyMap<number, string> = new Map([
  [1, 'cell arrays are not supported (save each numeric array as its own variable)'],
  [2, 'struct arrays are not supported (save each numeric field as its own variable)'],
  [3, 'objects are not supported (save the numeric data as a plain array)'],
  [4, 'char arrays are not supported (only numeric data is read)'],
  [5, 'sparse arrays are not supported (save full(x))'],
  [14, 'int64 arrays are not supported (save as double or int32)'],
  [15, 'uint64 arrays are not supported (save as double or uint32)'],
  [16, 'function handles are not supported'],
  [17, 'opaque (MCOS) objects such as string, table or datetime are not supported'],
]);

const FLAG_COMPLEX = 0x0800;
const FLAG_LOGICAL = 0x0200;

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

export async function readMat(path: string, options: MatReadOptions = {}): Promise<Map<string, MatArray>> {
  const bytes = await readRegularFile(path, (message) => new MatFormatError(message));
  return parseMat(bytes, path, options);
}

/** Parses a whole Level 5 MAT-file. `name` is only used in error messages. */
export function parseMat(bytes: Uint8Array, name: string, options: MatReadOptions = {}): Map<string, MatArray> {
  if (!HOST_IS_LITTLE_ENDIAN) throw new MatFormatError(`${name}: MAT-file reading needs a little-endian host`);
  const subsysOffset = readHeader(bytes, name);
  const wanted = options.variables ? new Set(options.variables) : undefined;
  const out = new Map<string, MatArray>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 128;
  while (offset < bytes.length) {
    if (bytes.length - offset < 8) throw new MatFormatError(`${name}: truncated MAT-file: ${bytes.length - offset} stray bytes after the last element`);
    const type = view.getUint32(offset, true);
    const byteCount = view.getUint32(offset + 4, true);
    const dataStart = offset + 8;
    const dataEnd = dataStart + byteCount;
    if (dataEnd > bytes.length) {
      throw new MatFormatError(`${name}: truncated MAT-file: element at byte ${offset} declares ${byteCount} bytes, ${bytes.length - dataStart} remain`);
    }
    // Compressed elements are not padded; plain ones are, to 8 bytes (the last one may lack its padding).
    const next = type === MI_COMPRESSED ? dataEnd : Math.min(bytes.length, dataStart + pad8(byteCount));
    if (subsysOffset !== undefined && offset === subsysOffset) {
      offset = next; // subsystem data (MCOS class info), not a variable
      continue;
    }
    let matrixBytes: Uint8Array;
    if (type === MI_COMPRESSED) {
      let inflated: Uint8Array;
      // zlib stops at the cap instead of inflating a bomb (2.6 MB of zeros once inflated past 4 GB).
      const limit = ioLimits().maxInflatedBytes;
      try {
        inflated = inflateSync(bytes.subarray(dataStart, dataEnd), { maxOutputLength: limit });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new MatFormatError(
            `${name}: compressed element at byte ${offset} inflates to more than the ${mebibytes(limit)} limit (raise it with MULTIOOD_MAX_INFLATE_MB)`,
          );
        }
        throw new MatFormatError(`${name}: corrupt compressed element at byte ${offset} (${(error as Error).message.split('\n')[0]})`);
      }
      const innerView = new DataView(inflated.buffer, inflated.byteOffset, inflated.byteLength);
      if (inflated.length < 8 || innerView.getUint32(0, true) !== MI_MATRIX) {
        throw new MatFormatError(`${name}: compressed element at byte ${offset} does not hold a miMATRIX`);
      }
      const innerCount = innerView.getUint32(4, true);
      if (8 + innerCount > inflated.length) {
        throw new MatFormatError(`${name}: truncated compressed miMATRIX at byte ${offset}: declares ${innerCount} bytes, ${inflated.length - 8} inflated`);
      }
      matrixBytes = inflated.subarray(8, 8 + innerCount);
    } else if (type === MI_MATRIX) {
      matrixBytes = bytes.subarray(dataStart, dataEnd);
    } else if (type >>> 16 !== 0) {
      throw new MatFormatError(`${name}: unexpected small data element at top level (byte ${offset})`);
    } else {
      throw new MatFormatError(`${name}: unexpected top-level element type ${type} at byte ${offset} (expected miMATRIX 14 or miCOMPRESSED 15)`);
    }
    const variable = parseMatrix(matrixBytes, name, offset, wanted);
    if (variable) {
      if (out.has(variable.name)) throw new MatFormatError(`${name}: variable "${printable(variable.name)}" appears twice`);
      out.set(variable.name, variable.array);
    }
    offset = next;
  }
  if (wanted) {
    const missing = [...wanted].filter((v) => !out.has(v));
    if (missing.length) {
      throw new MatFormatError(`${name}: no variable ${missing.map((v) => `"${v}"`).join(', ')} (has ${[...out.keys()].map(printable).join(', ') || 'none that were asked for'})`);
    }
  }
  return out;
}

/** Validates the 128-byte header; returns the subsystem-data offset when there is one. */
function readHeader(bytes: Uint8Array, name: string): number | undefined {
  if (bytes.length < 128) throw new MatFormatError(`${name}: not a MAT-file (${bytes.length} bytes, shorter than the 128-byte header)`);
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 116));
  const indicator = String.fromCharCode(bytes[126]!, bytes[127]!);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (text.startsWith('MATLAB 7.3') || (indicator === 'IM' && view.getUint16(124, true) === 0x0200)) {
    throw new MatFormatError(`${name}: MATLAB v7.3 (HDF5) MAT-files are not supported (save with -v7 or -v6)`);
  }
  if (indicator === 'MI') throw new MatFormatError(`${name}: big-endian MAT-file (endian indicator 'MI') is not supported`);
  if (indicator !== 'IM' || !text.startsWith('MATLAB')) {
    throw new MatFormatError(`${name}: not a Level 5 MAT-file (expected 'MATLAB' header text and endian indicator 'IM'; Level 4 files are not supported)`);
  }
  const version = view.getUint16(124, true);
  if (version !== 0x0100) throw new MatFormatError(`${name}: unsupported MAT-file version 0x${version.toString(16).padStart(4, '0')} (expected 0x0100)`);
  const subsys = bytes.subarray(116, 124);
  if (subsys.every((b) => b === 0) || subsys.every((b) => b === 0x20)) return undefined;
  const offset = Number(view.getBigUint64(116, true));
  return offset >= 128 && offset < bytes.length ? offset : undefined;
}

interface SubElement {
  readonly type: number;
  readonly start: number;
  readonly end: number;
  /** offset of the next sub-element */
  readonly next: number;
}

/** Reads the sub-element tag at `offset` of a miMATRIX body, small data element format included. */
function subElement(body: Uint8Array, view: DataView, offset: number, fail: (what: string) => never, what: string): SubElement {
  if (offset + 8 > body.length) fail(`truncated miMATRIX: no ${what}`);
  const first = view.getUint32(offset, true);
  if (first >>> 16 !== 0) {
    const byteCount = first >>> 16;
    if (byteCount > 4) fail(`${what}: small data element declares ${byteCount} bytes (at most 4)`);
    return { type: first & 0xffff, start: offset + 4, end: offset + 4 + byteCount, next: offset + 8 };
  }
  const byteCount = view.getUint32(offset + 4, true);
  const start = offset + 8;
  if (start + byteCount > body.length) fail(`truncated miMATRIX: ${what} declares ${byteCount} bytes, ${body.length - start} remain`);
  return { type: first, start, end: start + byteCount, next: start + pad8(byteCount) };
}

function parseMatrix(body: Uint8Array, file: string, at: number, wanted: Set<string> | undefined): { name: string; array: MatArray } | undefined {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let variable = '?';
  const fail = (what: string): never => {
    throw new MatFormatError(`${file}: variable "${printable(variable)}" (element at byte ${at}): ${what}`);
  };

  const flags = subElement(body, view, 0, fail, 'array flags');
  if (flags.type !== MI_UINT32 || flags.end - flags.start !== 8) fail('array flags are not 8 bytes of miUINT32');
  const flagWord = view.getUint32(flags.start, true);
  const classNumber = flagWord & 0xff;

  // Dimensions and name come before anything class-specific, so even a refusal can name the variable.
  const dimsEl = subElement(body, view, flags.next, fail, 'dimensions');
  if (dimsEl.type !== MI_INT32 || (dimsEl.end - dimsEl.start) % 4 !== 0) fail('dimensions are not miINT32');
  const dims: number[] = [];
  for (let p = dimsEl.start; p < dimsEl.end; p += 4) dims.push(view.getInt32(p, true));
  const nameEl = subElement(body, view, dimsEl.next, fail, 'array name');
  if (nameEl.type !== MI_INT8) fail(`array name has type ${nameEl.type} (expected miINT8)`);
  variable = new TextDecoder('latin1').decode(body.subarray(nameEl.start, nameEl.end));
  if (wanted && !wanted.has(variable)) return undefined;

  const refused = REFUSED_CLASSES.get(classNumber);
  if (refused) fail(refused);
  const spec = CLASSES.get(classNumber);
  if (!spec) fail(`unknown array class ${classNumber}`);
  if (flagWord & FLAG_COMPLEX) fail('complex arrays are not supported (save real(x) and imag(x) separately)');
  if (dims.length < 2) fail(`rank ${dims.length} (a MAT-file array has at least 2 dimensions)`);
  if (dims.some((d) => d < 0)) fail(`negative dimension in [${dims.join(', ')}]`);
  const count = dims.reduce((p, d) => p * d, 1);
  if (!Number.isSafeInteger(count)) fail(`dimensions [${dims.join(', ')}] are too large`);

  const real = subElement(body, view, nameEl.next, fail, 'real part');
  const stored = STORED_TYPES.get(real.type);
  if (!stored) fail(`real part has unsupported storage type ${real.type}`);
  const byteLength = real.end - real.start;
  if (byteLength !== count * stored!.size) {
    fail(`real part holds ${byteLength} bytes of ${stored!.label}, dimensions [${dims.join(', ')}] need ${count * stored!.size}`);
  }
  const isLogical = (flagWord & FLAG_LOGICAL) !== 0;
  if (isLogical && spec!.cls !== 'uint8') fail(`logical flag on a ${spec!.cls} array`);
  const data = convert(body, real.start, count, stored!, spec!, fail);
  const cls: MatClass = isLogical ? 'logical' : spec!.cls;
  return { name: variable, array: { class: cls, dims, data } as MatArray };
}

/** The stored values as the class's typed array; refuses values the class cannot hold exactly. */
function convert(body: Uint8Array, start: number, count: number, stored: StoredType, spec: ClassSpec, fail: (what: string) => never): MatDataByClass[MatClass] {
  // An aligned copy of the bytes: typed arrays cannot start at an unaligned offset, and a copy does
  // not pin the whole inflated buffer.
  const copy = body.buffer.slice(body.byteOffset + start, body.byteOffset + start + count * stored.size) as ArrayBuffer;
  let source: ArrayLike<number>;
  if (stored.ctor) {
    source = new stored.ctor(copy);
    if (stored.ctor === spec.ctor) return source as MatDataByClass[MatClass];
  } else {
    const big = stored.label === 'miINT64' ? new BigInt64Array(copy) : new BigUint64Array(copy);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const v = big[i]!;
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) fail(`${stored.label} value ${v} at index ${i} is not exact in a double`);
      values[i] = Number(v);
    }
    source = values;
  }
  // Range and integrality only need checking when the stored type can hold what the class cannot.
  const needsCheck = stored.min < spec.min || stored.max > spec.max || (spec.integer && !stored.integer);
  if (needsCheck) {
    for (let i = 0; i < count; i++) {
      const v = source[i]!;
      if (!(v >= spec.min && v <= spec.max) || (spec.integer && !Number.isInteger(v))) {
        fail(`stored ${stored.label} value ${v} at index ${i} does not fit class ${spec.cls}`);
      }
    }
  }
  const out = new spec.ctor(count);
  // a plain loop: TypedArray#set across element types is several times slower in JavaScriptCore
  for (let i = 0; i < count; i++) out[i] = source[i]!;
  return out as MatDataByClass[MatClass];
}

/** Escapes control characters from the file so that an error message stays one line. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => JSON.stringify(char).slice(1, -1));
}

function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
