/**
 * The clients' typed documents (console/src/gql/, cli/gql/ and simulator/gql/, committed) are what GraphQL Code
 * Generator makes of their documents and schema.graphql today: a fresh clone typechecks and builds
 * without running codegen, and a schema change that a client's documents do not survive is seen
 * here as well as in `npm run typecheck`. Regenerate with `npm run codegen` / `npm run codegen:cli` / `npm run codegen:sim`.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import cliConfig from '../../cli/codegen.js';
import consoleConfig from '../../console/codegen.js';
import simConfig from '../../simulator/codegen.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the generated GraphQL types of the clients', () => {
  it.each([
    ['the console', consoleConfig, 'npm run codegen'],
    ['the oc command line', cliConfig, 'npm run codegen:cli'],
    ['the manager protocol (simulator and test managers)', simConfig, 'npm run codegen:sim'],
  ])('of %s are up to date with schema.graphql and their documents', async (_client, config, command) => {
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const files = (await generate({ ...config, silent: true }, false)) as { filename: string; content: string }[];
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const path = isAbsolute(f.filename) ? f.filename : join(ROOT, f.filename);
        const committed = await readFile(path, 'utf8').catch(() => '(missing)');
        expect(committed, `${f.filename} is stale: run ${command}`).toBe(f.content);
      }
    } finally {
      process.chdir(cwd);
    }
  }, 60_000);
});
