import { afterAll, beforeAll, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '..', '..');
const CLI = join(ROOT, 'harness', 'cli.ts');
const EXAMPLE = join(ROOT, 'examples', 'results');
const WORKFLOW = join(ROOT, '.github', 'workflows', 'leaderboard.yml');
/** What the leaderboard workflow runs to build the published site (asserted below to be in the workflow). */
const BUILD = 'npx bun harness site build --from-export examples/results exports --out site/dist';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'multiood-export-cmd-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function harness(...args: string[]) {
  const p = Bun.spawnSync([process.execPath, CLI, ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

test('the committed example export is valid and canonical: import then export gives the same bytes', () => {
  const check = harness('import', '--check', 'examples/results', 'exports');
  expect(check.code, check.stderr).toBe(0);
  expect(check.stdout).toContain('examples/results/toy-har-near.json: toy-har-near, 4 cells, valid');

  const db = join(dir, 'example.sqlite');
  const imported = harness('import', EXAMPLE, '--db', db);
  expect(imported.code, imported.stderr).toBe(0);
  expect(imported.stdout).toContain('4 cells added');
  const out = join(dir, 'example-export');
  const exported = harness('export', '--db', db, '--out', out);
  expect(exported.code, exported.stderr).toBe(0);
  expect(exported.stdout).toContain('toy-har-near.json: 4 cells, 12 results, 1 runs');
  expect(readdirSync(out)).toEqual(readdirSync(EXAMPLE).filter((f) => f.endsWith('.json')));
  for (const f of readdirSync(out)) expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(EXAMPLE, f), 'utf8'));
  // small enough to review
  expect(readFileSync(join(EXAMPLE, 'toy-har-near.json')).length).toBeLessThan(200_000);
}, 60_000);

test('a bad export exits 2 with one line naming the file and the field; --db and --from-export exclude each other', () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  const f = JSON.parse(readFileSync(join(EXAMPLE, 'toy-har-near.json'), 'utf8'));
  f.cells[1].scorings[0].results[0].fpr95 = -0.5;
  writeFileSync(join(bad, 'toy-har-near.json'), JSON.stringify(f));
  const r = harness('import', '--check', bad);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`^error: ${join(bad, 'toy-har-near.json').replace(/[.+]/g, '\\$&')}: cells\\[1\\]\\.scorings\\[0\\]\\.results\\[0\\]\\.fpr95: .+\\n$`));
  expect(harness('import', '--check', '--db', join(dir, 'x.sqlite'), EXAMPLE).code).toBe(2);
  expect(harness('site', 'build', '--db', join(dir, 'x.sqlite'), '--from-export', EXAMPLE, '--out', join(dir, 'never')).code).toBe(2);
  expect(existsSync(join(dir, 'never'))).toBe(false);
}, 60_000);

test('the workflow validates on pull requests and deploys main to GitHub Pages with the tested build command', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  const wf = Bun.YAML.parse(text) as any;
  expect(wf.on.pull_request).toBeDefined();
  expect(wf.on.push.branches).toEqual(['main']);
  const steps = (job: string) => (wf.jobs[job].steps as { run?: string; uses?: string }[]);
  const runs = (job: string) => steps(job).map((s) => s.run).filter(Boolean);
  expect(runs('validate')).toEqual(['npm ci --no-audit --no-fund', 'npx bun harness submissions validate', 'npx bun harness import --check examples/results exports']);
  expect(steps('validate').find((s) => s.uses?.startsWith('actions/setup-node'))).toMatchObject({ with: { 'node-version': 20 } });
  expect(runs('build')).toContain(BUILD);
  expect(steps('build').map((s) => s.uses)).toContain('actions/upload-pages-artifact@v3');
  expect(wf.jobs.deploy.permissions).toEqual({ pages: 'write', 'id-token': 'write' });
  expect(wf.jobs.deploy.needs).toBe('build');
  expect(wf.jobs.deploy.if).toContain("github.ref == 'refs/heads/main'");
  expect(steps('deploy').map((s) => s.uses)).toEqual(['actions/deploy-pages@v4']);
});

test("the workflow's build command builds the site from the committed exports and the reported numbers", () => {
  // BUILD, with the output in a temporary folder instead of site/dist
  const args = BUILD.replace(/^npx bun harness /, '').split(' ');
  const out = join(dir, 'dist');
  args[args.indexOf('--out') + 1] = out;
  const r = harness(...args);
  expect(r.code, r.stderr.slice(-3000)).toBe(0);
  expect(r.stderr).toContain('site: imported 1 export files (4 cells)');
  expect(r.stderr).toMatch(/site: \d+ pages \(4 cells\)/);
  const page = readFileSync(join(out, 'benchmarks', 'toy-har-near', 'index.html'), 'utf8');
  expect(page).toContain('Toy HAR Near-OOD');
  // the reproduced ranking has the example's two recipes and three scorers
  for (const scorer of ['MSP', 'KNN', 'Mahalanobis']) expect(page).toContain(scorer);
  expect(page).toContain('A2D + NP-Mix');
  expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('href="/benchmarks/toy-har-near/"');
  // the paper's reported numbers are there too
  expect(readFileSync(join(out, 'benchmarks', 'hmdb51-near', 'index.html'), 'utf8')).toContain('Table 1');
}, 240_000);
