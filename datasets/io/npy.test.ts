import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeNpy,
  NpyFormatError,
  parseNpy,
  readNpy,
  readNpyLabels,
  readNpyMatrix,
  readNpyVector,
  writeNpy,
  type NpyArray,
} from './npy.ts';

const NPY_DIR = join(import.meta.dir, 'fixtures', 'npy');
const fixture = (name: string): string => join(NPY_DIR, `${name}.npy`);

interface ExpectedArray {
  dtype: string;
  shape: number[];
  values: (number | string | boolean)[];
  version: [number, number];
}
const expected = (await Bun.file(join(NPY_DIR, 'expected.json')).json()) as Record<string, ExpectedArray>;

/** The sidecar writes int64 as strings and non-finite floats as 'nan' / 'inf' / '-inf'. */
function decodeExpected(entry: ExpectedArray): (number | bigint)[] {
  return entry.values.map((value) => {
    if (entry.dtype === 'int64') return BigInt(value as string);
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === 'nan') return NaN;
    if (value === 'inf') return Infinity;
    if (value === '-inf') return -Infinity;
    return value as number;
  });
}

/** Object.is per element: tells -0 from 0 and accepts NaN === NaN. */
function expectSameValues(actual: ArrayLike<number | bigint>, wanted: (number | bigint)[]): void {
  expect(actual.length).toBe(wanted.length);
  wanted.forEach((value, i) => {
    if (!Object.is(actual[i], value)) throw new Error(`element ${i}: got ${actual[i]}, expected ${value}`);
  });
}

describe('parseNpy on numpy-written files', () => {
  for (const [name, entry] of Object.entries(expected)) {
    test(`${name} (${entry.dtype}, shape [${entry.shape}], v${entry.version.join('.')})`, async () => {
      const array = await readNpy(fixture(name));
      expect(array.dtype).toBe(entry.dtype as NpyArray['dtype']);
      expect([...array.shape]).toEqual(entry.shape);
      expectSameValues(array.data, decodeExpected(entry));
    });
  }

  test('data at an odd byte offset in the caller buffer is copied, not viewed', async () => {
    const bytes = await readFile(fixture('float64_3x4'));
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const array = parseNpy(shifted.subarray(1), 'shifted');
    expectSameValues(array.data, decodeExpected(expected.float64_3x4!));
  });

  test('aligned data is a view, not a copy', () => {
    const bytes = encodeNpy({ dtype: 'float64', shape: [2], data: new Float64Array([1, 2]) });
    expect(parseNpy(bytes, 'view').data.buffer).toBe(bytes.buffer);
  });
});

