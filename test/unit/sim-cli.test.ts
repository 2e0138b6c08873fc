import { describe, expect, it } from 'vitest';
import { CliError, parseCli, statusLine } from '../../simulator/cli.js';
import type { FleetStatus } from '../../simulator/fleet.js';

describe('the sim CLI', () => {
  it('reads url, token, scenario, seed and profile', () => {
    const o = parseCli(['--url', 'http://127.0.0.1:4000', '--token', 't0k', '--scenario', 'large', '--seed', '42', '--profile', 'chaos'], {});
    expect(o).toMatchObject({ url: 'http://127.0.0.1:4000', token: 't0k', scenario: 'large', seed: 42, seedGiven: true, profile: 'chaos', logLevel: 'warn' });
  });

  it('defaults to the default scenario, a random seed, and takes the token from OC_ENROLLMENT_TOKEN', () => {
    const o = parseCli(['--url', 'http://oc:4000', '--verbose'], { OC_ENROLLMENT_TOKEN: 'from-env' });
    expect(o).toMatchObject({ scenario: 'default', token: 'from-env', seedGiven: false, profile: undefined, logLevel: 'info' });
    expect(Number.isInteger(o.seed)).toBe(true);
  });

  it('reads --clock-skew as a signed duration in ms, s, m or h', () => {
    const skew = (value: string) => parseCli(['--url', 'http://oc:4000', '--token', 't', `--clock-skew=${value}`], {}).clockSkewMs;
    expect(skew('10m')).toBe(600_000);
    expect(skew('-10m')).toBe(-600_000);
    expect(skew('+90s')).toBe(90_000);
    expect(skew('1500ms')).toBe(1_500);
    expect(skew('-1500')).toBe(-1_500);
    expect(skew('1h')).toBe(3_600_000);
    expect(parseCli(['--url', 'http://oc:4000', '--token', 't'], {}).clockSkewMs).toBeUndefined();
  });

  it.each([
    [['--url', 'http://oc', '--token', 't', '--clock-skew', 'soon'], '--clock-skew must be a signed duration of at most a day'],
    [['--url', 'http://oc', '--token', 't', '--clock-skew', '25h'], '--clock-skew must be a signed duration of at most a day'],
    [['--url', 'http://oc', '--token', 't', '--clock-skew', '-10m'], "To specify an option argument starting with a dash use '--clock-skew=-XYZ'"],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(CliError);
    expect(() => parseCli(argv, {})).toThrow(message);
  });

  it.each([
    [[], '--url is required'],
    [['--url', 'oc:4000', '--token', 't'], '--url: the OC URL must be http:// or https://'],
    [['--url', 'http://oc', '--token', 't', '--seed', '1.5'], '--seed must be a whole number'],
    [['--url', 'http://oc', '--token', 't', '--profile', 'turbo'], '--profile must be one of fast, realistic, chaos, got "turbo"'],
    [['--url', 'http://oc'], '--token is required'],
    [['--url', 'http://oc', '--token', 't', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(CliError);
    expect(() => parseCli(argv, {})).toThrow(message);
  });

  it('prints one status line: clusters registered, workers by state, tasks in flight', () => {
    const s: FleetStatus = {
      clusters: 400,
      registered: 398,
      online: 397,
      connected: 396,
      managers: { idle: 0, registering: 1, online: 397, backoff: 2, 'cut-off': 0, crashed: 0, stopped: 0 },
      workers: { STARTING: 3, RUNNING: 19_990, STOPPING: 2, STOPPED: 0, FAILED: 5 },
      totalWorkers: 20_000,
      tasksInFlight: 4,
      warnings: 7,
      errors: 0,
    };
    expect(statusLine(s, 83_000)).toBe(
      '[00:01:23] clusters 398/400 registered, 396 connected (3 not online) · workers STARTING 3 RUNNING 19990 STOPPING 2 FAILED 5 · tasks in flight 4 · warnings 7 errors 0',
    );
  });
});
