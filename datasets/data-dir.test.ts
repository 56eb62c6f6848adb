import { describe, expect, test } from 'bun:test';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { cacheDir, resolveDataDir } from './data-dir.ts';

describe('resolveDataDir', () => {
  test('the flag wins over $MULTIOOD_DATA, which wins over ~/.multiood/data', () => {
    expect(resolveDataDir('/data/flag', { MULTIOOD_DATA: '/data/env' })).toBe('/data/flag');
    expect(resolveDataDir(undefined, { MULTIOOD_DATA: '/data/env' })).toBe('/data/env');
    expect(resolveDataDir('', { MULTIOOD_DATA: '' })).toBe(join(homedir(), '.multiood', 'data'));
    expect(resolveDataDir(undefined, {})).toBe(join(homedir(), '.multiood', 'data'));
  });

  test('relative paths become absolute; ~ expands', () => {
    expect(resolveDataDir('../shared/data', {})).toBe(resolve('../shared/data'));
    expect(resolveDataDir('~/d', {})).toBe(join(homedir(), 'd'));
  });
});

describe('cacheDir', () => {
  test('$MULTIOOD_CACHE, else ~/.cache/multiood', () => {
    expect(cacheDir({ MULTIOOD_CACHE: '/tmp/c' })).toBe('/tmp/c');
    expect(cacheDir({})).toBe(join(homedir(), '.cache', 'multiood'));
  });
});
