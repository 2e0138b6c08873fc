/** The console's pure helpers: natural order, the rollout plan it shows, forms from JSON Schema, answers as tables. */
import { describe, expect, it } from 'vitest';
import { naturalCompare } from '../../console/src/lib/format.js';
import { planBatches, strategyProblems, DEFAULT_STRATEGY } from '../../console/src/lib/plan.js';
import { argumentsFrom, asTable, formFromSchema } from '../../console/src/lib/schema-form.js';

describe('the console helpers', () => {
  it('orders cluster names naturally: as-2 before as-10', () => {
    expect(['as-10', 'esb-1', 'as-2', 'as-1'].sort(naturalCompare)).toEqual(['as-1', 'as-2', 'as-10', 'esb-1']);
  });

  it('plans batches of batchSize in the order the OC lists the workers', () => {
    const w = ['w01', 'w02', 'w03', 'w04', 'w05'];
    expect(planBatches(w, 2)).toEqual([['w01', 'w02'], ['w03', 'w04'], ['w05']]);
    expect(planBatches(w, 1)).toHaveLength(5);
    expect(strategyProblems({ ...DEFAULT_STRATEGY, batchSize: 6 }, 5).batchSize).toMatch(/at most 5/);
    expect(strategyProblems(DEFAULT_STRATEGY, 5)).toEqual({});
  });

  it('makes a form from an inputSchema and checks required, integer and enum fields', () => {
    const spec = formFromSchema({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 }, count: { type: 'integer', minimum: 1 }, mode: { enum: ['a', 'b'] }, force: { type: 'boolean' } },
      required: ['name'],
    });
    expect(spec.fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['name', 'string', true],
      ['count', 'integer', false],
      ['mode', 'enum', false],
      ['force', 'boolean', false],
    ]);
    expect(argumentsFrom(spec, {}).problems).toEqual({ name: 'required' });
    expect(argumentsFrom(spec, { name: 'x', count: '1.5' }).problems).toEqual({ count: 'a whole number' });
    expect(argumentsFrom(spec, { name: 'OrderProxy', count: '2', mode: 'b', force: true }).args).toEqual({ name: 'OrderProxy', count: 2, mode: 'b', force: true });
  });

  it('shows a list of records, or an object holding one, as a table; anything else as JSON', () => {
    expect(asTable({ proxyServices: [{ name: 'A', enabled: true }, { name: 'B', extra: 1 }] })?.columns).toEqual(['name', 'enabled', 'extra']);
    expect(asTable([1, 2])).toBeNull();
    expect(asTable({ ok: true })).toBeNull();
  });
});
