/**
 * NumPy `.npy` reader and writer for the plain numeric arrays the benchmark exchanges with
 * Python: one of six dtypes, read the way numpy reads them. Fortran-order arrays (what
 * `np.save(W.T)` writes) are transposed into C order and big-endian arrays are byte-swapped, so
 * `data` is always C order in host (little-endian) byte order. Object and structured arrays and
 * other dtypes are refused with a one-line error that names the file, because a silent
 * reinterpretation would produce plausible-looking wrong scores.
 *
 * Format reference: numpy/lib/format.py (versions 1.0, 2.0 and 3.0).
 */
import { oneLine, readRegularFile } from './limits.ts';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { matrix, type FloatMatrix, type Matrix } from '../../methods/linalg/matrix.ts';

export type NpyDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

/** The typed array that holds each dtype; bool is one byte per element, 0 or 1. */
export interface NpyDataByDtype {
  float32: Float32Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/** An n-d array in C order; `dtype` discriminates the type of `data`. A 0-d array has shape []. */
export type NpyArray = {
  [D in NpyDtype]: { readonly dtype: D; readonly shape: readonly number[]; readonly data: NpyDataByDtype[D] };
}[NpyDtype];

/** Its message is always one line: names taken from the file (entry names, keys) are escaped. */
export class NpyFormatError extends Error {
  override name = 'NpyFormatError';
  constructor(message: string) {
    super(oneLine(message));
  }
}

interface DtypeSpec {
  readonly dtype: NpyDtype;
  readonly itemSize: number;
  /** The descr numpy writes for this dtype, e.g. '<f4' or '|u1'. */
  readonly descr: string;
}

const DTYPE_SPECS: readonly DtypeSpec[] = [
  { dtype: 'float32', itemSize: 4, descr: '<f4' },
  { dtype: 'float64', itemSize: 8, descr: '<f8' },
  { dtype: 'int64', itemSize: 8, descr: '<i8' },
  { dtype: 'int32', itemSize: 4, descr: '<i4' },
  { dtype: 'uint8', itemSize: 1, descr: '|u1' },
  { dtype: 'bool', itemSize: 1, descr: '|b1' },
];

const SUPPORTED_DESCRS = DTYPE_SPECS.map((spec) => spec.descr).join(', ');
/**
 * Longest header accepted: numpy's own reader refuses more than 10,000 bytes by default
 * (max_header_size); this allows for hand-written headers while keeping the parse cheap.
 */
const MAX_HEADER_BYTES = 65_536;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** numpy pads the header so the data starts on a 64-byte boundary. */
const ARRAY_ALIGN = 64;
/** numpy >= 1.23 leaves room for the first axis to grow to this many digits (in-place appends). */
const GROWTH_AXIS_MAX_DIGITS = 21;

// Typed arrays use host byte order; .npy data here is little-endian, so a big-endian host
// would need byte swapping that this module does not do.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

export async function readNpy(path: string): Promise<NpyArray> {
  const bytes = await readRegularFile(path, (message) => new NpyFormatError(message));
  return parseNpy(bytes, path);
}

/** Parses a whole .npy file. `name` is only used in error messages. */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  if (!HOST_IS_LITTLE_ENDIAN) throw new NpyFormatError(`${name}: .npy reading needs a little-endian host`);
  const { header, dataOffset } = readHeaderText(bytes, name);
  const fields = parseHeaderFields(header, name);
  const { spec, bigEndian } = dtypeSpecFor(fields.descr, name);
  const count = elementCount(fields.shape, name);
  const byteLength = count * spec.itemSize;
  const available = bytes.length - dataOffset;
  if (available < byteLength) {
    throw new NpyFormatError(
      `${name}: truncated .npy data: shape (${fields.shape.join(', ')}) of ${spec.dtype} needs ${byteLength} bytes, file has ${available}`,
    );
  }
  const swap = bigEndian && spec.itemSize > 1;
  const transpose = fields.fortranOrder && fields.shape.filter((d) => d > 1).length > 1;
  if (!swap && !transpose) return typedArrayView(spec.dtype, bytes, dataOffset, count, fields.shape);
  // a copy of its own, aligned at 0 (Buffer#slice would be a view into the caller's bytes)
  let data: Uint8Array = new Uint8Array(bytes.subarray(dataOffset, dataOffset + byteLength));
  if (swap) swapBytes(data, spec.itemSize);
  if (transpose) data = fortranToC(data, fields.shape, spec.itemSize);
  return typedArrayView(spec.dtype, data, 0, count, fields.shape);
}

/** Reverses the bytes of every `itemSize`-byte element in place (big-endian to little-endian). */
function swapBytes(data: Uint8Array, itemSize: number): void {
  for (let start = 0; start < data.length; start += itemSize) {
    for (let i = start, j = start + itemSize - 1; i < j; i++, j--) {
      const t = data[i]!;
      data[i] = data[j]!;
      data[j] = t;
    }
  }
}

