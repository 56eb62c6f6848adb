import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * Every citation of the MultiOOD facts in the repository resolves: comments and docs cite
 * docs/multiood-facts.md by section ("docs/multiood-facts.md §5", older wordings such as
 * "facts, section 3" or "facts sections 4-6" are checked too), and no file points at a
 * document outside the repository.
 */

const ROOT = resolve(import.meta.dir, '..');
const FACTS = join(ROOT, 'docs', 'multiood-facts.md');
const EXTENSIONS = ['.ts', '.md', '.astro'];
const SKIP_DIRS = new Set(['node_modules', '.git']);
const SKIP_PATHS = new Set(['site/dist']);
// Built from pieces so that this file does not cite the outside folder itself.
const OUTSIDE_DOCS = new RegExp(['shared', 'docs'].join('[\\\\/]'));

/** Section numbers ("5", "5.2") that docs/multiood-facts.md defines as headings "## 5." / "### 5.2". */
export function definedSections(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{2,4}\s+(\d+(?:\.\d+)*)[.\s]/gm)) out.add(m[1]!);
  return out;
}

// A list of section numbers: "5", "5.2", "2, 4 and 6", "4-6", "§2, §3".
const LIST = String.raw`(\d+(?:\.\d+)*(?:\s*(?:-|–|,|and|&)\s*§*\s*\d+(?:\.\d+)*)*)`;
const CITATIONS = [
  new RegExp(String.raw`multiood-facts\.md\)?\s*(?:§+|sections?)\s*` + LIST, 'gi'),
  new RegExp(String.raw`\bfacts,?\s+(?:§+|sections?)\s*` + LIST, 'gi'),
];

/** The section numbers a text cites, expanding ranges; comment leaders across lines are ignored. */
export function citedSections(text: string): string[] {
  const flat = text.replace(/\r?\n\s*(?:\*(?!\/)|\/\/)?\s*/g, ' ');
  const out: string[] = [];
  for (const re of CITATIONS) {
    for (const m of flat.matchAll(re)) {
      for (const part of m[1]!.split(/\s*(?:,|and|&)\s*/)) {
        const range = part.replace(/§/g, '').trim().split(/\s*[-–]\s*/);
        if (range.length === 2 && /^\d+$/.test(range[0]!) && /^\d+$/.test(range[1]!)) {
          for (let n = Number(range[0]); n <= Number(range[1]); n++) out.push(String(n));
        } else out.push(...range.filter((x) => x !== ''));
      }
    }
  }
  return out;
}

function repositoryFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (SKIP_DIRS.has(entry.name) || SKIP_PATHS.has(relative(ROOT, path))) continue;
      repositoryFiles(path, out);
    } else if (entry.isFile() && EXTENSIONS.some((e) => entry.name.endsWith(e))) out.push(path);
  }
  return out;
}

describe('citations of docs/multiood-facts.md', () => {
  const sections = definedSections(readFileSync(FACTS, 'utf8'));

  test('the facts document has sections 1-7', () => {
    for (let n = 1; n <= 7; n++) expect(sections.has(String(n))).toBe(true);
  });

  test('the citation parser reads every wording and expands ranges', () => {
    const f = 'facts';
    expect(citedSections(`(${f} section 1)`)).toEqual(['1']);
    expect(citedSections(`(${f}, section 3; OpenOOD)`)).toEqual(['3']);
    expect(citedSections(`(${f} sections 2, 4 and 6)`)).toEqual(['2', '4', '6']);
    expect(citedSections(`(${f} sections 4-6)`)).toEqual(['4', '5', '6']);
    expect(citedSections(`(${f}\n * section 5)`)).toEqual(['5']);
    expect(citedSections(`docs/multiood-${f}.md §2, §3, §4 and §6`)).toEqual(['2', '3', '4', '6']);
    expect(citedSections(`docs/multiood-${f}.md\n // §5.2`)).toEqual(['5.2']);
    expect(citedSections(`[docs/multiood-${f}.md](docs/multiood-${f}.md) §9`)).toEqual(['9']);
    expect(citedSections('<dl class="facts">')).toEqual([]);
  });

  test('every cited section exists, and nothing cites a document outside the repository', () => {
    const problems: string[] = [];
    let citations = 0;
    for (const file of repositoryFiles(ROOT)) {
      const text = readFileSync(file, 'utf8');
      const rel = relative(ROOT, file);
      for (const n of citedSections(text)) {
        citations++;
        if (!sections.has(n)) problems.push(`${rel}: cites facts section ${n}, which docs/multiood-facts.md does not have`);
      }
      text.split('\n').forEach((line, i) => {
        if (OUTSIDE_DOCS.test(line)) problems.push(`${rel}:${i + 1}: points outside the repository: ${line.trim()}`);
      });
    }
    expect(problems).toEqual([]);
    expect(citations).toBeGreaterThan(0);
  });
});
