/**
 * The API's DateTime and JSON scalars. Written here rather than taken from graphql-scalars
 * (1.26.0, checked): its DateTime refuses what the API has always taken (a date alone,
 * `2026-01-01`), takes year 0000 (which PostgreSQL and the API cannot write back), and hands
 * graphql-js a Date to serialize instead of our hand ISO formatter (isoString below, there for
 * `npm run bench:topology`: a page of workers formats up to four dates a worker); its JSON has
 * no depth limit (ours stops at MAX_JSON_DEPTH, walked without recursion).
 */
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { MAX_JSON_DEPTH } from '../../services/validate.js';
import { builder } from '../builder.js';

const badInput = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/**
 * Dates are taken for years 0001 to 9999 (RFC 3339's range): JavaScript reads dates from 271,821 BC
 * to 275,760 AD, which PostgreSQL cannot store (it stops at 4713 BC) nor the API write back in
 * four-digit years.
 */
const MIN_DATE = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_DATE = Date.parse('9999-12-31T23:59:59.999Z');

const parseDate = (v: unknown): Date => {
  if (typeof v !== 'string' || v.length > 64) throw badInput('DateTime must be an ISO-8601 string');
  const d = new Date(v);
  const t = d.getTime();
  if (Number.isNaN(t)) throw badInput(`"${v}" is not a valid ISO-8601 date-time`);
  if (t < MIN_DATE || t > MAX_DATE) throw badInput(`"${v}" is out of range: a DateTime must be within the years 0001 to 9999`);
  return d;
};

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `d.toISOString()`, written out by hand for years 1000 to 9999 (at less than half its cost: a
 * page of workers formats up to four dates a worker); anything else (and an invalid date, which
 * throws) goes to toISOString itself.
 */
export function isoString(d: Date): string {
  const y = d.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999)) return d.toISOString();
  return `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${pad3(d.getUTCMilliseconds())}Z`;
}

builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time, within the years 0001 to 9999',
  serialize: (v) => isoString(v instanceof Date ? v : new Date(v as string)),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : null),
});

const tooDeep = () => badInput(`JSON values may nest at most ${MAX_JSON_DEPTH} levels`);

const literal = (ast: ValueNode, depth = 0): unknown => {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT: {
      const n = Number(ast.value);
      if (!Number.isFinite(n)) throw badInput(`${ast.value} is not a number JSON can hold`);
      return n;
    }
    case Kind.OBJECT:
      if (depth >= MAX_JSON_DEPTH) throw tooDeep();
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value, depth + 1)]));
    case Kind.LIST:
      if (depth >= MAX_JSON_DEPTH) throw tooDeep();
      return ast.values.map((v) => literal(v, depth + 1));
    case Kind.NULL:
      return null;
    default:
      throw badInput('JSON literals may not contain variables');
  }
};

/** A value from the variables: as JSON parsed it, but nested at most MAX_JSON_DEPTH levels (walked without recursion). */
const jsonValue = (v: unknown): unknown => {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) throw tooDeep();
    for (const item of Array.isArray(x) ? x : Object.values(x)) if (item !== null && typeof item === 'object') stack.push([item, depth + 1]);
  }
  return v;
};

builder.scalarType('JSON', {
  description: `Any JSON value, nested at most ${MAX_JSON_DEPTH} levels`,
  serialize: (v) => v,
  parseValue: jsonValue,
  parseLiteral: (ast) => literal(ast),
});
