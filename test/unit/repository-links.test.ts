/**
 * No file of the repository points outside it: a fresh clone must hold everything its files
 * refer to (the contract was once linked in the team's folder beside the repository, which a clone
 * does not have). This file spells such paths with `${UP}` so as not to hold any itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** One level up, spelled so that this file holds no such path itself. */
const UP = ['..', '/'].join('');
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
function outsideReferences(path: string, text: string, root = ROOT): string[] {
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

  it('catches the shared folder, a path climbing above the root, an absolute link and a dangling one (the check itself)', () => {
    const text = [
      `The contract is [\`${UP}shared/API.md\`](${UP}${UP}shared/API.md).`,
      `see ${UP}${UP}${UP}elsewhere/notes.txt`,
      `import x from "${UP}src/ok.js"`,
      `[abs](/etc/hosts) [gone](missing.md) [web](https://example.com) [anchor](#top) [readme](${UP}README.md)`,
    ].join('\n');
    expect(outsideReferences('docs/x.md', text)).toEqual([
      `docs/x.md:1: ${UP}shared`,
      `docs/x.md:1: ${UP}${UP}shared`,
      `docs/x.md:2: ${UP}${UP}${UP}elsewhere`,
      `docs/x.md:1: link ${UP}${UP}shared/API.md leaves the repository`,
      'docs/x.md:4: link /etc/hosts leaves the repository',
      'docs/x.md:4: link missing.md points at nothing',
    ]);
  });
});
