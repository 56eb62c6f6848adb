import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import {
  DATA_GLOBALS,
  PickleDict,
  PickleError,
  PickleGlobal,
  PickleSet,
  PickleTuple,
  unpickle,
  type GlobalConstructor,
  type PickleValue,
} from './pickle.ts';

const PICKLE_DIR = join(import.meta.dir, 'fixtures', 'pickle');
const expected: unknown = await Bun.file(join(PICKLE_DIR, 'expected.json')).json();

/** The same tagged JSON form make_fixtures.py writes for the Python value. */
function tagged(value: PickleValue): unknown {
  if (typeof value === 'bigint') return { int: value.toString() };
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(tagged);
  if (value instanceof PickleTuple) return { tuple: value.items.map(tagged) };
  if (value instanceof PickleDict) return { dict: [...value.entries].map(([k, v]) => [tagged(k), tagged(v)]), type: value.typeName };
  if (value instanceof PickleSet || value instanceof PickleGlobal) throw new Error('not in the fixture');
  return value;
}

const options = (globals: ReadonlyMap<string, GlobalConstructor> = DATA_GLOBALS) => ({ source: 'test.pkl', globals });

/** Bytes from opcodes given as strings (latin1) and byte arrays. */
function pickleBytes(...parts: (string | number[])[]): Uint8Array {
  const bytes: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') for (const char of part) bytes.push(char.charCodeAt(0));
    else bytes.push(...part);
  }
  return new Uint8Array(bytes);
}

describe('CPython pickles', () => {
  for (const protocol of [2, 4]) {
    test(`protocol ${protocol}: every value matches the Python original`, async () => {
      const bytes = new Uint8Array(await Bun.file(join(PICKLE_DIR, `values_p${protocol}.pkl`)).arrayBuffer());
      expect(tagged(unpickle(bytes, options()))).toEqual(expected);
    });

    test(`protocol ${protocol}: memoized values keep their identity`, async () => {
      const bytes = new Uint8Array(await Bun.file(join(PICKLE_DIR, `values_p${protocol}.pkl`)).arrayBuffer());
      const root = unpickle(bytes, options()) as PickleDict;
      const pair = (root.get('ordered') as PickleDict).get('a') as PickleValue[];
      expect(pair[0]).toBe(pair[1]!);
    });
  }
});

describe('refusals', () => {
  test('GLOBAL outside the allow-list names the global and the source, and is never called', () => {
    const hostile = pickleBytes([0x80, 2], 'cos\nsystem\n', [0x8c, 4], 'true', [0x85], 'R.');
    expect(() => unpickle(hostile, options())).toThrow(
      /^test.pkl: refusing to load global 'os.system': not on the allow-list \(collections.OrderedDict, _codecs.encode\)$/,
    );
  });

  test('STACK_GLOBAL outside the allow-list is refused too', () => {
    const hostile = pickleBytes([0x80, 4, 0x8c, 8], 'builtins', [0x8c, 4], 'eval', [0x93], ')R.');
    expect(() => unpickle(hostile, options())).toThrow(PickleError);
    expect(() => unpickle(hostile, options())).toThrow(/refusing to load global 'builtins.eval'/);
  });

  const malformed: [string, Uint8Array, RegExp][] = [
    ['truncated stream', pickleBytes([0x80, 2, 0x58, 10, 0, 0, 0], 'abc'), /truncated pickle/],
    ['missing STOP', pickleBytes([0x80, 2], 'N'), /truncated pickle/],
    ['text-mode opcode', pickleBytes('I1\n.'), /unsupported pickle text-mode opcode INT \('I'\)/],
    ['unknown opcode', pickleBytes([0x80, 2, 0xff]), /unsupported pickle opcode 0xff at byte 2/],
    ['undefined memo entry', pickleBytes([0x80, 2], 'h', [5], '.'), /memo entry 5 is not defined/],
    ['newer protocol', pickleBytes([0x80, 6], 'N.'), /pickle protocol 6 is newer than 5/],
    ['persistent id without a loader', pickleBytes([0x80, 2], 'NQ.'), /persistent id but no loader/],
    ['calling a non-global', pickleBytes([0x80, 2], 'N)R.'), /cannot call a None/],
    ['BUILD on a list', pickleBytes([0x80, 2], ']}b.'), /BUILD on a list is not supported/],
    ['APPEND to a dict', pickleBytes([0x80, 2], '}Na.'), /APPEND to a dict, expected a list/],
    ['stack underflow across a MARK', pickleBytes([0x80, 2], 'N(0.'), /stack underflow/],
    ['TUPLE without MARK', pickleBytes([0x80, 2], 't.'), /MARK expected/],
    ['bytes via another codec', pickleBytes([0x80, 2], 'c_codecs\nencode\n', [0x8c, 1], 'x', [0x8c, 4], 'utf8', [0x86], 'R.'), /_codecs.encode: .*latin1/],
  ];
  for (const [name, bytes, message] of malformed) {
    test(name, () => {
      let caught: unknown;
      try {
        unpickle(bytes, options());
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PickleError);
      expect((caught as Error).message).toMatch(message);
      expect((caught as Error).message.startsWith('test.pkl: ')).toBe(true);
    });
  }
});

describe('allow-listed globals', () => {
  test('REDUCE hands the arguments to the constructor and pushes what it builds', () => {
    const seen: PickleValue[][] = [];
    const globals = new Map<string, GlobalConstructor>([['m.f', (args) => (seen.push([...args]), 'built')]]);
    const bytes = pickleBytes([0x80, 2], 'cm\nf\nK', [7], [0x85], 'R.');
    expect(unpickle(bytes, options(globals))).toBe('built');
    expect(seen).toEqual([[7]]);
  });

  test('a constructor error becomes a PickleError naming the global', () => {
    const globals = new Map<string, GlobalConstructor>([
      [
        'm.f',
        () => {
          throw new Error('bad args');
        },
      ],
    ]);
    expect(() => unpickle(pickleBytes([0x80, 2], 'cm\nf\n)R.'), options(globals))).toThrow(/test.pkl: m.f: bad args/);
  });

  test('BUILD on an OrderedDict keeps its state as attributes (state_dict _metadata)', () => {
    const bytes = pickleBytes([0x80, 2], 'ccollections\nOrderedDict\n)R}', [0x8c, 9], '_metadata', 'K', [1], 'sb.');
    const dict = unpickle(bytes, options()) as PickleDict;
    expect(dict.typeName).toBe('collections.OrderedDict');
    expect(dict.attributes.get('_metadata')).toBe(1);
    expect(dict.entries.size).toBe(0);
  });

  test('persistent ids go to the loader', () => {
    const bytes = pickleBytes([0x80, 2, 0x8c, 3], 'key', [0x85], 'Q.');
    const loaded = unpickle(bytes, { ...options(), persistentLoad: (pid) => `loaded ${(pid as PickleTuple).items[0]}` });
    expect(loaded).toBe('loaded key');
  });

  test('sets and frozensets are inert containers', () => {
    const bytes = pickleBytes([0x80, 4, 0x8f], '(K', [1], 'K', [2], [0x90], '(K', [3], [0x91, 0x86], '.');
    const pair = unpickle(bytes, options()) as PickleTuple;
    const [set, frozen] = pair.items as [PickleSet, PickleSet];
    expect([set.items, set.frozen, frozen.items, frozen.frozen]).toEqual([[1, 2], false, [3], true]);
  });
});
