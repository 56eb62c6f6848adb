import { describe, expect, test } from 'bun:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PickleError } from './pickle.ts';
import {
  CheckpointError,
  listCheckpointTensors,
  readCheckpointTensors,
  readLinearHead,
  tensorPathKey,
  type Tensor,
} from './torch-checkpoint.ts';
import { ZipFormatError } from './zip.ts';

const TORCH_DIR = join(import.meta.dir, 'fixtures', 'torch');
const fixture = (name: string): string => join(TORCH_DIR, name);

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: (number | string | boolean)[];
}
interface ExpectedCheckpoint {
  tensors: Record<string, ExpectedTensor>;
  head: { weight: number[][]; bias: number[] };
}
const expected = (await Bun.file(join(TORCH_DIR, 'expected.json')).json()) as ExpectedCheckpoint;

/** int64 comes as strings, bool as true/false, non-finite floats as 'nan' / 'inf' / '-inf'. */
function decodeExpected(entry: ExpectedTensor): (number | bigint)[] {
  return entry.values.map((value) => {
    if (entry.dtype === 'int64') return BigInt(value as string);
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === 'nan') return NaN;
    if (value === 'inf') return Infinity;
    if (value === '-inf') return -Infinity;
    return value as number;
  });
}

function expectTensor(actual: Tensor | undefined, wanted: ExpectedTensor, label: string): void {
  if (!actual) throw new Error(`${label}: missing`);
  expect(actual.dtype).toBe(wanted.dtype as Tensor['dtype']);
  expect([...actual.shape]).toEqual(wanted.shape);
  const values = decodeExpected(wanted);
  expect(actual.data.length).toBe(values.length);
  values.forEach((value, i) => {
    if (!Object.is(actual.data[i], value)) throw new Error(`${label}[${i}]: got ${actual.data[i]}, expected ${value}`);
  });
}

const READABLE = [
  ['checkpoint.pt', 'torch.save, pickle protocol 2'],
  ['checkpoint_proto4.pt', 'torch.save, pickle protocol 4'],
  ['checkpoint_deflate.pt', 'deflated entries, archive renamed'],
  ['checkpoint_zip64.pt', 'ZIP64 extra fields, mixed methods, byteorder entry'],
] as const;

for (const [file, description] of READABLE) describe(`${file} (${description})`, () => {
  const path = fixture(file);
  const wantedPaths = Object.keys(expected.tensors).map((key) => key.split('/'));

  test('lists every tensor with its dtype and shape', async () => {
    const listed = await listCheckpointTensors(path);
    // The sidecar's keys are sorted; the checkpoint's are in insertion order.
    const byKey = (a: [string, ...unknown[]], b: [string, ...unknown[]]): number => a[0].localeCompare(b[0]);
    expect(listed.map((entry): [string, string, number[]] => [tensorPathKey(entry.path), entry.dtype, [...entry.shape]]).sort(byKey)).toEqual(
      Object.entries(expected.tensors).map(([key, entry]): [string, string, number[]] => [key, entry.dtype, entry.shape]).sort(byKey),
    );
  });

  test('every tensor matches torch exactly (views, offsets, strides, all dtypes)', async () => {
    const tensors = await readCheckpointTensors(path, wantedPaths);
    for (const [key, entry] of Object.entries(expected.tensors)) expectTensor(tensors.get(key), entry, key);
  });

  test('readLinearHead returns the classifier as a C x D matrix and a bias', async () => {
    const head = await readLinearHead(path);
    expect([head.weight.rows, head.weight.cols]).toEqual([3, 5]);
    expect([...head.weight.data]).toEqual(expected.head.weight.flat());
    expect([...head.bias]).toEqual(expected.head.bias);
  });
});

describe('looking up tensors', () => {
  const path = fixture('checkpoint.pt');

  test('only the wanted tensors come back, keyed by their path', async () => {
    const tensors = await readCheckpointTensors(path, [['other', 'sliced'], ['other', 'long']]);
    expect([...tensors.keys()]).toEqual(['other/sliced', 'other/long']);
  });

  test('a mistyped key names the file, where it looked and the nearest keys', async () => {
    await expect(readLinearHead(path, ['mlp_cls_state_dict', 'enc_nett'])).rejects.toThrow(
      `${path}: no key 'enc_nett.weight' at mlp_cls_state_dict; nearest available: 'enc_net.weight', 'enc_net.bias' (2 keys in all)`,
    );
    await expect(readCheckpointTensors(path, [['mlp_cls_state', 'enc_net.weight']])).rejects.toThrow(
      /no key 'mlp_cls_state' at the top level; nearest available: 'mlp_cls_state_dict', 'epoch', 'other' \(3 keys in all\)/,
    );
  });

  test('a path ending at something other than a tensor says what it found', async () => {
    await expect(readCheckpointTensors(path, [['epoch']])).rejects.toThrow(`${path}: epoch is not a tensor (found int)`);
    await expect(readCheckpointTensors(path, [['epoch', 'x']])).rejects.toThrow(/no key 'x' at epoch \(found int, which has no keys\)/);
  });

  test('list items are reachable by index', async () => {
    await expect(readCheckpointTensors(path, [['other', 'plain', '4']])).rejects.toThrow(/other\/plain\/4 is not a tensor \(found str\)/);
  });

  test('readLinearHead checks the shapes it returns', async () => {
    await expect(readLinearHead(path, ['other', 'bad_head'])).rejects.toThrow(
      `${path}: other/bad_head.weight is float32 [4], expected a 2-D float tensor`,
    );
    await expect(readLinearHead(path, [])).rejects.toThrow(/needs a non-empty prefix/);
  });
});

describe('refused checkpoints', () => {
  const cases: [string, new (...args: never[]) => Error, string | RegExp][] = [
    [fixture('refused_global.pt'), PickleError, /refused_global.pt:archive\/data.pkl: refusing to load global 'os.system': not on the allow-list/],
    [fixture('refused_bigendian.pt'), CheckpointError, /refused_bigendian.pt: storages are stored 'big'-endian \(expected 'little'\)/],
    [fixture('refused_legacy.pt'), CheckpointError, /refused_legacy.pt: legacy \(pre-1.6, non-zip\) torch.save format is not supported/],
    [fixture('refused_not_zip.pt'), ZipFormatError, /refused_not_zip.pt: not a zip archive/],
    [join(import.meta.dir, 'fixtures', 'npy', 'float32_2x3.npy'), ZipFormatError, /float32_2x3.npy: not a zip archive/],
  ];
  for (const [path, errorClass, message] of cases) {
    test(path.split('/').slice(-2).join('/'), async () => {
      const error = await readLinearHead(path).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(errorClass);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    });
  }

  test('a zip that is not a torch checkpoint says what it expected', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ckpt-test-'));
    try {
      const zipPath = join(dir, 'plain.zip');
      await writeFile(zipPath, EMPTY_ZIP);
      await expect(readLinearHead(zipPath)).rejects.toThrow(
        `${zipPath}: not a torch.save checkpoint (expected an entry <name>/data.pkl; found no entries)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The smallest valid zip: just an end-of-central-directory record. */
const EMPTY_ZIP = new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);
