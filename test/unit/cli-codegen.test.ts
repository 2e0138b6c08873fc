/**
 * `oc`'s typed documents (cli/gql/, committed) are what GraphQL Code Generator makes of
 * cli/documents.ts and schema.graphql today: regenerate with `npm run codegen:cli`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../../cli/codegen.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the CLI’s generated GraphQL types', () => {
  it('are up to date with schema.graphql and cli/documents.ts (npm run codegen:cli)', async () => {
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const files = (await generate({ ...config, silent: true }, false)) as { filename: string; content: string }[];
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const committed = await readFile(join(ROOT, f.filename), 'utf8').catch(() => '(missing)');
        expect(committed, `${f.filename} is stale: run npm run codegen:cli`).toBe(f.content);
      }
    } finally {
      process.chdir(cwd);
    }
  }, 60_000);
});
