import { writeFileSync } from 'node:fs';
import { printedSchema, SCHEMA_FILE } from './schema.js';

writeFileSync(SCHEMA_FILE, printedSchema());
console.log(`wrote ${SCHEMA_FILE}`);
