import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './schema/index.js';

export const schema = builder.toSchema();

/** The SDL as checked in (schema.graphql): sorted so that diffs are about content. */
export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;
