import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodegenConfig } from '@graphql-codegen/cli';

const here = dirname(fileURLToPath(import.meta.url));

// Every document of the console is typed from the repository's schema.graphql (the public API);
// `npm run codegen` writes console/src/gql/, committed so that a fresh clone typechecks.
const config: CodegenConfig = {
  schema: join(here, '../schema.graphql'),
  documents: [join(here, 'src/**/*.tsx'), join(here, 'src/**/*.ts'), `!${join(here, 'src/gql/**')}`],
  ignoreNoDocuments: false,
  generates: {
    [join(here, 'src/gql/')]: {
      preset: 'client',
      presetConfig: { fragmentMasking: { unmaskFunctionName: 'readFragment' } },
      config: {
        scalars: { DateTime: 'string', JSON: 'unknown' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
