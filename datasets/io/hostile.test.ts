/**
 * Regression tests for issue 14's hostile files (fixtures/hostile, made by
 * make_hostile_fixtures.py): each is refused with one line naming the file, quickly, and before
 * allocating what it declares.
 */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setIoLimits, type IoLimits } from './limits.ts';
import { MatFormatError, readMat } from './mat.ts';
import { NpyFormatError, readNpy } from './npy.ts';
import { CheckpointError, readCheckpointTensors, readLinearHead } from './torch-checkpoint.ts';
import { withZipArchive, ZipFormatError } from './zip.ts';

const HOSTILE = join(import.meta.dir, 'fixtures', 'hostile');
const file = (name: string) => join(HOSTILE, name);

let restore: IoLimits | undefined;
afterEach(() => {
  if (restore) setIoLimits(restore);
  restore = undefined;
});

/** The error `run` throws, after checking it took less than `seconds`. */
async function refusal(run: () => Promise<unknown>, seconds = 5): Promise<Error> {
  const start = performance.now();
  const error = await run().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect((performance.now() - start) / 1000).toBeLessThan(seconds);
  expect(error).toBeInstanceOf(Error);
  expect(error!.message).not.toContain('\n');
  return error!;
}

describe('hostile checkpoints', () => {
  test('a ZIP64 locator pointing past the file is refused, not a hang with a stack trace', async () => {
    const error = await refusal(() => readLinearHead(file('zip64_locator.pt')));
    expect(error).toBeInstanceOf(ZipFormatError);
    expect(error.message).toStartWith(`${file('zip64_locator.pt')}: `);
    expect(error.message).toContain('outside the 4779-byte file');
  });

  test('a stride-0 tensor expanding one float to 8 TiB is refused before allocating', async () => {
    const before = process.memoryUsage().rss;
    const error = await refusal(() => readLinearHead(file('stride0.pt')));
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toContain('mlp_cls_state_dict/enc_net.weight: shape [1048576, 1048576] with stride [0, 0] expands a storage of 1 elements');
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  test('a stride-0 view within the tensor limit is read (an expanded tensor); below it, refused', async () => {
    const tensors = await readCheckpointTensors(file('stride0.pt'), [['mlp_cls_state_dict', 'enc_net.bias']]);
    const bias = tensors.get('mlp_cls_state_dict/enc_net.bias')!;
    expect(bias.shape).toEqual([1 << 20]);
    expect((bias.data as Float64Array).every((v) => v === 1)).toBe(true);
    restore = setIoLimits({ maxTensorBytes: 1024 * 1024 });
    const error = await refusal(() => readCheckpointTensors(file('stride0.pt'), [['mlp_cls_state_dict', 'enc_net.bias']]));
    expect(error.message).toContain('to 8 MiB, over the 1 MiB limit');
  });

  test('a deflated entry over the inflate limit is refused from its declared size', async () => {
    restore = setIoLimits({ maxInflatedBytes: 1024 * 1024 });
    // the head itself is small and reads; the padding entry is what declares 16 MiB
    expect((await readLinearHead(file('zip_bomb.pt'))).bias).toEqual(new Float64Array([1]));
    const error = await refusal(() => withZipArchive(file('zip_bomb.pt'), (archive) => archive.read('archive/data/padding')));
    expect(error).toBeInstanceOf(ZipFormatError);
    expect(error.message).toContain("entry 'archive/data/padding' would inflate to 16 MiB, over the 1 MiB limit");
    expect(error.message).toContain('MULTIOOD_MAX_INFLATE_MB');
  });

  test('a deflated entry declaring more than deflate can produce is refused', async () => {
    const error = await refusal(() => withZipArchive(file('zip_declared_4g.pt'), (archive) => archive.read('archive/data/padding')));
    expect(error.message).toContain('declares 4294967280 bytes from');
    expect(error.message).toContain('more than deflate can produce');
  });

  test('a missing key among 20,000 long keys is suggested in bounded time', async () => {
    const error = await refusal(() => readCheckpointTensors(file('many_long_keys.pt'), [['mlp_cls_state_dict', '00042kkk']]), 3);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toContain("no key '00042kkk' at mlp_cls_state_dict; nearest available: '00042");
    expect(error.message).toContain('(20000 keys in all)');
    expect(error.message.length).toBeLessThan(1000);
  });
});

describe('hostile MAT-files', () => {
  test('a compressed element inflating past the limit is refused, not inflated', async () => {
    restore = setIoLimits({ maxInflatedBytes: 1024 * 1024 });
    const error = await refusal(() => readMat(file('mat_bomb.mat')));
    expect(error).toBeInstanceOf(MatFormatError);
    expect(error.message).toBe(`${file('mat_bomb.mat')}: compressed element at byte 128 inflates to more than the 1 MiB limit (raise it with MULTIOOD_MAX_INFLATE_MB)`);
  });

  test('under the default limit the same file reads (16 MiB of zeros)', async () => {
    const vars = await readMat(file('mat_bomb.mat'));
    expect(vars.get('x')!.dims).toEqual([2 << 20, 1]);
  });
});

test('names taken from a file cannot break an error message over lines (fuzz seed 14, torch input 713)', async () => {
  const { PickleError } = await import('./pickle.ts');
  for (const E of [ZipFormatError, CheckpointError, MatFormatError, PickleError, NpyFormatError]) {
    expect(new E("f.pt: entry 'hive/version\n3\u2028x'").message).toBe("f.pt: entry 'hive/version\\u000a3\\u2028x'");
  }
});

describe('not a regular file: refused at once, never read without end or waited on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'multiood-io-'));
  const fifo = join(dir, 'pipe');
  Bun.spawnSync(['mkfifo', fifo]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['npy', (p: string) => readNpy(p)],
    ['mat', (p: string) => readMat(p)],
    ['checkpoint', (p: string) => readLinearHead(p)],
  ])('%s from /dev/zero, a FIFO, a folder', async (_, read) => {
    for (const [path, kind] of [['/dev/zero', 'device'], [fifo, 'FIFO'], [dir, 'folder']] as const) {
      const error = await refusal(() => read(path), 2);
      expect(error.message).toStartWith(`${path}: expected a regular file`);
      if (!error.message.includes('checkpoint')) expect(error.message).toContain(kind);
    }
  });
});
