import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { withZipArchive, ZipArchive, ZipFormatError } from './zip.ts';

const TORCH_DIR = join(import.meta.dir, 'fixtures', 'torch');

/** Entry contents keyed by name without the archive prefix, which differs between fixtures. */
async function contentsWithoutPrefix(file: string): Promise<Map<string, Uint8Array>> {
  return withZipArchive(join(TORCH_DIR, file), async (archive) => {
    const contents = new Map<string, Uint8Array>();
    for (const name of archive.entries.keys()) contents.set(name.slice(name.indexOf('/') + 1), await archive.read(name));
    return contents;
  });
}

describe('zip archives from torch.save and other writers', () => {
  test('torch.save layout: data descriptors, zero local sizes, ZIP64 end record', async () => {
    const archive = await ZipArchive.open(join(TORCH_DIR, 'checkpoint.pt'));
    try {
      expect([...archive.entries.keys()].slice(0, 2)).toEqual(['checkpoint/data.pkl', 'checkpoint/data/0']);
      expect([...archive.entries.values()].every((entry) => entry.method === 0)).toBe(true);
      expect(archive.entries.get('checkpoint/version')?.uncompressedSize).toBe(2);
      expect(new TextDecoder().decode(await archive.read('checkpoint/version'))).toBe('3\n');
    } finally {
      await archive.close();
    }
  });

  test('deflated (Python zipfile) and ZIP64-extra archives hold the same bytes as the original', async () => {
    const original = await contentsWithoutPrefix('checkpoint.pt');
    const deflated = await contentsWithoutPrefix('checkpoint_deflate.pt');
    const zip64 = await contentsWithoutPrefix('checkpoint_zip64.pt');
    expect(deflated).toEqual(original);
    expect(zip64.get('byteorder')).toEqual(new TextEncoder().encode('little'));
    zip64.delete('byteorder');
    expect(zip64).toEqual(original);
  });

  test('Bun.hash.crc32 (what read() checks with) is the CRC-32 that zip writers store', async () => {
    expect(Bun.hash.crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
    for (const file of ['checkpoint.pt', 'checkpoint_deflate.pt', 'checkpoint_zip64.pt']) {
      await withZipArchive(join(TORCH_DIR, file), async (archive) => {
        for (const entry of archive.entries.values()) {
          const bytes = await archive.read(entry.name);
          expect(Bun.hash.crc32(bytes)).toBe(entry.crc32);
          expect(crc32(bytes)).toBe(entry.crc32);
        }
      });
    }
  });

  test('entries start 8-byte aligned so they can be viewed as typed arrays', async () => {
    for (const file of ['checkpoint.pt', 'checkpoint_deflate.pt', 'checkpoint_zip64.pt']) {
      for (const bytes of (await contentsWithoutPrefix(file)).values()) expect(bytes.byteOffset % 8).toBe(0);
    }
  });
});

describe('damaged archives', () => {
  let dir = '';
  let original = new Uint8Array();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zip-test-'));
    original = new Uint8Array(await readFile(join(TORCH_DIR, 'checkpoint.pt')));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function damaged(name: string, change: (bytes: Uint8Array) => Uint8Array): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, change(original.slice()));
    return path;
  }

  test('a flipped byte in an entry fails its CRC-32 check', async () => {
    const path = await damaged('flipped.pt', (bytes) => {
      const inDataPkl = 0x40 + 10; // torch's layout puts data.pkl's bytes at 0x40
      bytes[inDataPkl] = bytes[inDataPkl]! ^ 0xff;
      return bytes;
    });
    await expect(withZipArchive(path, (archive) => archive.read('checkpoint/data.pkl'))).rejects.toThrow(
      `${path}: entry 'checkpoint/data.pkl' fails its CRC-32 check (corrupt or truncated file)`,
    );
  });

  test('a corrupt deflate stream is a one-line error naming the file and entry, and the file still closes', async () => {
    const deflated = new Uint8Array(await readFile(join(TORCH_DIR, 'checkpoint_deflate.pt')));
    const path = join(dir, 'bad-deflate.pt');
    deflated.fill(0xaa, 0x60, 0x90); // inside data.pkl's compressed bytes
    await writeFile(path, deflated);
    const error = await withZipArchive(path, (archive) => archive.read('renamed/data.pkl')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ZipFormatError);
    expect((error as Error).message).toStartWith(`${path}: entry 'renamed/data.pkl': `);
    expect((error as Error).message).not.toContain('\n');
  });

  test('a file cut short has no end record', async () => {
    const path = await damaged('cut.pt', (bytes) => bytes.subarray(0, bytes.length - 100));
    const error = await ZipArchive.open(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ZipFormatError);
    expect((error as Error).message).toBe(`${path}: not a zip archive (no end-of-central-directory record)`);
  });

  test('an entry that points past the end of the file is reported as truncation', async () => {
    // Keep the tail (central directory and end records) but drop bytes from the middle.
    const path = await damaged('hole.pt', (bytes) => {
      const out = new Uint8Array(bytes.length - 64);
      out.set(bytes.subarray(0, 0x40));
      out.set(bytes.subarray(0x80), 0x40);
      return out;
    });
    await expect(ZipArchive.open(path)).rejects.toThrow(/truncated zip\?/);
  });

  test('asking for an absent entry names it', async () => {
    const path = join(TORCH_DIR, 'checkpoint.pt');
    await expect(withZipArchive(path, (archive) => archive.read('checkpoint/data/99'))).rejects.toThrow(
      `${path}: no entry 'checkpoint/data/99' in the zip archive`,
    );
  });
});
