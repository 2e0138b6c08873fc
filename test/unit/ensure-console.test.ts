/**
 * scripts/ensure-console.ts, which npm runs on install, start and lab: it builds the console when
 * it is not built or its sources changed, skips the build when it is up to date, and fails loudly.
 * Each case is a throw-away repository whose `build:console` is a small node script.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleState, ensureConsole } from '../../scripts/ensure-console.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A repository with console sources and a build:console that runs `build` (JavaScript). */
function repo(build: string | null, opts: { vite?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'oc-ensure-console-'));
  roots.push(root);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'probe', private: true, scripts: { 'build:console': 'node build.mjs' } }));
  writeFileSync(join(root, 'schema.graphql'), 'type Query { a: Int }\n');
  if (build !== null) {
    mkdirSync(join(root, 'console', 'src'), { recursive: true });
    writeFileSync(join(root, 'console', 'src', 'main.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'build.mjs'), build);
  }
  if (opts.vite !== false) {
    mkdirSync(join(root, 'node_modules', 'vite'), { recursive: true });
    writeFileSync(join(root, 'node_modules', 'vite', 'package.json'), '{}');
  }
  return root;
}

const WRITES_DIST = `import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
mkdirSync('console/dist/assets', { recursive: true });
writeFileSync('console/dist/index.html', '<!doctype html>');
appendFileSync('builds.log', 'built\\n');`;

const run = (root: string) => {
  const lines: string[] = [];
  const code = ensureConsole(root, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
};

describe('ensure-console (npm postinstall, prestart, prelab)', () => {
  it('builds a console that is not built, then skips the build while its sources stay the same', () => {
    const root = repo(WRITES_DIST);
    expect(consoleState(root)).toBe('not-built');
    expect(run(root)).toMatchObject({ code: 0, out: expect.stringContaining('console: built') });
    expect(consoleState(root)).toBe('fresh');
    expect(run(root)).toEqual({ code: 0, out: '' });
    expect(readFileSync(join(root, 'builds.log'), 'utf8')).toBe('built\n');
  }, 30_000);

  it('rebuilds when a source of the console, or the schema it is typed from, changed', () => {
    const root = repo(WRITES_DIST);
    expect(run(root).code).toBe(0);
    writeFileSync(join(root, 'console', 'src', 'main.ts'), 'export const a = 2;\n');
    expect(consoleState(root)).toBe('stale');
    expect(run(root).code).toBe(0);
    expect(consoleState(root)).toBe('fresh');
    writeFileSync(join(root, 'schema.graphql'), 'type Query { a: Int b: Int }\n');
    expect(consoleState(root)).toBe('stale');
    // Files in console/dist are the build's output, not its sources.
    expect(run(root).code).toBe(0);
    writeFileSync(join(root, 'console', 'dist', 'extra.txt'), 'x');
    expect(consoleState(root)).toBe('fresh');
  }, 30_000);

  it('fails, saying so, when the build fails or writes no index.html', () => {
    const failing = repo(`console.error('syntax error in console/src/main.ts'); process.exit(1);`);
    const r = run(failing);
    expect(r.code).toBe(1);
    expect(r.out).toContain('console: BUILD FAILED: npm run build:console exited with 1');
    expect(consoleState(failing)).toBe('not-built');
    const empty = repo('// writes nothing');
    expect(run(empty)).toMatchObject({ code: 1, out: expect.stringContaining('wrote no console/dist/index.html') });
  }, 30_000);

  it('does nothing without console sources, and only warns when Vite is not installed', () => {
    const bare = repo(null);
    expect(consoleState(bare)).toBe('no-sources');
    expect(run(bare)).toMatchObject({ code: 0, out: expect.stringContaining('nothing to build') });
    const prod = repo(WRITES_DIST, { vite: false });
    expect(run(prod)).toMatchObject({ code: 0, out: expect.stringContaining('NOT BUILT') });
  });
});
