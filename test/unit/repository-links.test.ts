/**
 * No file of the repository points outside it: a fresh clone must hold everything its files
 * refer to (the contract was once linked as ../shared/API.md, which a clone does not have).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every git-tracked text file, with its text (binary files, those holding a NUL byte, left out). */
function trackedTextFiles(): { path: string; text: string }[] {
  const paths = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  return paths.flatMap((path) => {
    const abs = join(ROOT, path);
    if (!existsSync(abs)) return []; // deleted in the work tree, not yet committed
    const buf = readFileSync(abs);
    if (buf.includes(0)) return [];
    return [{ path, text: buf.toString('utf8') }];
  });
}

const outside = (target: string) => {
  const rel = relative(ROOT, target);
  return rel.startsWith('..') || isAbsolute(rel);
};

/** What in one file points outside the repository (or, for a markdown link, at nothing): one line each. */
export function outsideReferences(path: string, text: string, root = ROOT): string[] {
  const found: string[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const here = dirname(join(root, path));
  // The team's shared folder, however it is reached.
  for (const m of text.matchAll(/(?:\.\.\/)+shared\b|\/work\/shared\b/g)) found.push(`${path}:${lineOf(m.index)}: ${m[0]}`);
  // Any relative path climbing above the root (imports, links, comments alike).
  for (const m of text.matchAll(/(?<![\w/.])(?:\.\.\/)+[\w.@-]*/g)) {
    if (outside(resolve(here, m[0])) && !/shared\b/.test(m[0])) found.push(`${path}:${lineOf(m.index)}: ${m[0]}`);
  }
  if (path.endsWith('.md')) {
    // Markdown links and images: absolute paths are outside, relative ones must exist.
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!.split('#')[0]!;
      if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // an anchor, http:, mailto:, ...
      const abs = target.startsWith('/') ? target : resolve(here, decodeURIComponent(target));
      if (target.startsWith('/') || outside(abs)) found.push(`${path}:${lineOf(m.index)}: link ${m[1]} leaves the repository`);
      else if (!existsSync(abs)) found.push(`${path}:${lineOf(m.index)}: link ${m[1]} points at nothing`);
    }
  }
  return found;
}

describe('the repository is self-contained', () => {
  it('no tracked file links or refers to a path outside the repository, and every markdown link resolves', () => {
    const files = trackedTextFiles();
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap((f) => outsideReferences(f.path, f.text))).toEqual([]);
  });

  it('catches ../shared, a path climbing above the root, an absolute link and a dangling one (the check itself)', () => {
    const text = [
      'The contract is [`../shared/API.md`](../shared/API.md).',
      'see ../../../elsewhere/notes.txt',
      'import x from "../src/ok.js"',
      '[abs](/etc/hosts) [gone](missing.md) [web](https://example.com) [anchor](#top) [readme](README.md)',
    ].join('\n');
    expect(outsideReferences('x.md', text)).toEqual([
      'x.md:1: ../shared',
      'x.md:1: ../shared',
      'x.md:2: ../../../elsewhere',
      'x.md:1: link ../shared/API.md leaves the repository',
      'x.md:4: link /etc/hosts leaves the repository',
      'x.md:4: link missing.md points at nothing',
    ]);
  });
});
