import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labCommand, parseLabScript } from '../../simulator/lab-command.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe("npm run lab's command (package.json)", () => {
  it('starts node itself (no tsx CLI process in between) with the V8 flags that keep the lab small at rest', () => {
    const { nodeArgs, flags } = labCommand(ROOT);
    expect(nodeArgs.slice(-3)).toEqual(['--import', 'tsx', 'simulator/lab.ts']);
    // docs/scaling.md (PGlite at rest): PostgreSQL's WebAssembly stays on V8's baseline compiler,
    // and V8's young generation stays small.
    expect(flags).toContain('--liftoff-only');
    expect(flags.find((f) => f.startsWith('--max-semi-space-size='))).toMatch(/^--max-semi-space-size=[1-4]$/);
  });

  it('reads a script of the form [exec] node FLAGS… --import tsx simulator/lab.ts, and refuses any other', () => {
    expect(parseLabScript('exec node --a --b=2 --import tsx simulator/lab.ts')).toEqual({
      nodeArgs: ['--a', '--b=2', '--import', 'tsx', 'simulator/lab.ts'],
      flags: ['--a', '--b=2'],
    });
    expect(parseLabScript('node --import tsx simulator/lab.ts').flags).toEqual([]);
    expect(() => parseLabScript('tsx simulator/lab.ts')).toThrow(/does not start node/);
    expect(() => parseLabScript('node --import tsx src/main.ts')).toThrow(/does not run simulator\/lab.ts/);
  });
});