describe('encodeNpy and writeNpy', () => {
  const numpyWrittenV1 = Object.entries(expected)
    .filter(([name, entry]) => entry.version[0] === 1 && name !== 'float64_unaligned')
    .map(([name]) => name);

  for (const name of numpyWrittenV1) {
    test(`re-encoding ${name} reproduces numpy's bytes exactly`, async () => {
      const bytes = new Uint8Array(await readFile(fixture(name)));
      expect(encodeNpy(parseNpy(bytes, name))).toEqual(bytes);
    });
  }

  test('version 2 and 3 inputs re-encode as numpy would write version 1', async () => {
    const v1 = new Uint8Array(await readFile(fixture('float32_2x3')));
    expect(encodeNpy(await readNpy(fixture('float32_2x3_v2')))).toEqual(v1);
    const v1f64 = new Uint8Array(await readFile(fixture('float64_3x4')));
    expect(encodeNpy(await readNpy(fixture('float64_3x4_v3')))).toEqual(v1f64);
  });

  test('the header ends with a newline and the data starts on a 64-byte boundary', () => {
    for (const shape of [[], [0], [7], [123456789, 0], [1, 2, 3, 4, 5, 6, 7, 8]]) {
      const count = shape.reduce((a, b) => a * b, 1);
      const bytes = encodeNpy({ dtype: 'uint8', shape, data: new Uint8Array(count) });
      const headerEnd = bytes.length - count;
      expect(headerEnd % 64).toBe(0);
      expect(bytes[headerEnd - 1]).toBe(0x0a);
    }
  });

  test('writeNpy round-trips every dtype and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npy-test-'));
    try {
      const arrays: NpyArray[] = [
        { dtype: 'float32', shape: [2, 2], data: new Float32Array([1.5, -0, NaN, Infinity]) },
        { dtype: 'float64', shape: [], data: new Float64Array([Math.PI]) },
        { dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
        { dtype: 'int32', shape: [1, 3], data: new Int32Array([-1, 0, 2147483647]) },
        { dtype: 'uint8', shape: [0, 5], data: new Uint8Array(0) },
        { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
      ];
      for (const [i, array] of arrays.entries()) {
        const path = join(dir, 'nested', `a${i}.npy`);
        await writeNpy(path, array);
        const back = await readNpy(path);
        expect(back.dtype).toBe(array.dtype);
        expect([...back.shape]).toEqual([...array.shape]);
        expectSameValues(back.data, [...array.data]);
      }
      expect((await readdir(join(dir, 'nested'))).sort()).toEqual(['a0.npy', 'a1.npy', 'a2.npy', 'a3.npy', 'a4.npy', 'a5.npy']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('encodeNpy refuses data that does not fill the shape', () => {
    expect(() => encodeNpy({ dtype: 'float64', shape: [2, 2], data: new Float64Array(3) })).toThrow(
      /3 values do not fill shape \(2, 2\)/,
    );
  });

  test('encodeNpy writes only the viewed part of a subarray', () => {
    const backing = new Float64Array([9, 1, 2, 9]);
    const bytes = encodeNpy({ dtype: 'float64', shape: [2], data: backing.subarray(1, 3) });
    expect([...parseNpy(bytes, 'sub').data]).toEqual([1, 2]);
  });
});

describe('Fortran-order and big-endian arrays, as numpy reads them (fixtures/npy/make_layout_fixtures.py)', () => {
  const layouts = JSON.parse(readFileSync(join(NPY_DIR, 'layout_expected.json'), 'utf8')) as Record<string, { dtype: string; shape: number[]; values: (number | boolean)[] }>;
  test('the fixtures cover both layouts, both byte orders and every multi-byte dtype', () => {
    const names = Object.keys(layouts);
    expect(names.some((n) => n.includes('fortran') && !n.includes('bigendian'))).toBe(true);
    expect(names.some((n) => n.includes('bigendian_fortran'))).toBe(true);
    expect(new Set(Object.values(layouts).map((l) => l.dtype))).toEqual(new Set(['float32', 'float64', 'int64', 'int32', 'uint8']));
  });
  for (const [name, want] of Object.entries(layouts)) {
    test(`${name} loads equal to numpy's values, in C order`, async () => {
      const array = await readNpy(fixture(name));
      expect(array.dtype).toBe(want.dtype as NpyArray['dtype']);
      expect(array.shape).toEqual(want.shape);
      const got = array.dtype === 'int64' ? [...array.data].map(Number) : [...array.data];
      expect(got).toEqual(want.values as number[]);
    });
  }

  test("np.save(W.T) read as a matrix is W's transpose", async () => {
    const wt = await readNpyMatrix(fixture('layout_fortran_f4_WT'));
    const want = layouts.layout_fortran_f4_WT!;
    expect([wt.rows, wt.cols]).toEqual(want.shape);
    expect([...wt.data]).toEqual(want.values as number[]);
  });
});

describe('refused .npy files', () => {
  const cases: [string, RegExp][] = [
    ['refused_object', /object .*'\|O'/],
    ['refused_float16', /unsupported .npy dtype '<f2' \(expected one of <f4, <f8, <i8, <i4, \|u1, \|b1\)/],
    ['refused_structured', /structured .npy dtypes are not supported/],
    ['refused_truncated', /truncated .npy data: shape \(3, 4\) of float64 needs 96 bytes, file has 91/],
    ['refused_bad_magic', /not a .npy file \(expected the magic string/],
    ['refused_version_9', /unsupported .npy format version 9.0 \(expected 1.0, 2.0 or 3.0\)/],
    ['refused_bad_header', /header does not parse/],
    ['refused_missing_key', /must have exactly the keys descr, fortran_order, shape; found descr, shape/],
  ];
  for (const [name, message] of cases) {
    test(name, async () => {
      const path = fixture(name);
      const error = await readNpy(path).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(NpyFormatError);
      const text = (error as Error).message;
      expect(text).toMatch(message);
      expect(text.startsWith(`${path}: `)).toBe(true);
      expect(text).not.toContain('\n');
    });
  }

  test('hostile headers: oversized, deeply nested or long are refused quickly with one line', () => {
    const npy = (header: string, major = 2) => {
      const text = new TextEncoder().encode(header);
      const out = new Uint8Array(12 + text.length);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
      new DataView(out.buffer).setUint32(8, text.length, true);
      out.set(text, 12);
      return out;
    };
    const start = performance.now();
    expect(() => parseNpy(npy(' '.repeat(70_000)), 'big.npy')).toThrow(/big.npy: .npy header declares 70000 bytes \(expected at most 65536\)/);
    expect(() => parseNpy(npy('('.repeat(60_000)), 'deep.npy')).toThrow(/deep.npy: .npy header does not parse/);
    const longShape = `{'descr': '<f8', 'fortran_order': False, 'shape': (${Array(20_000).fill('0').join(', ')}), }`;
    const array = parseNpy(npy(longShape), 'wide.npy');
    expect(array.data.length).toBe(0);
    expect(performance.now() - start).toBeLessThan(2000);
  });

  test('a header longer than the file is truncation, not a crash', () => {
    const bytes = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 200, 0, 0x7b]);
    expect(() => parseNpy(bytes, 'short.npy')).toThrow(/short.npy: truncated .npy header/);
  });

  test('a header holding something other than a dict is refused', () => {
    const text = "[1, 2]".padEnd(53, ' ') + '\n';
    const bytes = new Uint8Array(64);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length, 0]);
    bytes.set(new TextEncoder().encode(text), 10);
    expect(() => parseNpy(bytes, 'list.npy')).toThrow(/list.npy: .npy header is not a dict/);
  });
});

