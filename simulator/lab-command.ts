/**
 * How `npm run lab` starts the lab: package.json's "lab" script (`tsx FLAGS… simulator/lab.ts`),
 * read here so that the lab's e2e test and bench/memory.ts start it with exactly the node flags a
 * user gets (the V8 flags there are what keeps the lab's memory at rest within issue 12's budget;
 * docs/scaling.md, PGlite at rest). tsx's command line passes them on to the node it starts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabCommand {
  /** The node/V8 flags of the script. */
  flags: string[];
  /** tsx's arguments: the flags, then simulator/lab.ts. */
  tsxArgs: string[];
  /** The same as node's own arguments (what tsx's command line runs, less its signal relay). */
  nodeArgs: string[];
}

/** Parses a lab script of the form `tsx FLAGS… simulator/lab.ts`. */
export function parseLabScript(script: string): LabCommand {
  const words = script.trim().split(/\s+/);
  if (words[0] !== 'tsx') throw new Error(`package.json's lab script does not start with tsx: "${script}"`);
  const entry = words.at(-1);
  if (words.length < 2 || entry !== 'simulator/lab.ts') throw new Error(`package.json's lab script does not run simulator/lab.ts: "${script}"`);
  const flags = words.slice(1, -1);
  const bad = flags.find((f) => !f.startsWith('--'));
  if (bad) throw new Error(`package.json's lab script: "${bad}" is not a node flag: "${script}"`);
  return { flags, tsxArgs: [...flags, entry], nodeArgs: [...flags, '--import', 'tsx', entry] };
}

/** The lab's command from package.json in `root` (the repository). */
export function labCommand(root: string): LabCommand {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const script = pkg.scripts?.['lab'];
  if (!script) throw new Error('package.json has no lab script');
  return parseLabScript(script);
}
