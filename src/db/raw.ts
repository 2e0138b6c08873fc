/** Reading hot rows as the server sent them: value converters, the timestamp parser, keyed named statements. */
import pg from 'pg';
import type { NamedStatement, ReadRows } from './client.js';

/**
 * Converters of the values of `readRows` (./client.ts): on PostgreSQL a column's text exactly
 * as the server sent it, on PGlite the value already parsed by the driver. Each converter
 * accepts both, so a row mapper is written once.
 *
 * Why not the driver's own parsing: pg parses every column of every row, and its timestamp
 * parser (about 2 µs a value) was most of the client's time for a page of workers. These, and the
 * hand-written parseTimestamptz, exist for `npm run bench:topology`.
 */

export const rawString = (v: unknown): string => v as string;
/** int4, float8 (PostgreSQL writes NaN and ±Infinity as words; Number reads them). */
export const rawNumber = (v: unknown): number => (typeof v === 'string' ? Number(v) : (v as number));
/** bool (PostgreSQL writes t or f). */
export const rawBoolean = (v: unknown): boolean => v === true || v === 't';
export const rawDate = (v: unknown): Date => (v instanceof Date ? v : parseTimestamptz(v as string));
/**
 * json and jsonb: their text, or the value PGlite parsed already (null stays null). A jsonb that
 * may hold a JSON string (a task's result) is cast to text in the statement: PGlite would give
 * that string parsed, indistinguishable from a text to parse.
 */
export const rawJson = <T = unknown>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

const slowTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text') as (s: string) => Date;

/** The number written by s[from..to), or NaN when a character is not a digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * A timestamptz as PostgreSQL writes it with DateStyle ISO (its default), whatever the session's
 * time zone: `2026-11-22 14:13:58.123456+00`, `...+05:30`, `...-03:30:15`; the fraction is cut
 * to milliseconds, as `new Date(iso)` does. Anything else (years before 100 or after 9999, BC,
 * infinity) goes to pg's own parser.
 */
export function parseTimestamptz(s: string): Date {
  if (s.length >= 22 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(10) === 32 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58) {
    let i = 19;
    let ms = 0;
    if (s.charCodeAt(i) === 46) {
      const start = ++i;
      while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
      const n = Math.min(3, i - start);
      ms = digits(s, start, start + n) * 10 ** (3 - n);
    }
    const sign = s.charCodeAt(i);
    const year = digits(s, 0, 4);
    if ((sign === 43 || sign === 45) && year >= 100) {
      let end = i + 3;
      let offset = digits(s, i + 1, end) * 3600;
      if (s.charCodeAt(end) === 58) {
        offset += digits(s, end + 1, end + 3) * 60;
        end += 3;
        if (s.charCodeAt(end) === 58) {
          offset += digits(s, end + 1, end + 3);
          end += 3;
        }
      }
      if (end === s.length) {
        const t =
          Date.UTC(year, digits(s, 5, 7) - 1, digits(s, 8, 10), digits(s, 11, 13), digits(s, 14, 16), digits(s, 17, 19), ms) -
          (sign === 43 ? offset : -offset) * 1000;
        if (!Number.isNaN(t)) return new Date(t);
      }
    }
  }
  return slowTimestamptz(s);
}

/** A read over a list of keys, in the two forms `readKeyed` chooses between. */
export interface KeyedStatement {
  one: NamedStatement;
  many: NamedStatement;
}

/**
 * A statement over a list of keys `k` (with `k.ord`, the key's 1-based position), in two forms:
 * one key as scalar parameters, several as arrays through unnest. Why two: PostgreSQL keeps a
 * named statement's generic plan only when it is estimated no dearer than planning each call,
 * and it estimates unnest of a parameter at 10 rows but of a known one-element array at 1, so
 * the array form alone would be planned again on every call (about half of PostgreSQL's time
 * for `cluster(name)`). The scalar form is estimated at 1 row either way and keeps its plan.
 */
export function keyedStatement(name: string, keys: readonly (readonly [column: string, type: string])[], body: (from: string) => string): KeyedStatement {
  const columns = `${keys.map(([c]) => c).join(', ')}, ord`;
  const one = `(select ${keys.map(([, t], i) => `$${i + 1}::${t}`).join(', ')}, 1) as k(${columns})`;
  const many = `unnest(${keys.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')}) with ordinality as k(${columns})`;
  return { one: { name: `${name}_1`, text: body(one) }, many: { name: `${name}_n`, text: body(many) } };
}

/** Runs a keyed statement for these keys, given as one array of values per key column. */
export function readKeyed(readRows: ReadRows, statement: KeyedStatement, columns: readonly (readonly unknown[])[]): Promise<unknown[][]> {
  return columns[0]!.length === 1
    ? readRows(
        statement.one,
        columns.map((c) => c[0]),
      )
    : readRows(statement.many, columns as unknown[]);
}
