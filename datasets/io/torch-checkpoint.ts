/**
 * Reads tensors out of checkpoints written by `torch.save` (the zip format of torch >= 1.6)
 * without Python and without reading the whole file.
 *
 * Layout of such a checkpoint: `<archive>/data.pkl` is a pickle of the saved object in which
 * every tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` and every
 * storage is a persistent id ('storage', torch.FloatStorage, key, location, numel) whose bytes
 * are the zip entry `<archive>/data/<key>`, little-endian, uncompressed. `<archive>` is whatever
 * name the file had when it was saved.
 *
 * The unpickler resolves only the globals that describe tensors and dicts (see TORCH_GLOBALS),
 * so a hostile checkpoint cannot run code; it can only fail to load.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { matrix, type Matrix } from '../../methods/linalg/matrix.ts';
import {
  DATA_GLOBALS,
  describePickleValue,
  PickleDict,
  PickleGlobal,
  PickleObject,
  PickleTuple,
  unpickle,
  type GlobalConstructor,
  type PickleValue,
} from './pickle.ts';
import { ioLimits, mebibytes, oneLine } from './limits.ts';
import { withZipArchive, type ZipArchive } from './zip.ts';

/** Its message is always one line: names taken from the file (entry names, keys) are escaped. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(message: string) {
    super(oneLine(message));
  }
}

export type FloatTensorDtype = 'float64' | 'float32' | 'float16' | 'bfloat16';
export type SmallIntTensorDtype = 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
export type TensorDtype = FloatTensorDtype | 'int64' | SmallIntTensorDtype;

/**
 * A tensor copied out of its storage into C order. Floating dtypes are widened to float64 (the
 * harness computes in float64), int64 stays exact in a BigInt64Array, and the narrower integer
 * types (and bool, as 0/1) fit an Int32Array. `dtype` is the dtype the checkpoint stored.
 */
export type Tensor =
  | { readonly dtype: FloatTensorDtype; readonly shape: readonly number[]; readonly data: Float64Array }
  | { readonly dtype: 'int64'; readonly shape: readonly number[]; readonly data: BigInt64Array }
  | { readonly dtype: SmallIntTensorDtype; readonly shape: readonly number[]; readonly data: Int32Array };

/** A linear classifier: logits = features x weight^T + bias. */
export interface LinearHead {
  /** classes x features. */
  readonly weight: Matrix;
  readonly bias: Float64Array;
}

/** Where a tensor sits in the saved object: dict keys (or list indices), outermost first. */
export type TensorPath = readonly string[];

/** The key readCheckpointTensors uses for `path` in its result: the steps joined with '/'. */
export function tensorPathKey(path: TensorPath): string {
  return path.join('/');
}

/**
 * Reads the tensors at `wanted` paths, e.g. [['mlp_cls_state_dict', 'enc_net.weight']]; the
 * result is keyed by tensorPathKey(path). Only data.pkl and the storages of those tensors are read.
 */
export async function readCheckpointTensors(path: string, wanted: readonly TensorPath[]): Promise<Map<string, Tensor>> {
  await refuseLegacyFormat(path);
  return withZipArchive(path, async (archive) => {
    const checkpoint = await openCheckpoint(archive);
    const tensors = new Map<string, Tensor>();
    for (const tensorPath of wanted) {
      const ref = findTensor(checkpoint.root, tensorPath, path);
      tensors.set(tensorPathKey(tensorPath), await checkpoint.materialize(ref, tensorPath));
    }
    return tensors;
  });
}

/**
 * The linear head under `prefix`: all steps but the last lead to a state dict, and the last is
 * the module name inside it, so the default reads 'enc_net.weight' and 'enc_net.bias' from
 * checkpoint['mlp_cls_state_dict'] (MultiOOD's classifier head).
 */
