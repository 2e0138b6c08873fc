import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printedSchema } from './schema.js';

export const SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema.graphql');

writeFileSync(SCHEMA_FILE, printedSchema());
console.log(`wrote ${SCHEMA_FILE}`);
