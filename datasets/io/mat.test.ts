import { describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { matAt, matIndex, MatFormatError, parseMat, readMat } from './mat.ts';

const MAT_DIR = join(import.meta.dir, 'fixtures', 'mat');
const fixture = (name: string): string => join(MAT_DIR, name);

interface ExpectedVariable {
  class: string;
  dims: number[];
  values: number[];
}
/** file -> variable -> class, dims, values in column-major order (written by make_mat_fixtures.py) */
const expected = (await Bun.file(join(MAT_DIR, 'expected.json')).json()) as Record<string, Record<string, ExpectedVariable>>;

const TYPED_ARRAY_OF: Record<string, string> = {
  double: 'Float64Array',
  single: 'Float32Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  int16: 'Int16Array',
  uint16: 'Uint16Array',
  int32: 'Int32Array',
  uint32: 'Uint32Array',
  logical: 'Uint8Array',
};

describe('readMat on scipy-written and hand-assembled files', () => {
  for (const [file, variables] of Object.entries(expected)) {
    test(`${file}: ${Object.entries(variables).map(([v, e]) => `${v} ${e.class} [${e.dims}]`).join(', ')}`, async () => {
      const mat = await readMat(fixture(file));
      expect([...mat.keys()].sort()).toEqual(Object.keys(variables).sort());
      for (const [name, want] of Object.entries(variables)) {
        const got = mat.get(name)!;
        expect(got.class).toBe(want.class as typeof got.class);
        expect(got.dims).toEqual(want.dims);
        expect(got.data.constructor.name).toBe(TYPED_ARRAY_OF[want.class]!);
        expect(Array.from(got.data)).toEqual(want.values);
      }
    });
  }

  test('matIndex / matAt address (i, j, k) in column-major order', async () => {
    const mat = await readMat(fixture('double_z.mat'));
    const a3 = mat.get('a3')!;
    expect(a3.dims).toEqual([4, 3, 5]);
    const values = expected['double_z.mat']!.a3!.values;
    expect(matIndex(a3.dims, 1, 2, 3)).toBe(1 + 4 * (2 + 3 * 3));
    expect(matAt(a3, 1, 2, 3)).toBe(values[1 + 4 * 2 + 12 * 3]!);
    expect(matAt(mat.get('matrix2d')!, 2, 1)).toBe(expected['double_z.mat']!.matrix2d!.values[2 + 3 * 1]!);
    expect(() => matIndex([4, 3, 5], 4, 0, 0)).toThrow(RangeError);
    expect(matIndex([4, 3], 1, 2, 0)).toBe(9); // trailing singleton index is allowed
  });

  test('variables: reads only the named ones and skips the rest unchecked; a missing one is an error', async () => {
    const only = await readMat(fixture('refused_complex.mat'), { variables: ['ok'] });
    expect([...only.keys()]).toEqual(['ok']);
    expect(Array.from(only.get('ok')!.data)).toEqual([1, 1, 1, 1]);
    await expect(readMat(fixture('double_z.mat'), { variables: ['nope'] })).rejects.toThrow(/double_z\.mat: no variable "nope"/);
  });

  test('parseMat reads from bytes at any offset (unaligned data is copied)', async () => {
    const bytes = await readFile(fixture('double_raw.mat'));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const mat = parseMat(shifted.subarray(3), 'shifted');
    expect(Array.from(mat.get('a3')!.data)).toEqual(expected['double_raw.mat']!.a3!.values);
  });
});

describe('refusals: one line naming the file (and the variable)', () => {
  const cases: [string, RegExp][] = [
    ['refused_complex.mat', /refused_complex\.mat: variable "z" .*complex arrays are not supported/],
    ['refused_sparse.mat', /refused_sparse\.mat: variable "sp" .*sparse arrays are not supported/],
    ['refused_cell.mat', /refused_cell\.mat: variable "c" .*cell arrays are not supported/],
    ['refused_struct.mat', /refused_struct\.mat: variable "s" .*struct arrays are not supported/],
    ['refused_char.mat', /refused_char\.mat: variable "label" .*char arrays are not supported/],
    ['refused_int64.mat', /refused_int64\.mat: variable "big" .*int64 arrays are not supported/],
    ['refused_level4.mat', /refused_level4\.mat: not a MAT-file|refused_level4\.mat: not a Level 5 MAT-file/],
    ['refused_bigendian.mat', /refused_bigendian\.mat: big-endian MAT-file/],
    ['refused_v73.mat', /refused_v73\.mat: MATLAB v7\.3 \(HDF5\) MAT-files are not supported/],
    ['refused_version.mat', /refused_version\.mat: unsupported MAT-file version 0x0300/],
    ['refused_out_of_range.mat', /variable "u8_from_i16" .*miINT16 value -5 at index 1 does not fit class uint8/],
    ['refused_count.mat', /variable "short" .*24 bytes of miDOUBLE, dimensions \[2, 2\] need 32/],
    ['refused_truncated.mat', /refused_truncated\.mat: truncated MAT-file/],
    ['refused_corrupt_zlib.mat', /refused_corrupt_zlib\.mat: corrupt compressed element at byte 128/],
    ['refused_short.mat', /refused_short\.mat: not a MAT-file \(10 bytes/],
  ];
  for (const [file, message] of cases) {
    test(file, async () => {
      const error = await readMat(fixture(file)).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(MatFormatError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    });
  }
});

// The real dataset, when this checkout sits next to ../shared (read-only test data, never copied here).
const UTD = join(import.meta.dir, '..', '..', '..', 'shared', 'data', 'utd-mhad');
const present = existsSync(UTD);
if (!present) console.warn(`SKIPPED: real UTD-MHAD MAT-file tests need ../shared/data/utd-mhad (looked in ${UTD})`);

describe('UTD-MHAD files (MATLAB-written, compressed)', () => {
  test.skipIf(!present)('inertial: d_iner, double, T x 6', async () => {
    const m = (await readMat(join(UTD, 'Inertial', 'a1_s1_t1_inertial.mat'))).get('d_iner')!;
    expect(m.class).toBe('double');
    expect(m.dims).toEqual([160, 6]);
    // values checked against scipy.io.loadmat
    expect(matAt(m, 0, 0)).toBeCloseTo(-0.959473, 5);
    expect(Math.min(...m.data)).toBeCloseTo(-207.389313, 5);
    expect(Math.max(...m.data)).toBeCloseTo(227.450382, 5);
  });

  test.skipIf(!present)('skeleton: d_skel, double, 20 x 3 x T', async () => {
    const m = (await readMat(join(UTD, 'Skeleton', 'a1_s1_t1_skeleton.mat'))).get('d_skel')!;
    expect(m.dims).toEqual([20, 3, 48]);
    expect(matAt(m, 0, 0, 0)).toBeCloseTo(-0.04576265, 7);
    expect(matAt(m, 0, 2, 0)).toBeCloseTo(2.83018947, 7);
    expect(matAt(m, 3, 1, 0)).toBeCloseTo(-0.11209317, 7); // hip centre, y
  });

  test.skipIf(!present)('depth: d_depth is class double stored as miUINT16, 240 x 320 x T', async () => {
    const m = (await readMat(join(UTD, 'Depth', 'a1_s1_t1_depth.mat'))).get('d_depth')!;
    expect(m.class).toBe('double');
    expect(m.dims).toEqual([240, 320, 48]);
    let nonZero = 0;
    let max = 0;
    for (const v of m.data) {
      if (v !== 0) nonZero++;
      if (v > max) max = v;
    }
    expect(max).toBe(3201);
    expect(nonZero / m.data.length).toBeCloseTo(0.07956977, 6);
  });
});
