import { describe, expect, it } from 'vitest';
import { FAULT_TYPES, listScenarios, loadScenario, parseFault, parseScenario, ScenarioError } from '../../simulator/scenario.js';

function problems(input: unknown): string[] {
  try {
    parseScenario(input, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).problems;
  }
  throw new Error('expected the scenario to be refused');
}

describe('scenarios', () => {
  it('bundle default, huge and large', () => {
    expect(listScenarios()).toEqual(['default', 'huge', 'large']);
  });

  it('default: an AS cluster of 4 workers and an ESB cluster of 3, realistic', async () => {
    const s = await loadScenario('default');
    expect(s.profile).toBe('realistic');
    expect(s.clusters.map((c) => [c.name, c.kind, c.size])).toEqual([
      ['as-1', 'AS', 4],
      ['esb-1', 'ESB', 3],
    ]);
    expect(s.totalWorkers).toBe(7);
  });

  it('large: cluster templates expand to hundreds of clusters and tens of thousands of workers', async () => {
    const s = await loadScenario('large');
    expect(s.clusters).toHaveLength(400);
    expect(s.totalWorkers).toBe(20_000);
    expect(s.clusters[0]!.name).toBe('as-1');
    expect(s.clusters.at(-1)!.name).toBe('esb-150');
    expect(new Set(s.clusters.map((c) => c.name)).size).toBe(400);
  });

  it("huge: every manager reports stats every 30 s, as a fleet of that size does; the scenario's interval wins over the profile's", async () => {
    const s = await loadScenario('huge');
    expect(s.statsIntervalMs).toBe(30_000);
    const { startFleet } = await import('../../simulator/fleet.js');
    const fleet = startFleet({ url: 'http://oc.invalid', enrollmentToken: 'x', scenario: { ...s, clusters: s.clusters.slice(0, 1) }, registerConcurrency: 1, transport: () => ({
      registerManager: () => new Promise(() => {}),
      reportMembership: async () => ({ ok: true, value: { acceptedThroughSeq: 0 } }),
      reportStats: async () => ({ ok: true, value: null }),
      reportTask: async () => ({ ok: true, value: null }),
      subscribeTasks: () => ({ close: () => {} }),
    }) });
    try {
      expect([...fleet.managers.values()][0]!.profile.statsIntervalMs).toBe(30_000);
    } finally {
      await fleet.stop();
    }
    expect((await loadScenario('large')).statsIntervalMs).toBeNull();
  });

  it('huge: 2,000 managers of 50 workers (100,000 workers)', async () => {
    const s = await loadScenario('huge');
    expect(s.clusters).toHaveLength(2_000);
    expect(s.totalWorkers).toBe(100_000);
  });

  it('load from a file path too, and say what exists when a name is unknown', async () => {
    await expect(loadScenario('nope')).rejects.toThrow(/no scenario "nope": not a bundled one \(default, huge, large\)/);
    const s = await loadScenario('simulator/scenarios/default.json');
    expect(s.clusters).toHaveLength(2);
  });

  it('accept faults at a time or on the n-th task, with every fault type', () => {
    const s = parseScenario({
      clusters: [{ name: 'as-1', kind: 'AS', size: 4 }],
      faults: [
        { type: 'fail-start', cluster: 'as-1', member: 'as-1-w03' },
        { type: 'manager-crash', cluster: 'as-1', onTask: 2, durationMs: 5_000 },
        { type: 'manager-cutoff', cluster: 'as-1', at: 10_000, durationMs: 20_000 },
      ],
    });
    expect(s.faults).toHaveLength(3);
    expect([...FAULT_TYPES]).toEqual([
      'never-come-back', 'slow-boot', 'crash', 'fail-start', 'manager-crash', 'manager-restart',
      'manager-cutoff', 'duplicate-report', 'reorder-reports', 'worker-join', 'worker-leave',
    ]);
  });

  it('refuse bad values with errors naming the path', () => {
    expect(
      problems({
        profile: 'turbo',
        clusters: [
          { name: 'as-1', kind: 'AS', size: -1 },
          { name: 'esb-1', kind: 'ESB', size: 3, sise: 4 },
        ],
        faults: [{ type: 'explode', cluster: 'as-1' }, { type: 'slow-boot', cluster: 'as-1' }],
      }),
    ).toEqual([
      'profile: Invalid option: expected one of "fast"|"realistic"|"chaos"',
      'clusters[0].size: Too small: expected number to be >=0',
      'clusters[1]: Unrecognized key: "sise"',
      `faults[0].type: Invalid discriminator value. Expected 'never-come-back' | 'slow-boot' | 'crash' | 'fail-start' | 'manager-crash' | 'manager-restart' | 'manager-cutoff' | 'duplicate-report' | 'reorder-reports' | 'worker-join' | 'worker-leave'`,
      'faults[1].durationMs: Invalid input: expected number, received undefined',
    ]);
  });

  it('refuse what only makes sense once expanded: templates, duplicate names, unknown clusters', () => {
    expect(
      problems({
        clusters: [
          { name: 'as', kind: 'AS', size: 2, count: 3 },
          { name: 'esb-{i}', kind: 'ESB', size: 2, count: 2 },
          { name: 'esb-2', kind: 'ESB', size: 1 },
        ],
        faults: [
          { type: 'crash', cluster: 'as-9' },
          { type: 'crash', cluster: 'esb-1', at: 5, onTask: 1 },
        ],
      }),
    ).toEqual([
      'clusters[0].name: with count 3 the name must contain {i} (e.g. "as-{i}")',
      'clusters: the name "esb-2" is used twice (cluster names are unique across the system)',
      'faults[0].cluster: no cluster named "as-9" (clusters: as, esb-1, esb-2)',
      'faults[1]: give "at" or "onTask", not both',
    ]);
  });

  it('give each cluster its manager clock skew (default 0), copied to every cluster of a template, at most a day either way', () => {
    const s = parseScenario({
      clusters: [
        { name: 'as-{i}', kind: 'AS', size: 2, count: 2, clockSkewMs: 600_000 },
        { name: 'esb-1', kind: 'ESB', size: 1, clockSkewMs: -600_000 },
        { name: 'gw-1', kind: 'GW', size: 1 },
      ],
    });
    expect(s.clusters.map((c) => [c.name, c.clockSkewMs])).toEqual([
      ['as-1', 600_000],
      ['as-2', 600_000],
      ['esb-1', -600_000],
      ['gw-1', 0],
    ]);
    expect(
      problems({
        clusters: [
          { name: 'as-1', kind: 'AS', size: 1, clockSkewMs: 86_400_001 },
          { name: 'as-2', kind: 'AS', size: 1, clockSkewMs: 1.5 },
        ],
      }),
    ).toEqual(['clusters[0].clockSkewMs: Too big: expected number to be <=86400000', 'clusters[1].clockSkewMs: Invalid input: expected int, received number']);
  });

  it('needs at least one cluster, and says so', () => {
    expect(problems({ clusters: [] })).toEqual(['clusters: a scenario needs at least one cluster']);
  });

  it('check programmatic faults with the same rules', () => {
    expect(parseFault({ type: 'slow-boot', cluster: 'as-1', durationMs: 90_000 })).toEqual({ type: 'slow-boot', cluster: 'as-1', durationMs: 90_000 });
    expect(() => parseFault({ type: 'slow-boot', cluster: 'as-1', durationMs: -1 })).toThrow('fault.durationMs: Too small');
  });
});