describe('matrix, vector and label readers', () => {
  test('readNpyMatrix widens float32 to a float64 matrix', async () => {
    const m = await readNpyMatrix(fixture('float32_2x3'));
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(m.data).toBeInstanceOf(Float64Array);
    expectSameValues(m.data, decodeExpected(expected.float32_2x3!));
  });

  test('readNpyMatrix keeps float64 and accepts 0 rows', async () => {
    const m = await readNpyMatrix(fixture('float64_3x4'));
    expectSameValues(m.data, decodeExpected(expected.float64_3x4!));
    const empty = await readNpyMatrix(fixture('float32_empty_0x4'));
    expect([empty.rows, empty.cols, empty.data.length]).toEqual([0, 4, 0]);
  });

  test('readNpyMatrix names the file and shape of a 1-D array', async () => {
    const path = fixture('float32_vector_6');
    await expect(readNpyMatrix(path)).rejects.toThrow(`${path}: expected a 2-D float array, got shape (6,)`);
  });

  test('readNpyMatrix refuses integer data', async () => {
    await expect(readNpyMatrix(fixture('int32_2x2x2'))).rejects.toThrow(/expected a 2-D float array, got shape \(2, 2, 2\)/);
  });

  test('readNpyVector reads a 1-D float array and refuses a 2-D one', async () => {
    const v = await readNpyVector(fixture('float32_vector_6'));
    expectSameValues(v, decodeExpected(expected.float32_vector_6!));
    await expect(readNpyVector(fixture('float64_3x4'))).rejects.toThrow(/expected a 1-D float array, got shape \(3, 4\)/);
    await expect(readNpyVector(fixture('labels_int64'))).rejects.toThrow(/expected a 1-D float32\/float64 array, got int64/);
  });

  test('readNpyLabels narrows int64 and passes int32 through', async () => {
    expect([...(await readNpyLabels(fixture('labels_int64')))]).toEqual([0, 3, 1, 2, 2, 228]);
    expect([...(await readNpyLabels(fixture('labels_int32')))]).toEqual([4, 0, 1]);
  });

  test('readNpyLabels refuses a label outside int32 and float labels', async () => {
    const path = fixture('labels_too_big');
    await expect(readNpyLabels(path)).rejects.toThrow(`${path}: label 1099511627776 at index 1 does not fit in int32`);
    await expect(readNpyLabels(fixture('float32_vector_6'))).rejects.toThrow(/expected int64 or int32 labels, got float32/);
  });
});
