import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labCommand, parseLabScript } from '../../simulator/lab-command.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe("npm run lab's command (package.json)", () => {
  it('gives node the V8 flags that keep the lab small at rest', () => {
    const { flags, nodeArgs } = labCommand(ROOT);
    // docs/scaling.md (PGlite at rest): PostgreSQL's WebAssembly stays on V8's baseline compiler,
    // and V8's young generation stays small.
    expect(flags).toContain('--liftoff-only');
    expect(flags.find((f) => f.startsWith('--max-semi-space-size='))).toMatch(/^--max-semi-space-size=[1-4]$/);
    expect(nodeArgs.slice(-3)).toEqual(['--import', 'tsx', 'simulator/lab.ts']);
  });

  it('reads a script of the form tsx FLAGS… simulator/lab.ts, and refuses any other', () => {
    expect(parseLabScript('tsx --a --b=2 simulator/lab.ts')).toEqual({
      flags: ['--a', '--b=2'],
      tsxArgs: ['--a', '--b=2', 'simulator/lab.ts'],
      nodeArgs: ['--a', '--b=2', '--import', 'tsx', 'simulator/lab.ts'],
    });
    expect(parseLabScript('tsx simulator/lab.ts').flags).toEqual([]);
    expect(() => parseLabScript('node --import tsx simulator/lab.ts')).toThrow(/does not start with tsx/);
    expect(() => parseLabScript('tsx src/main.ts')).toThrow(/does not run simulator\/lab.ts/);
    expect(() => parseLabScript('tsx watch simulator/lab.ts')).toThrow(/not a node flag/);
  });
});
