import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './schema/index.js';

export const schema = builder.toSchema();

/** The SDL as checked in (schema.graphql): sorted so that diffs are about content. */
export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;

/** Where the generated SDL is checked in. */
export const SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema.graphql');
