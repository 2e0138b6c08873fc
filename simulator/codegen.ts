/**
 * GraphQL Code Generator for the manager protocol: the documents of simulator/documents.ts (sent
 * by the simulator and by the tests' managers) are typed from the repository's generated
 * `schema.graphql`, so a breaking schema change breaks `npm run typecheck`.
 * Run `npm run codegen:sim` after changing a document or the schema; the output (simulator/gql/) is committed.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['simulator/documents.ts', 'simulator/rehearsal-documents.ts'],
  ignoreNoDocuments: false,
  generates: {
    'simulator/gql/': {
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
