/**
 * GraphQL Code Generator for the `oc` command line: the documents in cli/*.ts are typed from the
 * repository's generated `schema.graphql`, so a breaking schema change breaks `npm run typecheck`.
 * Run `npm run codegen:cli` after changing a document or the schema; the output (cli/gql/) is committed.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['cli/documents.ts'],
  ignoreNoDocuments: false,
  generates: {
    'cli/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        // NodeNext resolution: relative imports with their .js extension.
        emitLegacyCommonJSImports: false,
      },
    },
  },
};

export default config;