/**
 * The elements of a Fortran-order (column-major) array rearranged into C order: element
 * (i0, ..., in) sits at i0 + d0 * (i1 + d1 * (...)) in the file and is written at the C-order
 * position. Elements are moved as whole `itemSize`-byte units, so this works for every dtype.
 */
function fortranToC(data: Uint8Array, shape: readonly number[], itemSize: number): Uint8Array {
  const out = new Uint8Array(data.length);
  const rank = shape.length;
  const fortranStride = new Array<number>(rank);
  for (let axis = 0, stride = 1; axis < rank; axis++) {
    fortranStride[axis] = stride;
    stride *= shape[axis]!;
  }
  const count = data.length / itemSize;
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let target = 0; target < count; target++) {
    out.set(data.subarray(source * itemSize, (source + 1) * itemSize), target * itemSize);
    // odometer over C order: the last axis moves fastest
    for (let axis = rank - 1; axis >= 0; axis--) {
      source += fortranStride[axis]!;
      if (++index[axis]! < shape[axis]!) break;
      source -= fortranStride[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

/** Splits off the magic, version and header-length prefix; returns the header dict text. */
function readHeaderText(bytes: Uint8Array, name: string): { header: string; dataOffset: number } {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new NpyFormatError(`${name}: not a .npy file (expected the magic string \\x93NUMPY at the start)`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1 && minor === 0) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if ((major === 2 || major === 3) && minor === 0 && bytes.length >= 12) {
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyFormatError(`${name}: unsupported .npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
  }
  if (headerLength > MAX_HEADER_BYTES) {
    throw new NpyFormatError(`${name}: .npy header declares ${headerLength} bytes (expected at most ${MAX_HEADER_BYTES})`);
  }
  const dataOffset = headerStart + headerLength;
  if (dataOffset > bytes.length) {
    throw new NpyFormatError(`${name}: truncated .npy header (declares ${headerLength} bytes, file has ${bytes.length - headerStart})`);
  }
  // Versions 1 and 2 are latin1 by definition; version 3 exists only to allow utf8.
  const decoder = new TextDecoder(major === 3 ? 'utf-8' : 'latin1');
  return { header: decoder.decode(bytes.subarray(headerStart, dataOffset)), dataOffset };
}

interface HeaderFields {
  readonly descr: string;
  readonly shape: number[];
  readonly fortranOrder: boolean;
}

function parseHeaderFields(header: string, name: string): HeaderFields {
  let parsed: PyLiteral;
  try {
    parsed = parsePythonLiteral(header);
  } catch (error) {
    throw new NpyFormatError(`${name}: .npy header does not parse (${(error as Error).message}): ${quoteSnippet(header)}`);
  }
  if (!(parsed instanceof Map)) {
    throw new NpyFormatError(`${name}: .npy header is not a dict: ${quoteSnippet(header)}`);
  }
  const keys = [...parsed.keys()].sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    throw new NpyFormatError(
      `${name}: .npy header must have exactly the keys descr, fortran_order, shape; found ${keys.join(', ') || 'none'}`,
    );
  }
  const descr = parsed.get('descr');
  const fortranOrder = parsed.get('fortran_order');
  const shape = parsed.get('shape');
  if (typeof fortranOrder !== 'boolean') {
    throw new NpyFormatError(`${name}: .npy header fortran_order is not True/False: ${quoteSnippet(header)}`);
  }
  if (typeof descr !== 'string') {
    throw new NpyFormatError(`${name}: structured .npy dtypes are not supported (expected one of ${SUPPORTED_DESCRS})`);
  }
  if (!isShapeTuple(shape)) {
    throw new NpyFormatError(`${name}: .npy header shape is not a tuple of non-negative ints: ${quoteSnippet(header)}`);
  }
  return { descr, shape: shape.items as number[], fortranOrder };
}

function isShapeTuple(value: PyLiteral | undefined): value is PyTuple {
  return value instanceof PyTuple && value.items.every((dim) => typeof dim === 'number' && Number.isSafeInteger(dim) && dim >= 0);
}

/** The dtype and whether its bytes are big-endian ('>'); '<', '|' and '=' (native, little here) are not. */
function dtypeSpecFor(descr: string, name: string): { spec: DtypeSpec; bigEndian: boolean } {
  if (/^[<>|=]?O/.test(descr)) {
    throw new NpyFormatError(`${name}: object .npy arrays ('${printable(descr)}') are refused: they hold pickles, not numbers`);
  }
  const order = descr[0];
  const code = order === '<' || order === '>' || order === '|' || order === '=' ? descr.slice(1) : descr;
  const spec = DTYPE_SPECS.find((candidate) => candidate.descr.slice(1) === code);
  if (!spec) throw new NpyFormatError(`${name}: unsupported .npy dtype '${printable(descr)}' (expected one of ${SUPPORTED_DESCRS})`);
  return { spec, bigEndian: order === '>' };
}

function elementCount(shape: readonly number[], name: string): number {
  const count = shape.reduce((product, dim) => product * dim, 1);
  if (!Number.isSafeInteger(count)) throw new NpyFormatError(`${name}: .npy shape (${shape.join(', ')}) is too large`);
  return count;
}

/**
 * Typed-array view of the data when it is aligned for its element size; otherwise a copy, since
 * typed arrays cannot start at an unaligned byte offset (older writers aligned to 16, hand-made
 * files to nothing).
 */
function typedArrayView(dtype: NpyDtype, bytes: Uint8Array, dataOffset: number, count: number, shape: number[]): NpyArray {
  const spec = DTYPE_SPECS.find((candidate) => candidate.dtype === dtype)!;
  let start = bytes.byteOffset + dataOffset;
  let buffer = bytes.buffer;
  if (start % spec.itemSize !== 0) {
    // An explicit copy: Buffer#slice (what readFile returns) would be a view, not a copy.
    const aligned = new Uint8Array(count * spec.itemSize);
    aligned.set(bytes.subarray(dataOffset, dataOffset + aligned.length));
    buffer = aligned.buffer;
    start = 0;
  }
  switch (dtype) {
    case 'float32':
      return { dtype, shape, data: new Float32Array(buffer, start, count) };
    case 'float64':
      return { dtype, shape, data: new Float64Array(buffer, start, count) };
    case 'int64':
      return { dtype, shape, data: new BigInt64Array(buffer, start, count) };
    case 'int32':
      return { dtype, shape, data: new Int32Array(buffer, start, count) };
    case 'uint8':
    case 'bool':
      return { dtype, shape, data: new Uint8Array(buffer, start, count) };
  }
}

/** Escapes control characters from the file so that an error message stays one line. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => JSON.stringify(char).slice(1, -1));
}

function quoteSnippet(text: string): string {
  const trimmed = text.trim();
  return JSON.stringify(trimmed.length > 120 ? `${trimmed.slice(0, 120)}...` : trimmed);
}

// ---------------------------------------------------------------------------------------------
// Convenience readers for the shapes the harness consumes
// ---------------------------------------------------------------------------------------------

/** A 2-D float32/float64 array as a float64 matrix (features, logits). */
export async function readNpyMatrix(path: string): Promise<Matrix> {
  const array = await readNpy(path);
  if (array.shape.length !== 2) {
    throw new NpyFormatError(`${path}: expected a 2-D float array, got shape (${shapeText(array.shape)})`);
  }
  const [rows, cols] = array.shape as [number, number];
  return matrix(rows, cols, floatData(array, path, '2-D'));
}

/**
 * A 2-D float32/float64 array as stored: float32 is not widened (half the memory of a float64
 * copy; whoever computes with it reads the entries into float64 exactly).
 */
export async function readNpyFloatMatrix(path: string): Promise<FloatMatrix> {
  const array = await readNpy(path);
  if (array.shape.length !== 2) {
    throw new NpyFormatError(`${path}: expected a 2-D float array, got shape (${shapeText(array.shape)})`);
  }
  if (array.dtype !== 'float32' && array.dtype !== 'float64') throw new NpyFormatError(`${path}: expected a 2-D float32/float64 array, got ${array.dtype}`);
  const [rows, cols] = array.shape as [number, number];
  return { rows, cols, data: array.data };
}

/** A 1-D float32/float64 array as a Float64Array (scores, a bias). */
export async function readNpyVector(path: string): Promise<Float64Array> {
  const array = await readNpy(path);
  if (array.shape.length !== 1) {
    throw new NpyFormatError(`${path}: expected a 1-D float array, got shape (${shapeText(array.shape)})`);
  }
  return floatData(array, path, '1-D');
}

/** A 1-D int64/int32 array of class labels as an Int32Array; refuses values outside int32. */
export async function readNpyLabels(path: string): Promise<Int32Array> {
  const array = await readNpy(path);
  if (array.shape.length !== 1) {
    throw new NpyFormatError(`${path}: expected a 1-D integer label array, got shape (${shapeText(array.shape)})`);
  }
  if (array.dtype === 'int32') return array.data;
  if (array.dtype !== 'int64') {
    throw new NpyFormatError(`${path}: expected int64 or int32 labels, got ${array.dtype}`);
  }
  const labels = new Int32Array(array.data.length);
  array.data.forEach((value, i) => {
    if (value < -2147483648n || value > 2147483647n) {
      throw new NpyFormatError(`${path}: label ${value} at index ${i} does not fit in int32`);
    }
    labels[i] = Number(value);
  });
  return labels;
}

function floatData(array: NpyArray, path: string, rank: string): Float64Array {
  if (array.dtype === 'float64') return array.data;
  if (array.dtype === 'float32') return new Float64Array(array.data);
  throw new NpyFormatError(`${path}: expected a ${rank} float32/float64 array, got ${array.dtype}`);
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `${shape[0]},` : shape.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** Encodes as format 1.0 with numpy's exact header layout, so np.save and this agree byte for byte. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const spec = DTYPE_SPECS.find((candidate) => candidate.dtype === array.dtype);
  if (!spec) throw new NpyFormatError(`encodeNpy: unsupported dtype '${array.dtype}'`);
  const count = elementCount(array.shape, 'encodeNpy');
  if (array.data.length !== count) {
    throw new NpyFormatError(`encodeNpy: ${array.data.length} values do not fill shape (${shapeText(array.shape)})`);
  }
  const header = encodeHeader(spec.descr, array.shape);
  const payload = new Uint8Array(array.data.buffer, array.data.byteOffset, count * spec.itemSize);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}

/** Writes via a temporary file and a rename, so readers never see a half-written array. */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  const bytes = encodeNpy(array);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

function encodeHeader(descr: string, shape: readonly number[]): Uint8Array {
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const prefixLength = MAGIC.length + 2 + 2;
  const unpadded = prefixLength + dict.length + 1; // + the closing newline
  const padding = ARRAY_ALIGN - (unpadded % ARRAY_ALIGN);
  const text = `${dict}${' '.repeat(padding)}\n`;
  if (text.length > 0xffff) throw new NpyFormatError(`encodeNpy: header too long for format 1.0 (${text.length} bytes)`);
  const out = new Uint8Array(prefixLength + text.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), prefixLength);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The header dict: a Python literal of str, bool, int, tuple, list, dict and None
// ---------------------------------------------------------------------------------------------

/** Tuples stay distinguishable from lists: the shape must be a tuple. */
class PyTuple {
  constructor(readonly items: PyLiteral[]) {}
}
type PyLiteral = string | number | boolean | null | PyTuple | PyLiteral[] | Map<string, PyLiteral>;

/**
 * Recursive-descent parser for the literal subset numpy headers use (numpy itself uses
 * ast.literal_eval). Python 2 writers appended 'L' to ints, which numpy still accepts.
 */
const WORD = /[-+]?\w+/y;

function parsePythonLiteral(text: string): PyLiteral {
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${pos}`);
  };
  const expect = (char: string): void => {
    skipSpace();
    if (text[pos] !== char) fail(`expected '${char}'`);
    pos++;
  };

  const parseString = (): string => {
    const quote = text[pos]!;
    pos++;
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      if (text[pos] === '\\') {
        pos++;
        const escaped = text[pos];
        if (escaped === undefined) fail('unterminated escape');
        out += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped;
      } else {
        out += text[pos];
      }
      pos++;
    }
    if (pos >= text.length) fail('unterminated string');
    pos++;
    return out;
  };

  // Items up to `close`, comma-separated, trailing comma allowed; also reports whether a comma
  // was seen, since '(5)' is an int and '(5,)' a tuple.
  const parseItems = <T>(close: string, parseItem: () => T): { items: T[]; sawComma: boolean } => {
    const items: T[] = [];
    let sawComma = false;
    for (;;) {
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return { items, sawComma };
      }
      items.push(parseItem());
      skipSpace();
      if (text[pos] === ',') {
        sawComma = true;
        pos++;
      } else if (text[pos] !== close) {
        fail(`expected ',' or '${close}'`);
      }
    }
  };

  const parseValue = (): PyLiteral => {
    skipSpace();
    const char = text[pos];
    if (char === "'" || char === '"') return parseString();
    if (char === '{') {
      pos++;
      const dict = new Map<string, PyLiteral>();
      parseItems('}', () => {
        const key = parseValue();
        if (typeof key !== 'string') fail('dict key is not a string');
        expect(':');
        dict.set(key as string, parseValue());
      });
      return dict;
    }
    if (char === '(') {
      pos++;
      const { items, sawComma } = parseItems(')', parseValue);
      if (items.length === 1 && !sawComma) return items[0]!;
      return new PyTuple(items);
    }
    if (char === '[') {
      pos++;
      return parseItems(']', parseValue).items;
    }
    WORD.lastIndex = pos; // sticky: no copy of the rest of the header per token
    const word = WORD.exec(text)?.[0];
    if (word === undefined) return fail('unexpected character');
    pos += word.length;
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    const digits = /^[-+]?\d+L?$/.test(word) ? word.replace(/L$/, '') : undefined;
    if (digits === undefined) return fail(`unexpected '${word}'`);
    return Number(digits);
  };

  const value = parseValue();
  skipSpace();
  if (pos !== text.length) fail('trailing text');
  return value;
}
