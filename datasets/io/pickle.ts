/**
 * A small pickle virtual machine that turns a pickle stream into inert JS values.
 *
 * Loading a pickle with Python's own unpickler can run arbitrary code: GLOBAL names any callable
 * and REDUCE calls it. Here GLOBAL only resolves names the caller puts on an allow-list, each
 * mapped to a plain JS constructor of data (a dict, a tensor description); any other name stops
 * the load with an error naming it. Nothing is ever imported, evaluated or executed.
 *
 * Covers the binary opcodes of protocols 2 to 5 that CPython's pickler and torch.save emit.
 * Text-mode opcodes (protocol 0/1: INT, STRING, PUT, GET, ...) are refused by name.
 *
 * Opcode reference: CPython Lib/pickletools.py.
 */

import { oneLine } from './limits.ts';

/** Its message is always one line: names taken from the file (entry names, keys) are escaped. */
export class PickleError extends Error {
  override name = 'PickleError';
  constructor(message: string) {
    super(oneLine(message));
  }
}

/** Base class for inert objects that allow-listed globals build (e.g. a tensor description). */
export abstract class PickleObject {
  abstract readonly typeName: string;
}

/** A Python tuple; kept apart from lists because shapes and persistent ids are tuples. */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A dict or OrderedDict, in insertion order. `attributes` holds instance state set by BUILD. */
export class PickleDict {
  readonly entries = new Map<PickleValue, PickleValue>();
  readonly attributes = new Map<string, PickleValue>();
  constructor(readonly typeName: string = 'dict') {}

  get(key: string | number): PickleValue | undefined {
    return this.entries.get(key);
  }
}

export class PickleSet {
  constructor(
    readonly items: PickleValue[],
    readonly frozen: boolean,
  ) {}
}

/** Builds the value of an allow-listed global when REDUCE or NEWOBJ "calls" it with `args`. */
export type GlobalConstructor = (args: readonly PickleValue[]) => PickleValue;

/** An allow-listed global as it sits on the stack: its name and what "calling" it builds. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly construct: GlobalConstructor,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * Python ints become numbers when they are safe integers and bigints otherwise; lists become
 * arrays; bytes become Uint8Array; None becomes null.
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleSet
  | PickleGlobal
  | PickleObject;

export interface UnpickleOptions {
  /** Names the stream in error messages (the file, or file:entry). */
  readonly source: string;
  /** The allow-list, keyed 'module.name' (e.g. 'collections.OrderedDict'). */
  readonly globals: ReadonlyMap<string, GlobalConstructor>;
  /** Resolves BINPERSID ids (torch uses them for tensor storages); absent means refuse them. */
  readonly persistentLoad?: (pid: PickleValue) => PickleValue;
}

/** Globals that only build plain data and are safe for any pickle. */
export const DATA_GLOBALS: ReadonlyMap<string, GlobalConstructor> = new Map<string, GlobalConstructor>([
  ['collections.OrderedDict', constructOrderedDict],
  // Protocol 2 has no bytes opcode; CPython writes bytes as _codecs.encode(text, 'latin1').
  ['_codecs.encode', constructLatin1Bytes],
]);

export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  return new PickleMachine(bytes, options).run();
}

/** 'dict', 'list', 'int' ...: for error messages about unexpected values. */
export function describePickleValue(value: PickleValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PickleTuple) return 'tuple';
  if (value instanceof PickleDict) return value.typeName;
  if (value instanceof PickleSet) return value.frozen ? 'frozenset' : 'set';
  if (value instanceof PickleGlobal) return value.qualifiedName;
  return value.typeName;
}

// ---------------------------------------------------------------------------------------------
// Data-only globals
// ---------------------------------------------------------------------------------------------

function constructOrderedDict(args: readonly PickleValue[]): PickleValue {
  const dict = new PickleDict('collections.OrderedDict');
  const [pairs] = args;
  if (Array.isArray(pairs)) {
    for (const pair of pairs) {
      if (!(pair instanceof PickleTuple) || pair.items.length !== 2) throw new Error('OrderedDict items must be (key, value) pairs');
      dict.entries.set(pair.items[0]!, pair.items[1]!);
    }
  } else if (args.length > 0) {
    throw new Error(`OrderedDict from ${describePickleValue(pairs)} is not supported`);
  }
  return dict;
}

