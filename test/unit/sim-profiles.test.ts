import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  crashProbability,
  getProfile,
  PROFILE_NAMES,
  PROFILES,
  planBoot,
  sampleDuration,
} from '../../simulator/profiles.js';
import { deriveSeed, Rng } from '../../simulator/random.js';

describe('seeded randomness', () => {
  it('replays the same sequence for the same seed', () => {
    const a = new Rng(1234);
    const b = new Rng(1234);
    const seqA = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('derives independent streams per entity name without consuming the root', () => {
    expect(deriveSeed(1, 'worker', 'as-1', 'w1')).toBe(deriveSeed(1, 'worker', 'as-1', 'w1'));
    expect(deriveSeed(1, 'worker', 'as-1', 'w1')).not.toBe(deriveSeed(1, 'worker', 'as-1', 'w2'));
    expect(deriveSeed(1, 'worker', 'as-1', 'w1')).not.toBe(deriveSeed(2, 'worker', 'as-1', 'w1'));
    expect(Rng.derive(9, 'x').next()).toBe(Rng.derive(9, 'x').next());
  });

  it('draws integers within inclusive bounds and with roughly even odds', () => {
    const rng = new Rng(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3_000; i++) counts[rng.int(0, 2)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(900);
  });
});

describe('profiles', () => {
  it('are fast, realistic and chaos', () => {
    expect([...PROFILE_NAMES]).toEqual(['fast', 'realistic', 'chaos']);
    for (const name of PROFILE_NAMES) expect(getProfile(name).name).toBe(name);
  });

  it('fast: every transition takes a few ms to ~30 ms, and nothing fails at random', () => {
    const p = getProfile('fast');
    const rng = new Rng(1);
    for (let i = 0; i < 1_000; i++) {
      for (const d of [p.stopping, p.stoppedToStarting, p.starting]) {
        const ms = sampleDuration(d, rng);
        expect(ms).toBeGreaterThanOrEqual(1);
        expect(ms).toBeLessThanOrEqual(30);
      }
      const boot = planBoot(p, rng);
      expect(boot.fails).toBe(false);
      expect(boot.slow).toBe(false);
    }
    expect(p.crashOddsPerMinute).toBe(0);
    expect(p.membershipFlushMs).toBeLessThanOrEqual(50);
  });

  it('realistic: transitions take seconds, spread by their jitter and never beyond it', () => {
    const p = getProfile('realistic');
    const rng = new Rng(2);
    const boots = Array.from({ length: 2_000 }, () => planBoot(p, rng));
    const lo = p.starting.ms * (1 - p.starting.jitter);
    const hi = p.starting.ms * (1 + p.starting.jitter);
    expect(boots.every((b) => b.ms >= Math.floor(lo) && b.ms <= Math.ceil(hi) && !b.fails && !b.slow)).toBe(true);
    expect(Math.min(...boots.map((b) => b.ms))).toBeLessThan(p.starting.ms * 0.8);
    expect(Math.max(...boots.map((b) => b.ms))).toBeGreaterThan(p.starting.ms * 1.2);
    expect(p.starting.ms).toBeGreaterThanOrEqual(1_000);
    expect(p.stopping.ms).toBeGreaterThanOrEqual(1_000);
  });

  it('chaos: fails starts and boots slowly at about its odds, replayably', () => {
    const p = getProfile('chaos');
    const run = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 10_000 }, () => planBoot(p, rng));
    };
    const boots = run(3);
    const failRate = boots.filter((b) => b.fails).length / boots.length;
    const slow = boots.filter((b) => b.slow);
    expect(failRate).toBeGreaterThan(p.failStartOdds * 0.8);
    expect(failRate).toBeLessThan(p.failStartOdds * 1.2);
    expect(slow.length / boots.length).toBeGreaterThan(p.slowBootOdds * 0.8);
    expect(slow.length / boots.length).toBeLessThan(p.slowBootOdds * 1.2);
    expect(Math.min(...slow.map((b) => b.ms))).toBeGreaterThanOrEqual(Math.floor(p.starting.ms * (1 - p.starting.jitter) * p.slowBootFactor));
    expect(run(3)).toEqual(boots);
    expect(p.crashOddsPerMinute).toBeGreaterThan(0);
  });

  it('plans a boot with the same number of draws whatever the odds, so later draws stay aligned', () => {
    const a = new Rng(11);
    const b = new Rng(11);
    planBoot(getProfile('fast'), a);
    planBoot(getProfile('chaos'), b);
    expect(a.next()).toBe(b.next());
  });

  it('compounds the per-minute crash odds over the interval', () => {
    const p = getProfile('chaos', { crashOddsPerMinute: 0.1 });
    expect(crashProbability(p, 60_000)).toBeCloseTo(0.1, 10);
    expect(crashProbability(p, 120_000)).toBeCloseTo(1 - 0.9 ** 2, 10);
    expect(crashProbability(p, 5_000)).toBeLessThan(0.1 / 12 + 1e-3);
    expect(crashProbability(PROFILES.fast, 60_000)).toBe(0);
  });

  it('backs off exponentially on reconnect, capped, with jitter', () => {
    const p = getProfile('realistic');
    const rng = new Rng(4);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const cap = Math.min(p.reconnectMaxMs, p.reconnectBaseMs * 2 ** (attempt - 1));
      const ms = backoffMs(p, attempt, rng);
      expect(ms).toBeGreaterThanOrEqual(cap / 2);
      expect(ms).toBeLessThanOrEqual(cap);
    }
  });

  it('refuses an unknown profile or a bad override with a message naming it', () => {
    expect(() => getProfile('turbo')).toThrow('unknown profile "turbo" (known: fast, realistic, chaos)');
    expect(() => getProfile('fast', { failStartOdds: 2 })).toThrow('profile "fast": failStartOdds must be in [0, 1]');
    expect(() => getProfile('fast', { starting: { ms: 10, jitter: 1.5 } })).toThrow('starting.jitter must be in [0, 1)');
  });
});
