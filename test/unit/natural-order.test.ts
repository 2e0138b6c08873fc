import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareNatural, naturalKey } from '../../src/domain/natural-order.js';

describe('natural order of names', () => {
  it('puts as-2 before as-10, numbers by value, text without case', () => {
    const names = ['as-10', 'esb-1', 'as-2', 'as-1', 'as-100', 'AS-3', 'as', 'as-0', 'as-9', 'a1b10', 'a1b2', 'a01b3'];
    expect([...names].sort(compareNatural)).toEqual(['a1b2', 'a01b3', 'a1b10', 'as', 'as-0', 'as-1', 'as-2', 'AS-3', 'as-9', 'as-10', 'as-100', 'esb-1']);
  });

  it('orders numbers by value however many digits they have', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 60n }), fc.bigInt({ min: 0n, max: 10n ** 60n }), (a, b) => {
        const ka = naturalKey(`n-${a}`);
        const kb = naturalKey(`n-${b}`);
        expect(Math.sign(ka < kb ? -1 : ka > kb ? 1 : 0)).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
});
