import { describe, expect, it } from 'vitest';
import { OptionError } from '../../simulator/args.js';
import { getProfile } from '../../simulator/profiles.js';
import { parseRehearseArgs } from '../../simulator/rehearse.js';
import { profileFromTimings } from '../../simulator/rehearsal.js';
import { parseScenario } from '../../simulator/scenario.js';

describe('the rehearsal’s copy of a cluster', () => {
  it('scales a profile so that a restart takes the observed median, spread toward the observed p90', () => {
    const p = getProfile('realistic', profileFromTimings({ samples: 20, medianMs: 10_000, p90Ms: 12_000 }));
    const total = p.stopping.ms + p.stoppedToStarting.ms + p.starting.ms + p.membershipFlushMs / 2;
    expect(Math.abs(total - 10_000)).toBeLessThanOrEqual(2);
    expect(p.starting.jitter).toBeCloseTo(0.25);
    expect(p.failStartOdds).toBe(0);
    expect(p.crashOddsPerMinute).toBe(0);
  });

  it('keeps the realistic profile when no restart was ever observed', () => {
    const p = getProfile('realistic', profileFromTimings({ samples: 0, medianMs: null, p90Ms: null }));
    expect(p.starting).toEqual(getProfile('realistic').starting);
  });

  it('lets a scenario cluster name its members, their states and artifacts', () => {
    const s = parseScenario({
      clusters: [{ name: 'live', kind: 'AS', size: 2, members: [{ memberId: 'node-a' }, { memberId: 'node-b', state: 'FAILED', artifacts: [{ name: 'app', version: '2' }] }] }],
    });
    expect(s.clusters[0]!.members).toEqual([{ memberId: 'node-a' }, { memberId: 'node-b', state: 'FAILED', artifacts: [{ name: 'app', version: '2' }] }]);
    expect(() => parseScenario({ clusters: [{ name: 'live', kind: 'AS', size: 3, members: [{ memberId: 'a' }] }] })).toThrow(/1 members for size 3/);
    expect(() => parseScenario({ clusters: [{ name: 'live', kind: 'AS', size: 2, members: [{ memberId: 'a' }, { memberId: 'a' }] }] })).toThrow(/used twice/);
  });
});

describe('npm run rehearse options', () => {
  const base = ['--url', 'http://oc:4000', '--token', 't', '--cluster', 'as-1'];

  it('reads a restart by default, a deploy, a strategy, a seed and a timeout', () => {
    expect(parseRehearseArgs([...base, '--seed', '7'])).toMatchObject({ url: 'http://oc:4000', cluster: 'as-1', deploy: null, seed: 7, timeoutMs: 600_000 });
    expect(parseRehearseArgs([...base, '--deploy', 'app.war@2.0.1', '--strategy', '{"batchSize":2}', '--timeout', '90s'])).toMatchObject({
      deploy: { name: 'app.war', version: '2.0.1' },
      strategy: { batchSize: 2 },
      timeoutMs: 90_000,
    });
  });

  it('says what is wrong', () => {
    expect(() => parseRehearseArgs(['--url', 'x', '--cluster', 'c'], {})).toThrow(/--token is required/);
    expect(() => parseRehearseArgs([...base, '--deploy', 'nover'])).toThrow(OptionError);
    expect(() => parseRehearseArgs([...base, '--restart', '--deploy', 'a@1'])).toThrow(/not both/);
    expect(() => parseRehearseArgs([...base, '--strategy', '[1]'])).toThrow(/JSON object/);
    expect(() => parseRehearseArgs([...base, '--faults', '/no/such/file.json'])).toThrow(/--faults/);
  });
});

describe('the rehearsal report', () => {
  it('says the result, duration against the estimate, most down, failed steps, batches and how to replay', async () => {
    const { formatReport } = await import('../../simulator/rehearse.js');
    const text = formatReport(
      {
        cluster: 'as-1',
        kind: 'RESTART',
        seed: 9,
        workers: 3,
        timings: { samples: 6, medianMs: 9800, p90Ms: 12000 },
        livePreview: { batches: [['a'], ['b', 'c']], estimatedDurationMs: 21000, warnings: ['cluster as-1: batch 2 would have 2 of 3 workers down at once (more than half the cluster)'] },
        labPreview: { batches: [['a'], ['b', 'c']], estimatedDurationMs: 21000, warnings: [] },
        state: 'FAILED',
        message: 'aborted: 1 failed workers exceed maxFailures 0',
        durationMs: 24_500,
        batches: [['a'], ['b', 'c']],
        sameBatchesAsPreview: true,
        maxDown: 2,
        managerRegistrations: 1,
        failedSteps: [{ memberId: 'b', message: 'not RUNNING within 8000 ms' }],
        skippedSteps: 0,
        faults: [],
      },
      { url: 'http://oc:4000', cluster: 'as-1', strategy: { batchSize: 2, canary: 1 }, deploy: null, faultsFile: 'f.json' },
    );
    expect(text).toContain('result          FAILED: aborted: 1 failed workers exceed maxFailures 0');
    expect(text).toContain('duration        24.5 s (the live preview estimated 21.0 s)');
    expect(text).toContain('most down       2 workers at once');
    expect(text).toContain('failed steps    b: not RUNNING within 8000 ms');
    expect(text).toContain('batches run     2 (the same as the preview)');
    expect(text).toContain('warning         cluster as-1: batch 2 would have 2 of 3 workers down');
    expect(text).toContain(`replay          npm run rehearse -- --url http://oc:4000 --token … --cluster as-1 --restart --strategy '{"batchSize":2,"canary":1}' --faults f.json --seed 9`);
  });
});