export async function readLinearHead(path: string, prefix: TensorPath = ['mlp_cls_state_dict', 'enc_net']): Promise<LinearHead> {
  const module = prefix.at(-1);
  if (module === undefined) throw new CheckpointError(`${path}: readLinearHead needs a non-empty prefix`);
  const weightPath = [...prefix.slice(0, -1), `${module}.weight`];
  const biasPath = [...prefix.slice(0, -1), `${module}.bias`];
  const tensors = await readCheckpointTensors(path, [weightPath, biasPath]);
  const weight = tensors.get(tensorPathKey(weightPath))!;
  const bias = tensors.get(tensorPathKey(biasPath))!;
  if (!isFloatTensor(weight) || weight.shape.length !== 2) {
    throw new CheckpointError(`${path}: ${tensorPathKey(weightPath)} is ${describeTensor(weight)}, expected a 2-D float tensor`);
  }
  const [classes, features] = weight.shape as [number, number];
  if (!isFloatTensor(bias) || bias.shape.length !== 1 || bias.shape[0] !== classes) {
    throw new CheckpointError(`${path}: ${tensorPathKey(biasPath)} is ${describeTensor(bias)}, expected float [${classes}] to match the weight`);
  }
  return { weight: matrix(classes, features, weight.data), bias: bias.data };
}

/** Every tensor in the checkpoint with its path, dtype and shape; reads only data.pkl. */
export async function listCheckpointTensors(
  path: string,
): Promise<{ path: string[]; dtype: TensorDtype; shape: readonly number[] }[]> {
  await refuseLegacyFormat(path);
  return withZipArchive(path, async (archive) => {
    const { root } = await openCheckpoint(archive);
    return walkTensors(root, path).map(({ path: at, ref }) => ({ path: at, dtype: ref.storage.dtype, shape: ref.shape }));
  });
}

function isFloatTensor(tensor: Tensor): tensor is Extract<Tensor, { data: Float64Array }> {
  return tensor.data instanceof Float64Array;
}

