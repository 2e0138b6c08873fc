/**
 * How `npm run lab` starts node: package.json's "lab" script, read here so that the lab's e2e test
 * and bench/memory.ts start the lab with exactly the node flags a user gets (the V8 flags there
 * are what keeps the lab's memory at rest within issue 12's budget; docs/scaling.md, PGlite at rest).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabCommand {
  /** node's arguments, up to and including the lab's script (simulator/lab.ts). */
  nodeArgs: string[];
  /** The V8/node flags among them that are not the loader (`--import tsx`): what bench/memory.ts weighs one by one. */
  flags: string[];
}

/** Parses a lab script of the form `[exec] node FLAGS… --import tsx simulator/lab.ts`. */
export function parseLabScript(script: string): LabCommand {
  const words = script.trim().split(/\s+/);
  if (words[0] === 'exec') words.shift();
  if (words[0] !== 'node') throw new Error(`package.json's lab script does not start node: "${script}"`);
  const nodeArgs = words.slice(1);
  if (!nodeArgs.at(-1)?.endsWith('simulator/lab.ts')) throw new Error(`package.json's lab script does not run simulator/lab.ts: "${script}"`);
  const flags: string[] = [];
  for (let i = 0; i < nodeArgs.length - 1; i++) {
    if (nodeArgs[i] === '--import') i++;
    else flags.push(nodeArgs[i]!);
  }
  return { nodeArgs, flags };
}

/** The lab's node command from package.json in `root` (the repository). */
export function labCommand(root: string): LabCommand {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const script = pkg.scripts?.['lab'];
  if (!script) throw new Error('package.json has no lab script');
  return parseLabScript(script);
}
