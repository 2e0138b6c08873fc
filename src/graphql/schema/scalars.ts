import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { builder } from '../builder.js';

const parseDate = (v: unknown): Date => {
  if (typeof v !== 'string' || v.length > 64) throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new GraphQLError(`"${v}" is not a valid ISO-8601 date-time`, { extensions: { code: 'BAD_USER_INPUT' } });
  return d;
};

builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time',
  serialize: (v) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString()),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : null),
});

const literal = (ast: ValueNode): unknown => {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
    case Kind.LIST:
      return ast.values.map(literal);
    case Kind.NULL:
      return null;
    default:
      throw new GraphQLError('JSON literals may not contain variables', { extensions: { code: 'BAD_USER_INPUT' } });
  }
};

builder.scalarType('JSON', {
  description: 'Any JSON value',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: literal,
});