function describeTensor(tensor: Tensor): string {
  return `${tensor.dtype} [${tensor.shape.join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------
// Inert representations of the allow-listed torch globals
// ---------------------------------------------------------------------------------------------

interface DtypeLayout {
  readonly dtype: TensorDtype;
  readonly itemSize: number;
}

/** torch.<Name>Storage, the storage classes that persistent ids name, by their element type. */
const STORAGE_DTYPES: ReadonlyMap<string, DtypeLayout> = new Map<string, DtypeLayout>([
  ['DoubleStorage', { dtype: 'float64', itemSize: 8 }],
  ['FloatStorage', { dtype: 'float32', itemSize: 4 }],
  ['HalfStorage', { dtype: 'float16', itemSize: 2 }],
  ['BFloat16Storage', { dtype: 'bfloat16', itemSize: 2 }],
  ['LongStorage', { dtype: 'int64', itemSize: 8 }],
  ['IntStorage', { dtype: 'int32', itemSize: 4 }],
  ['ShortStorage', { dtype: 'int16', itemSize: 2 }],
  ['CharStorage', { dtype: 'int8', itemSize: 1 }],
  ['ByteStorage', { dtype: 'uint8', itemSize: 1 }],
  ['BoolStorage', { dtype: 'bool', itemSize: 1 }],
]);

/** A storage as the persistent id describes it; its bytes are read only if a wanted tensor uses it. */
class StorageRef extends PickleObject {
  readonly typeName = 'torch storage';
  constructor(
    readonly layout: DtypeLayout,
    readonly key: string,
    readonly numel: number,
  ) {
    super();
  }

  get dtype(): TensorDtype {
    return this.layout.dtype;
  }
}

/** What _rebuild_tensor_v2 would build: a strided view of a storage. */
class TensorRef extends PickleObject {
  readonly typeName = 'torch tensor';
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {
    super();
  }
}

function storageClassConstructor(): PickleValue {
  throw new Error('storage classes only name a dtype in persistent ids; constructing one is not supported');
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
function rebuildTensor(args: readonly PickleValue[]): PickleValue {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw new Error(`expected a storage, got ${describePickleValue(storage)}`);
  const shape = intTuple(size, 'size');
  const strides = intTuple(stride, 'stride');
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new Error('storage offset is not a non-negative int');
  if (shape.length !== strides.length) throw new Error(`size has ${shape.length} dims but stride has ${strides.length}`);
  return new TensorRef(storage, offset, shape, strides);
}

/** _rebuild_parameter(data, requires_grad, backward_hooks[, state]): a Parameter is its data here. */
function rebuildParameter(args: readonly PickleValue[]): PickleValue {
  const [data] = args;
  if (!(data instanceof TensorRef)) throw new Error(`expected a tensor, got ${describePickleValue(data)}`);
  return data;
}

/** torch.Size(tuple) is a tuple subclass; the tuple is all a reader needs. */
function constructSize(args: readonly PickleValue[]): PickleValue {
  return new PickleTuple(intTuple(args[0] ?? new PickleTuple([]), 'torch.Size'));
}

function intTuple(value: PickleValue | undefined, what: string): number[] {
  const items = value instanceof PickleTuple ? value.items : undefined;
  if (!items || !items.every((item) => typeof item === 'number' && Number.isSafeInteger(item) && item >= 0)) {
    throw new Error(`${what} is not a tuple of non-negative ints`);
  }
  return items as number[];
}

const TORCH_GLOBALS: ReadonlyMap<string, GlobalConstructor> = new Map<string, GlobalConstructor>([
  ...DATA_GLOBALS,
  ['torch._utils._rebuild_tensor_v2', rebuildTensor],
  ['torch._utils._rebuild_parameter', rebuildParameter],
  ['torch._utils._rebuild_parameter_with_state', rebuildParameter],
  ['torch.Size', constructSize],
  ...[...STORAGE_DTYPES.keys()].map((name): [string, GlobalConstructor] => [`torch.${name}`, storageClassConstructor]),
]);

// ---------------------------------------------------------------------------------------------
// Opening a checkpoint
// ---------------------------------------------------------------------------------------------

interface OpenCheckpoint {
  readonly root: PickleValue;
  /** Copies a tensor out of its storage (read once per storage key) into C order. */
  materialize(ref: TensorRef, at: TensorPath): Promise<Tensor>;
}

async function openCheckpoint(archive: ZipArchive): Promise<OpenCheckpoint> {
  const file = archive.path;
  const prefix = findArchivePrefix(archive);
  await refuseBigEndian(archive, prefix);
  const pickleName = `${prefix}/data.pkl`;
  const root = unpickle(await archive.read(pickleName), {
    source: `${file}:${pickleName}`,
    globals: TORCH_GLOBALS,
    persistentLoad: (pid) => storageFromPersistentId(pid, file),
  });
  const storages = new Map<string, Promise<Uint8Array>>();
  const readStorage = (storage: StorageRef): Promise<Uint8Array> => {
    let bytes = storages.get(storage.key);
    if (!bytes) {
      bytes = readStorageBytes(archive, prefix, storage);
      storages.set(storage.key, bytes);
    }
    return bytes;
  };
  return {
    root,
    materialize: async (ref, at) => copyStridedView(ref, await readStorage(ref.storage), `${file}: ${tensorPathKey(at)}`),
  };
}

/** Pre-1.6 torch.save wrote a bare pickle stream; say so rather than "not a zip". */
async function refuseLegacyFormat(path: string): Promise<void> {
  // non-blocking, and fstat on what was opened: a FIFO or a device is refused, not waited on
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw new CheckpointError(`${path}: expected a regular file (a torch.save checkpoint)`);
    const head = new Uint8Array(2);
    await handle.read(head, 0, 2, 0);
    if (head[0] === 0x80 && head[1]! <= 5) {
      throw new CheckpointError(
        `${path}: legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with torch.save from torch >= 1.6`,
      );
    }
  } finally {
    await handle.close();
  }
}

/** The single top-level folder holding data.pkl; torch names it after the file at save time. */
function findArchivePrefix(archive: ZipArchive): string {
  const candidates = [...archive.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (candidates.length === 1) return candidates[0]!.slice(0, -'/data.pkl'.length);
  const found = [...archive.entries.keys()].slice(0, 5).join(', ');
  throw new CheckpointError(
    candidates.length === 0
      ? `${archive.path}: not a torch.save checkpoint (expected an entry <name>/data.pkl; found ${found || 'no entries'})`
      : `${archive.path}: ambiguous torch.save checkpoint (several data.pkl entries: ${candidates.join(', ')})`,
  );
}

/** torch >= 2.1 records the storage byte order; older files are always little-endian. */
async function refuseBigEndian(archive: ZipArchive, prefix: string): Promise<void> {
  const name = `${prefix}/byteorder`;
  if (!archive.entries.has(name)) return;
  const order = new TextDecoder().decode(await archive.read(name)).trim();
  if (order !== 'little') {
    throw new CheckpointError(`${archive.path}: storages are stored '${printable(order)}'-endian (expected 'little')`);
  }
}

/** ('storage', torch.FloatStorage, key, location, numel) -> a storage reference. */
function storageFromPersistentId(pid: PickleValue, file: string): StorageRef {
  const items = pid instanceof PickleTuple ? pid.items : [];
  const [tag, storageClass, key, , numel] = items;
  const layout = storageClass instanceof PickleGlobal ? STORAGE_DTYPES.get(storageClass.name) : undefined;
  if (tag !== 'storage' || !layout || typeof key !== 'string' || typeof numel !== 'number' || !Number.isSafeInteger(numel)) {
    throw new CheckpointError(
      `${file}: unrecognized persistent id ${describePickleValue(pid)} (expected ('storage', torch.<Type>Storage, key, location, numel))`,
    );
  }
  return new StorageRef(layout, key, numel);
}

async function readStorageBytes(archive: ZipArchive, prefix: string, storage: StorageRef): Promise<Uint8Array> {
  const name = `${prefix}/data/${storage.key}`;
  if (!archive.entries.has(name)) throw new CheckpointError(`${archive.path}: storage entry '${name}' is missing`);
  const bytes = await archive.read(name);
  const needed = storage.numel * storage.layout.itemSize;
  if (bytes.length < needed) {
    throw new CheckpointError(`${archive.path}: storage '${name}' holds ${bytes.length} bytes, expected ${needed}`);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Walking the unpickled object
// ---------------------------------------------------------------------------------------------

function findTensor(root: PickleValue, tensorPath: TensorPath, file: string): TensorRef {
  let current = root;
  tensorPath.forEach((step, depth) => {
    const next = childAt(current, step);
    if (next === undefined) throw missingKeyError(current, tensorPath, depth, file);
    current = next;
  });
  if (!(current instanceof TensorRef)) {
    throw new CheckpointError(`${file}: ${tensorPathKey(tensorPath)} is not a tensor (found ${describePickleValue(current)})`);
  }
  return current;
}

/** Dict entry by string key (or by int key when the step is an integer), or list/tuple item. */
function childAt(container: PickleValue, step: string): PickleValue | undefined {
  const index = /^(0|[1-9]\d*)$/.test(step) ? Number(step) : undefined;
  if (container instanceof PickleDict) {
    return container.get(step) ?? (index === undefined ? undefined : container.get(index));
  }
  const items = Array.isArray(container) ? container : container instanceof PickleTuple ? container.items : undefined;
  return items && index !== undefined ? items[index] : undefined;
}

function childKeys(container: PickleValue): string[] {
  if (container instanceof PickleDict) return [...container.entries.keys()].map((key) => (typeof key === 'string' ? key : String(key)));
  const items = Array.isArray(container) ? container : container instanceof PickleTuple ? container.items : [];
  return items.map((_, i) => String(i));
}

function missingKeyError(container: PickleValue, tensorPath: TensorPath, depth: number, file: string): CheckpointError {
  const step = tensorPath[depth]!;
  const where = depth === 0 ? 'the top level' : tensorPathKey(tensorPath.slice(0, depth));
  const keys = childKeys(container);
  if (keys.length === 0) {
    return new CheckpointError(`${file}: no key '${printable(step)}' at ${printable(where)} (found ${describePickleValue(container)}, which has no keys)`);
  }
  // Bounded work: a hostile file may hold millions of long keys (each distance is computed once,
  // on at most NEAREST_KEYS_CONSIDERED keys cut to NEAREST_KEY_CHARS characters).
  const target = step.slice(0, NEAREST_KEY_CHARS);
  const nearest = keys
    .slice(0, NEAREST_KEYS_CONSIDERED)
    .map((key) => ({ key: key.length > NEAREST_KEY_CHARS ? `${key.slice(0, NEAREST_KEY_CHARS)}...` : key, distance: editDistance(key.slice(0, NEAREST_KEY_CHARS), target) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 5)
    .map(({ key }) => key);
  return new CheckpointError(
    `${file}: no key '${printable(step)}' at ${printable(where)}; nearest available: ${nearest.map((key) => `'${printable(key)}'`).join(', ')} (${keys.length} keys in all)`,
  );
}

const NEAREST_KEYS_CONSIDERED = 5000;
const NEAREST_KEY_CHARS = 64;
/** Paths walked when listing tensors: a pickle can share containers (memo) so that paths multiply. */
const MAX_WALKED_PATHS = 1_000_000;
const MAX_WALK_DEPTH = 64;

/** Every tensor under `root` with its path; refuses cycles, deep nesting and path explosions. */
function walkTensors(root: PickleValue, file: string): { path: string[]; ref: TensorRef }[] {
  const out: { path: string[]; ref: TensorRef }[] = [];
  const onPath = new Set<unknown>();
  let walked = 0;
  const visit = (value: PickleValue, at: string[]): void => {
    if (++walked > MAX_WALKED_PATHS) {
      throw new CheckpointError(`${file}: the saved object has more than ${MAX_WALKED_PATHS} paths (shared containers?); expected a state-dict-like tree`);
    }
    if (value instanceof TensorRef) {
      out.push({ path: at, ref: value });
      return;
    }
    const children: [string, PickleValue][] | undefined =
      value instanceof PickleDict
        ? [...value.entries].map(([key, child]): [string, PickleValue] => [String(key), child])
        : Array.isArray(value) || value instanceof PickleTuple
          ? (Array.isArray(value) ? value : value.items).map((child, i): [string, PickleValue] => [String(i), child])
          : undefined;
    if (!children) return;
    if (onPath.has(value)) throw new CheckpointError(`${file}: ${printable(tensorPathKey(at))} contains itself (a cyclic object); expected a tree`);
    if (at.length >= MAX_WALK_DEPTH) throw new CheckpointError(`${file}: the saved object nests deeper than ${MAX_WALK_DEPTH} levels`);
    onPath.add(value);
    for (const [key, child] of children) visit(child, [...at, key]);
    onPath.delete(value);
  };
  visit(root, []);
  return out;
}

/** Escapes control characters from the file so that an error message stays one line. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => JSON.stringify(char).slice(1, -1));
}

/** Levenshtein distance, to suggest the keys closest to a mistyped one. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Copying a strided view out of a storage
// ---------------------------------------------------------------------------------------------

function copyStridedView(ref: TensorRef, bytes: Uint8Array, where: string): Tensor {
  const { shape, stride, storageOffset, storage } = ref;
  const count = shape.reduce((product, size) => product * size, 1);
  if (!Number.isSafeInteger(count)) throw new CheckpointError(`${where}: shape [${shape.join(', ')}] has too many elements`);
  // Checked before allocating: a view can only hold more elements than its storage through
  // stride 0 or overlapping strides, so a 1 KB file could otherwise ask for gigabytes.
  if (count > storage.numel && count * 8 > ioLimits().maxTensorBytes) {
    throw new CheckpointError(
      `${where}: shape [${shape.join(', ')}] with stride [${stride.join(', ')}] expands a storage of ${storage.numel} elements to ${mebibytes(count * 8)}, over the ${mebibytes(ioLimits().maxTensorBytes)} limit (save tensor.contiguous(), or raise MULTIOOD_MAX_TENSOR_MB / --max-tensor-mb)`,
    );
  }
  const lastIndex = storageOffset + shape.reduce((sum, size, dim) => sum + (size - 1) * stride[dim]!, 0);
  if (count > 0 && lastIndex >= storage.numel) {
    throw new CheckpointError(`${where}: view reaches element ${lastIndex} of a storage of ${storage.numel}`);
  }
  const order = elementOrder(shape, stride, storageOffset, count);
  const dtype = storage.dtype;
  const source = storageElements(dtype, bytes, storage.numel);
  switch (dtype) {
    case 'int64':
      return { dtype, shape, data: gather(new BigInt64Array(count), source as BigInt64Array, order) };
    case 'float64':
    case 'float32':
      return { dtype, shape, data: gather(new Float64Array(count), source as Float64Array | Float32Array, order) };
    case 'float16':
      return { dtype, shape, data: gatherConverted(new Float64Array(count), source as Uint16Array, order, halfToNumber) };
    case 'bfloat16':
      return { dtype, shape, data: gatherConverted(new Float64Array(count), source as Uint16Array, order, bfloat16ToNumber) };
    default:
      return { dtype, shape, data: gather(new Int32Array(count), source as Int32Array, order) };
  }
}

/** The storage bytes as typed elements; half types stay raw 16-bit patterns for conversion. */
function storageElements(dtype: TensorDtype, bytes: Uint8Array, numel: number): ArrayLike<number | bigint> {
  const { buffer, byteOffset } = bytes;
  switch (dtype) {
    case 'float64': return new Float64Array(buffer, byteOffset, numel);
    case 'float32': return new Float32Array(buffer, byteOffset, numel);
    case 'float16':
    case 'bfloat16': return new Uint16Array(buffer, byteOffset, numel);
    case 'int64': return new BigInt64Array(buffer, byteOffset, numel);
    case 'int32': return new Int32Array(buffer, byteOffset, numel);
    case 'int16': return new Int16Array(buffer, byteOffset, numel);
    case 'int8': return new Int8Array(buffer, byteOffset, numel);
    case 'uint8':
    case 'bool': return new Uint8Array(buffer, byteOffset, numel);
  }
}

/**
 * Where the output elements (C order) sit in the storage: one contiguous run from `start` (the
 * common case: a state-dict tensor that owns its storage), or an index per element.
 */
type ElementOrder = { readonly start: number; readonly indices?: undefined } | { readonly indices: Float64Array };

function elementOrder(shape: readonly number[], stride: readonly number[], offset: number, count: number): ElementOrder {
  if (isContiguous(shape, stride)) return { start: offset };
  const indices = new Float64Array(count);
  const position = new Array<number>(shape.length).fill(0);
  let source = offset;
  for (let out = 0; out < count; out++) {
    indices[out] = source;
    // Odometer step: advance the last axis, carrying into earlier axes.
    for (let dim = shape.length - 1; dim >= 0; dim--) {
      source += stride[dim]!;
      if (++position[dim]! < shape[dim]!) break;
      source -= stride[dim]! * shape[dim]!;
      position[dim] = 0;
    }
  }
  return { indices };
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    if (shape[dim] !== 1 && stride[dim] !== expected) return false;
    expected *= shape[dim]!;
  }
  return true;
}

type Writable<T> = { length: number; [index: number]: T; set(values: ArrayLike<T>, offset?: number): void };
type Readable<T> = ArrayLike<T> & { subarray(start: number, end: number): ArrayLike<T> };

/** Copies (and, by assignment, widens: float32 -> float64, int8 -> int32) the viewed elements. */
function gather<T, Out extends Writable<T>>(out: Out, source: Readable<T>, order: ElementOrder): Out {
  const { indices } = order;
  if (indices === undefined) {
    out.set(source.subarray(order.start, order.start + out.length));
  } else {
    for (let i = 0; i < indices.length; i++) out[i] = source[indices[i]!]!;
  }
  return out;
}

function gatherConverted(out: Float64Array, source: Uint16Array, order: ElementOrder, convert: (bits: number) => number): Float64Array {
  const { indices } = order;
  for (let i = 0; i < out.length; i++) out[i] = convert(source[indices === undefined ? order.start + i : indices[i]!]!);
  return out;
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bfloat16Scratch = new Float32Array(1);
const bfloat16ScratchBits = new Uint32Array(bfloat16Scratch.buffer);

/** bfloat16 is the top half of a float32. */
function bfloat16ToNumber(bits: number): number {
  bfloat16ScratchBits[0] = bits << 16;
  return bfloat16Scratch[0]!;
}