function constructLatin1Bytes(args: readonly PickleValue[]): PickleValue {
  const [text, encoding] = args;
  if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
    throw new Error("_codecs.encode is only accepted as encode(str, 'latin1'), the form pickle uses for bytes");
  }
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new Error('_codecs.encode: character outside latin1');
    out[i] = code;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

const HIGHEST_PROTOCOL = 5;

/** Text-mode opcodes, named so the refusal says what it met. */
const TEXT_OPCODES: Readonly<Record<string, string>> = {
  I: 'INT',
  L: 'LONG',
  F: 'FLOAT',
  S: 'STRING',
  V: 'UNICODE',
  T: 'BINSTRING',
  U: 'SHORT_BINSTRING',
  p: 'PUT',
  g: 'GET',
  P: 'PERSID',
  i: 'INST',
  o: 'OBJ',
  l: 'LIST',
  d: 'DICT',
};

class PickleMachine {
  private pos = 0;
  private readonly view: DataView;
  private readonly stack: PickleValue[] = [];
  /** Stack heights at each MARK; popMark() returns what was pushed since. */
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly utf8 = new TextDecoder('utf-8');

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PickleValue {
    for (;;) {
      if (this.step(this.u8())) return this.pop();
    }
  }

  /** Executes one opcode; true on STOP. */
  private step(opcode: number): boolean {
    switch (opcode) {
      case 0x80: // PROTO
        this.checkProtocol(this.u8());
        return false;
      case 0x95: // FRAME: framing only helps buffered readers; the bytes are all here
        this.u64();
        return false;
      case 0x2e: // STOP '.'
        return true;
      default:
        this.execute(opcode);
        return false;
    }
  }

  private execute(opcode: number): void {
    switch (opcode) {
      // Constants and scalars
      case 0x4e: return this.push(null); // NONE 'N'
      case 0x88: return this.push(true); // NEWTRUE
      case 0x89: return this.push(false); // NEWFALSE
      case 0x4a: return this.push(this.view.getInt32(this.advance(4), true)); // BININT 'J'
      case 0x4b: return this.push(this.u8()); // BININT1 'K'
      case 0x4d: return this.push(this.view.getUint16(this.advance(2), true)); // BININT2 'M'
      case 0x8a: return this.push(decodeLong(this.take(this.u8()))); // LONG1
      case 0x8b: return this.push(decodeLong(this.take(this.length32Signed()))); // LONG4
      case 0x47: return this.push(this.view.getFloat64(this.advance(8), false)); // BINFLOAT 'G' (big-endian)
      // Strings and bytes
      case 0x58: return this.push(this.text(this.u32())); // BINUNICODE 'X'
      case 0x8c: return this.push(this.text(this.u8())); // SHORT_BINUNICODE
      case 0x8d: return this.push(this.text(this.u64())); // BINUNICODE8
      case 0x42: return this.push(this.take(this.u32()).slice()); // BINBYTES 'B'
      case 0x43: return this.push(this.take(this.u8()).slice()); // SHORT_BINBYTES 'C'
      case 0x8e: return this.push(this.take(this.u64()).slice()); // BINBYTES8
      // Containers
      case 0x7d: return this.push(new PickleDict()); // EMPTY_DICT '}'
      case 0x5d: return this.push([]); // EMPTY_LIST ']'
      case 0x29: return this.push(new PickleTuple([])); // EMPTY_TUPLE ')'
      case 0x8f: return this.push(new PickleSet([], false)); // EMPTY_SET
      case 0x85: return this.push(new PickleTuple(this.popMany(1))); // TUPLE1
      case 0x86: return this.push(new PickleTuple(this.popMany(2))); // TUPLE2
      case 0x87: return this.push(new PickleTuple(this.popMany(3))); // TUPLE3
      case 0x74: return this.push(new PickleTuple(this.popMark())); // TUPLE 't'
      case 0x91: return this.push(new PickleSet(this.popMark(), true)); // FROZENSET
      case 0x61: return this.appendToList(this.popMany(1)); // APPEND 'a'
      case 0x65: return this.appendToList(this.popMark()); // APPENDS 'e'
      case 0x73: return this.setDictItems(this.popMany(2)); // SETITEM 's'
      case 0x75: return this.setDictItems(this.popMark()); // SETITEMS 'u'
      case 0x90: return this.addToSet(this.popMark()); // ADDITEMS
      // Stack and memo
      case 0x28: return void this.marks.push(this.stack.length); // MARK '('
      case 0x30: return void this.pop(); // POP '0'
      case 0x31: return void this.popMark(); // POP_MARK '1'
      case 0x32: return this.push(this.top()); // DUP '2'
      case 0x71: return this.memoize(this.u8()); // BINPUT 'q'
      case 0x72: return this.memoize(this.u32()); // LONG_BINPUT 'r'
      case 0x94: return this.memoize(this.memo.size); // MEMOIZE
      case 0x68: return this.push(this.recall(this.u8())); // BINGET 'h'
      case 0x6a: return this.push(this.recall(this.u32())); // LONG_BINGET 'j'
      // Globals and object construction
      case 0x63: return this.push(this.resolveGlobal(this.line(), this.line())); // GLOBAL 'c'
      case 0x93: return this.stackGlobal(); // STACK_GLOBAL
      case 0x52: return this.reduce(); // REDUCE 'R'
      case 0x81: return this.newObject(); // NEWOBJ
      case 0x92: return this.newObjectEx(); // NEWOBJ_EX
      case 0x62: return this.build(); // BUILD 'b'
      case 0x51: return this.persistentLoad(); // BINPERSID 'Q'
      default:
        return this.unsupported(opcode);
    }
  }

