import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Code versions: a hash of the source files that determine a result, so that a cached result is
 * reused only while its code is unchanged. The files are found by following the project's own
 * relative imports from an entry point (static `import ... from './x.ts'`, `export ... from`,
 * `import('./x.ts')` and worker scripts), so a change in one scorer reruns that scorer only, a change in
 * training retrains, and a change in the site, the README or a test reruns nothing.
 */

export const PROJECT_ROOT = resolve(import.meta.dir, '..', '..');

// static imports and re-exports, dynamic import(), side-effect imports, and worker scripts (new URL('./w.ts', import.meta.url))
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^import\s+['"](\.{1,2}\/[^'"]+)['"]|new URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url/gm;

/** Every project source file reachable from `entries` (paths relative to the project root), sorted. */
export function sourceClosure(entries: readonly string[], root = PROJECT_ROOT): string[] {
  const seen = new Set<string>();
  const stack = entries.map((e) => resolve(root, e));
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    if (!existsSync(file)) throw new Error(`code version: ${relative(root, file)} does not exist`);
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      if (!spec || !/\.(ts|js|json)$/.test(spec)) continue;
      const target = resolve(dirname(file), spec);
      if (target.startsWith(root) && !target.includes(`${join(root, 'node_modules')}`)) stack.push(target);
    }
  }
  return [...seen].map((f) => relative(root, f)).sort();
}

/** sha256 over (path, contents) of the files, first 16 hex digits. */
export function hashFiles(files: readonly string[], root = PROJECT_ROOT): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f);
    h.update('\0');
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** What trains a model: the loop, the recipes, the data loaders and the compute backends. */
export const TRAINING_ENTRIES = ['methods/training/train.ts', 'methods/training/recipes/index.ts', 'datasets/registry.ts', 'harness/backend.ts'] as const;
/** What every scorer's numbers also pass through: the evaluation and the metrics. */
export const EVALUATION_ENTRIES = ['harness/evaluate.ts'] as const;

const cache = new Map<string, string>();
function cached(key: string, compute: () => string): string {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = compute()));
  return v;
}

/** The training code's version. */
export function trainingCodeVersion(root = PROJECT_ROOT): string {
  return cached(`training:${root}`, () => hashFiles(sourceClosure(TRAINING_ENTRIES, root), root));
}

/** The file that defines scorer `id` (methods/scorers/*.ts declaring `id: '<id>'`). */
export function scorerSourceFile(id: string, root = PROJECT_ROOT): string {
  const dir = join(root, 'methods', 'scorers');
  const pattern = new RegExp(`\\bid:\\s*['"]${id.replace(/[^a-z0-9_-]/gi, '')}['"]`);
  const file = readdirSync(dir).find((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && pattern.test(readFileSync(join(dir, f), 'utf8')));
  if (!file) throw new Error(`code version: no file in methods/scorers declares scorer ${id}`);
  return join('methods', 'scorers', file);
}

/** A scorer's version: its file and what it imports, plus the evaluation and metrics code. */
export function scorerCodeVersion(id: string, root = PROJECT_ROOT): string {
  return cached(`scorer:${id}:${root}`, () => hashFiles(sourceClosure([scorerSourceFile(id, root), ...EVALUATION_ENTRIES], root), root));
}
