import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseTimestamptz } from '../../src/db/raw.js';
import { isoString } from '../../src/graphql/schema/scalars.js';

const pgParse = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text') as (s: string) => Date;

describe('parseTimestamptz', () => {
  it.each([
    ['2026-11-22 14:13:58+00', '2026-11-22T14:13:58.000Z'],
    ['2026-11-22 14:13:58.1+00', '2026-11-22T14:13:58.100Z'],
    ['2026-11-22 14:13:58.12+00', '2026-11-22T14:13:58.120Z'],
    ['2026-11-22 14:13:58.123+00', '2026-11-22T14:13:58.123Z'],
    ['2026-11-22 14:13:58.123999+00', '2026-11-22T14:13:58.123Z'], // cut to milliseconds, as new Date(iso) does
    ['2026-11-22 14:13:58.000001+00', '2026-11-22T14:13:58.000Z'],
    ['2026-11-22 19:43:58.5+05:30', '2026-11-22T14:13:58.500Z'],
    ['2026-11-22 10:43:43-03:30:15', '2026-11-22T14:13:58.000Z'],
    ['2026-01-01 00:30:00+01', '2025-12-31T23:30:00.000Z'],
    ['2024-02-29 23:59:59.999-12', '2024-03-01T11:59:59.999Z'],
    ['1970-01-01 00:00:00+00', '1970-01-01T00:00:00.000Z'],
    ['0100-03-01 00:00:00+00', '0100-03-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseTimestamptz(text).toISOString()).toBe(iso);
  });

  it.each(['0099-01-01 00:00:00+00', '12345-01-01 00:00:00+00', '2000-01-01 00:00:00+00 BC', 'infinity', '-infinity', '2026-11-22 14:13:58'])(
    'leaves what it does not read fast (%s) to pg, with the same answer',
    (text) => {
      expect(parseTimestamptz(text)).toEqual(pgParse(text));
    },
  );

  it('reads random instants at random offsets and fractions exactly', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 2000; i++) {
      const t = Date.UTC(1900, 0, 1) + Math.floor(rand() * 250 * 365 * 86_400_000);
      const offsetMin = Math.round((rand() * 28 - 14) * 4) * 15;
      const local = new Date(t + offsetMin * 60_000).toISOString(); // the wall clock at that offset
      const frac = rand() < 0.3 ? '' : `.${String(Math.floor(rand() * 1e6)).padStart(6, '0')}`.replace(/0+$/, '').replace(/\.$/, '');
      const sign = offsetMin < 0 ? '-' : '+';
      const hh = String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, '0');
      const mm = Math.abs(offsetMin) % 60;
      const text = `${local.slice(0, 10)} ${local.slice(11, 19)}${frac}${sign}${hh}${mm ? `:${String(mm).padStart(2, '0')}` : ''}`;
      const expectedMs = Math.floor(t / 1000) * 1000 + (frac ? Number(`${frac.slice(1, 4)}`.padEnd(3, '0')) : 0);
      expect(parseTimestamptz(text).getTime(), text).toBe(expectedMs);
    }
  });
});

describe('isoString (the DateTime scalar)', () => {
  it('writes what toISOString writes, over the years it writes by hand and around them', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const edges = [Date.UTC(1000, 0, 1), Date.UTC(999, 11, 31, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), 0, -1, Date.UTC(2024, 1, 29, 12)];
    const lo = Date.UTC(1000, 0, 1);
    const hi = Date.UTC(10000, 0, 1);
    const anywhere = () => Math.floor((rand() * 2 - 1) * 8.64e15);
    const byHand = () => lo + Math.floor(rand() * (hi - lo));
    const times = [...edges, ...Array.from({ length: 5000 }, (_, i) => (i % 5 === 0 ? anywhere() : byHand()))];
    for (const t of times) expect(isoString(new Date(t)), String(t)).toBe(new Date(t).toISOString());
  });

  it('throws on an invalid date, as toISOString does', () => {
    expect(() => isoString(new Date(Number.NaN))).toThrow(RangeError);
  });
});