  // --- byte reading ---------------------------------------------------------------------------

  /** Moves past `length` bytes and returns where they start. */
  private advance(length: number): number {
    const start = this.pos;
    if (length < 0 || start + length > this.bytes.length) throw this.error(`truncated pickle (needs ${length} bytes at byte ${start})`);
    this.pos += length;
    return start;
  }

  private take(length: number): Uint8Array {
    const start = this.advance(length);
    return this.bytes.subarray(start, start + length);
  }

  private u8(): number {
    return this.view.getUint8(this.advance(1));
  }

  private u32(): number {
    return this.view.getUint32(this.advance(4), true);
  }

  private u64(): number {
    const value = this.view.getBigUint64(this.advance(8), true);
    if (value > BigInt(this.bytes.length)) throw this.error(`length ${value} exceeds the pickle size`);
    return Number(value);
  }

  private length32Signed(): number {
    const length = this.view.getInt32(this.advance(4), true);
    if (length < 0) throw this.error('negative LONG4 length');
    return length;
  }

  private text(length: number): string {
    return this.utf8.decode(this.take(length));
  }

  /** A newline-terminated name, as GLOBAL writes module and attribute. */
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.error('truncated pickle (GLOBAL name without newline)');
    const value = this.utf8.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return value;
  }

  // --- stack ----------------------------------------------------------------------------------

  private push(value: PickleValue): void {
    this.stack.push(value);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0 || this.stack.length <= (this.marks.at(-1) ?? -1)) throw this.error('stack underflow');
    return this.stack.pop()!;
  }

  private top(): PickleValue {
    const value = this.stack.at(-1);
    if (value === undefined) throw this.error('stack underflow');
    return value;
  }

  /** The top `count` values, in push order. */
  private popMany(count: number): PickleValue[] {
    const values: PickleValue[] = [];
    for (let i = 0; i < count; i++) values.unshift(this.pop());
    return values;
  }

  private popMark(): PickleValue[] {
    const height = this.marks.pop();
    if (height === undefined) throw this.error('MARK expected on the stack');
    return this.stack.splice(height);
  }

  private memoize(index: number): void {
    this.memo.set(index, this.top());
  }

  private recall(index: number): PickleValue {
    const value = this.memo.get(index);
    if (value === undefined) throw this.error(`memo entry ${index} is not defined`);
    return value;
  }

  // --- containers -----------------------------------------------------------------------------

  private appendToList(items: PickleValue[]): void {
    const list = this.top();
    if (!Array.isArray(list)) throw this.error(`APPEND to a ${describePickleValue(list)}, expected a list`);
    for (const item of items) list.push(item);
  }

  private setDictItems(keysAndValues: PickleValue[]): void {
    const dict = this.top();
    if (!(dict instanceof PickleDict)) throw this.error(`SETITEM on a ${describePickleValue(dict)}, expected a dict`);
    if (keysAndValues.length % 2 !== 0) throw this.error('SETITEMS with an odd number of values');
    for (let i = 0; i < keysAndValues.length; i += 2) dict.entries.set(keysAndValues[i]!, keysAndValues[i + 1]!);
  }

  private addToSet(items: PickleValue[]): void {
    const set = this.top();
    if (!(set instanceof PickleSet) || set.frozen) throw this.error(`ADDITEMS on a ${describePickleValue(set)}, expected a set`);
    set.items.push(...items);
  }

  // --- globals and construction ---------------------------------------------------------------

  private resolveGlobal(module: string, name: string): PickleGlobal {
    const construct = this.options.globals.get(`${module}.${name}`);
    if (!construct) {
      const allowed = [...this.options.globals.keys()].join(', ');
      throw this.error(`refusing to load global '${module}.${name}': not on the allow-list (${allowed})`);
    }
    return new PickleGlobal(module, name, construct);
  }

  private stackGlobal(): void {
    const [module, name] = this.popMany(2);
    if (typeof module !== 'string' || typeof name !== 'string') throw this.error('STACK_GLOBAL needs two strings');
    this.push(this.resolveGlobal(module, name));
  }

  private reduce(): void {
    const [callable, args] = this.popMany(2);
    this.push(this.construct(callable, args));
  }

  /** cls.__new__(cls, *args): for allow-listed classes, the same as calling them. */
  private newObject(): void {
    const [cls, args] = this.popMany(2);
    this.push(this.construct(cls, args));
  }

  private newObjectEx(): void {
    const [cls, args, kwargs] = this.popMany(3);
    if (!(kwargs instanceof PickleDict) || kwargs.entries.size > 0) throw this.error('NEWOBJ_EX with keyword arguments is not supported');
    this.push(this.construct(cls, args));
  }

  private construct(callable: PickleValue | undefined, args: PickleValue | undefined): PickleValue {
    if (!(callable instanceof PickleGlobal)) throw this.error(`cannot call a ${describePickleValue(callable)}`);
    if (!(args instanceof PickleTuple)) throw this.error(`arguments to ${callable.qualifiedName} are a ${describePickleValue(args)}, expected a tuple`);
    try {
      return callable.construct(args.items);
    } catch (error) {
      if (error instanceof PickleError) throw error;
      throw this.error(`${callable.qualifiedName}: ${(error as Error).message}`);
    }
  }

  /**
   * BUILD sets instance state. Only dicts take it here (state_dict() returns an OrderedDict with a
   * `_metadata` attribute); the state is a dict, or a (dict, slots dict) pair.
   */
  private build(): void {
    const state = this.pop();
    const target = this.top();
    if (!(target instanceof PickleDict)) throw this.error(`BUILD on a ${describePickleValue(target)} is not supported`);
    const parts = state instanceof PickleTuple ? state.items : [state];
    for (const part of parts) {
      if (part === null) continue;
      if (!(part instanceof PickleDict)) throw this.error(`BUILD state is a ${describePickleValue(part)}, expected a dict`);
      for (const [key, value] of part.entries) {
        if (typeof key !== 'string') throw this.error('BUILD state has a non-string attribute name');
        target.attributes.set(key, value);
      }
    }
  }

  private persistentLoad(): void {
    const pid = this.pop();
    if (!this.options.persistentLoad) throw this.error('pickle holds a persistent id but no loader was given');
    this.push(this.options.persistentLoad(pid));
  }

  // --- errors ---------------------------------------------------------------------------------

  private checkProtocol(protocol: number): void {
    if (protocol > HIGHEST_PROTOCOL) throw this.error(`pickle protocol ${protocol} is newer than ${HIGHEST_PROTOCOL}`);
  }

  private unsupported(opcode: number): never {
    const char = String.fromCharCode(opcode);
    const name = TEXT_OPCODES[char];
    const described = name ? `text-mode opcode ${name} ('${char}')` : `opcode 0x${hex(opcode)}`;
    throw this.error(`unsupported pickle ${described} at byte ${this.pos - 1} (expected a binary pickle, protocol 2 or newer)`);
  }

  private error(message: string): PickleError {
    return new PickleError(`${this.options.source}: ${message}`);
  }
}

/** Little-endian two's-complement integer of any width (LONG1/LONG4). */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
