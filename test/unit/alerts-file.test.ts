/**
 * docs/alerts.yml, the suggested Prometheus rules: well-formed (a small check of the YAML this
 * file uses, without a YAML dependency), and written against the OC's metric names.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const text = readFileSync(new URL('../../docs/alerts.yml', import.meta.url), 'utf8');

/** The metric names the rules may use: the OC's own, Node.js' and the process' standard ones, and Prometheus' `up`. */
const METRIC = /\b(?:oc|nodejs|process)_[a-z0-9_]+\b/g;

/** Each `- alert:` entry of the one group, as its lines. */
function rules(): { name: string; body: string }[] {
  const parts = text.split(/^ {6}- alert: /m).slice(1);
  return parts.map((p) => ({ name: p.split('\n')[0]!.trim(), body: p }));
}

describe('docs/alerts.yml', () => {
  it('is a rules file of the shape Prometheus loads: groups, a name, rules with alert, expr, a severity and a summary', () => {
    expect(text).not.toMatch(/\t/);
    expect(text).toMatch(/^groups:\n {2}- name: operations-center\n {4}rules:\n/m);
    const all = rules();
    expect(all.map((r) => r.name)).toEqual(expect.arrayContaining(['OCManagerUnreachable', 'OCCommandFailed', 'OCRolloutStalled', 'OCEventDeliveryLagging']));
    for (const r of all) {
      expect(r.name, r.name).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(r.body, r.name).toMatch(/^ {8}expr: \S/m);
      expect(r.body, r.name).toMatch(/^ {10}severity: (critical|warning|info)$/m);
      expect(r.body, r.name).toMatch(/^ {10}summary: "[^"]+"$/m);
      const forClause = r.body.match(/^ {8}for: (\S+)$/m);
      if (forClause) expect(forClause[1], r.name).toMatch(/^\d+[smh]$/);
      // every line of the entry indented in steps of two spaces, and none a stray top-level key
      for (const line of r.body.split('\n').slice(1)) if (line.trim()) expect(line, r.name).toMatch(/^(?: {2})+\S/);
    }
    expect(new Set(all.map((r) => r.name)).size).toBe(all.length);
  });

  it('says "a manager unreachable for 5 minutes" with the connected-managers gauge, and uses the standard process names', () => {
    const unreachable = rules().find((r) => r.name === 'OCManagerUnreachable')!;
    expect(unreachable.body).toMatch(/oc_managers_connected/);
    expect(unreachable.body).toMatch(/^ {8}for: 5m$/m);
    const names = new Set(text.match(METRIC) ?? []);
    expect([...names].filter((n) => n.startsWith('oc_process_'))).toEqual([]);
  });
});
