import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { batchLimit, DEFAULT_STRATEGY, plannedBatches, resolveStrategy, storedStrategy, validateArtifact } from '../../src/domain/rollout/strategy.js';
import type { ArtifactSpec, RolloutStrategy } from '../../src/domain/types.js';

/** The ValidationError `fn` throws (failing the test if it throws nothing or something else). */
function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('resolveStrategy', () => {
  it("applies API.md's defaults when no strategy is given", () => {
    const expected: RolloutStrategy = {
      batchSize: 1,
      healthTimeoutMs: 60_000,
      pauseBetweenBatchesMs: 0,
      maxFailures: 0,
      onFailure: 'ABORT',
      canary: null,
      autoPromoteAfterMs: null,
      minHealthyMs: 0,
      progressDeadlineMs: null,
      autoRevert: false,
    };
    expect(resolveStrategy(undefined, { workerCount: 3 })).toEqual(expected);
    expect(resolveStrategy(null, { workerCount: 3 })).toEqual(expected);
    expect(resolveStrategy({}, { workerCount: null })).toEqual(expected);
    expect(DEFAULT_STRATEGY).toEqual(expected);
  });

  it('treats a field given as null like an omitted one', () => {
    const input = { batchSize: null, onFailure: null } as unknown as Partial<RolloutStrategy>;
    expect(resolveStrategy(input, { workerCount: 2 })).toMatchObject({ batchSize: 1, onFailure: 'ABORT' });
  });

  it('keeps every valid value it is given', () => {
    const given: RolloutStrategy = {
      batchSize: 3,
      healthTimeoutMs: 100,
      pauseBetweenBatchesMs: 3_600_000,
      maxFailures: 10_000,
      onFailure: 'PAUSE',
      canary: 2,
      autoPromoteAfterMs: 30_000,
      minHealthyMs: 5_000,
      progressDeadlineMs: 600_000,
      autoRevert: true,
    };
    expect(resolveStrategy(given, { workerCount: 3 })).toEqual(given);
  });

  it('refuses a canary that is the whole cluster, an autoPromoteAfterMs without a canary, and autoRevert on a RESTART', () => {
    expect(validationError(() => resolveStrategy({ canary: 3 }, { workerCount: 3 })).field).toBe('strategy.canary');
    expect(validationError(() => resolveStrategy({ canary: 0 }, { workerCount: 3 })).field).toBe('strategy.canary');
    expect(validationError(() => resolveStrategy({ autoPromoteAfterMs: 1000 }, { workerCount: 3 })).field).toBe('strategy.autoPromoteAfterMs');
    expect(validationError(() => resolveStrategy({ progressDeadlineMs: 10 }, { workerCount: 3 })).field).toBe('strategy.progressDeadlineMs');
    expect(validationError(() => resolveStrategy({ minHealthyMs: -1 }, { workerCount: 3 })).field).toBe('strategy.minHealthyMs');
    expect(validationError(() => resolveStrategy({ autoRevert: true }, { workerCount: 3, kind: 'RESTART' })).field).toBe('strategy.autoRevert');
    expect(resolveStrategy({ autoRevert: true }, { workerCount: 3, kind: 'DEPLOY' }).autoRevert).toBe(true);
    expect(resolveStrategy({ canary: 50 }, { workerCount: null }).canary).toBe(50);
  });

  it('refuses a progressDeadlineMs no step could meet: not above minHealthyMs (as Nomad)', () => {
    const e = validationError(() => resolveStrategy({ progressDeadlineMs: 20_000, minHealthyMs: 20_000 }, { workerCount: 3 }));
    expect(e.field).toBe('strategy.progressDeadlineMs');
    expect(e.message).toContain('greater than minHealthyMs (20000 ms; got 20000)');
    expect(resolveStrategy({ progressDeadlineMs: 20_001, minHealthyMs: 20_000 }, { workerCount: 3 }).progressDeadlineMs).toBe(20_001);
  });

  it('reads a strategy stored before the later fields existed with their defaults', () => {
    expect(storedStrategy({ batchSize: 2, healthTimeoutMs: 100, pauseBetweenBatchesMs: 0, maxFailures: 0, onFailure: 'ABORT' })).toEqual({ ...DEFAULT_STRATEGY, batchSize: 2, healthTimeoutMs: 100 });
  });

  it('plans the canary batch first, then batchSize at a time', () => {
    const ids = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
    expect(plannedBatches(ids, { batchSize: 2, canary: null })).toEqual([['w1', 'w2'], ['w3', 'w4'], ['w5', 'w6']]);
    expect(plannedBatches(ids, { batchSize: 4, canary: 1 })).toEqual([['w1'], ['w2', 'w3', 'w4', 'w5'], ['w6']]);
    expect(batchLimit({ batchSize: 4, canary: 1 }, 1)).toBe(1);
    expect(batchLimit({ batchSize: 4, canary: 1 }, 2)).toBe(4);
    expect(plannedBatches([], { batchSize: 2, canary: 1 })).toEqual([]);
  });

  it('accepts any batchSize >= 1 when the worker count is unknown or zero', () => {
    expect(resolveStrategy({ batchSize: 500 }, { workerCount: null }).batchSize).toBe(500);
    expect(resolveStrategy({ batchSize: 500 }, { workerCount: 0 }).batchSize).toBe(500);
  });

  it('refuses a batchSize larger than the cluster, naming the field', () => {
    const e = validationError(() => resolveStrategy({ batchSize: 4 }, { workerCount: 3 }));
    expect(e.field).toBe('strategy.batchSize');
    expect(e.code).toBe('VALIDATION');
  });

  it.each([
    ['batchSize', 0],
    ['batchSize', -1],
    ['batchSize', 1.5],
    ['healthTimeoutMs', 99],
    ['healthTimeoutMs', 3_600_001],
    ['healthTimeoutMs', 1000.5],
    ['pauseBetweenBatchesMs', -1],
    ['pauseBetweenBatchesMs', 3_600_001],
    ['maxFailures', -1],
    ['maxFailures', 10_001],
    ['maxFailures', 0.5],
    ['onFailure', 'RETRY'],
    ['batchSize', Number.NaN],
    ['healthTimeoutMs', '5000'],
  ])('refuses %s = %s with a ValidationError naming strategy.%s', (field, value) => {
    const e = validationError(() => resolveStrategy({ [field]: value } as Partial<RolloutStrategy>, { workerCount: 10 }));
    expect(e.field).toBe(`strategy.${field}`);
  });
});

describe('validateArtifact', () => {
  const good: ArtifactSpec = {
    name: 'payments-service_v2.core',
    version: '2.10.3-rc.1',
    url: 'https://repo.example.com/payments/2.10.3-rc.1.tar.gz',
    sha256: 'A'.repeat(32) + 'f'.repeat(32),
  };

  it('returns the artifact trimmed, with the sha256 in lower case', () => {
    const spaced = { name: ' app ', version: ' 1.2.3 ', url: ' http://repo/app.tgz ', sha256: ` ${'ABCDEF01'.repeat(8)} ` };
    expect(validateArtifact(spaced)).toEqual({
      name: 'app',
      version: '1.2.3',
      url: 'http://repo/app.tgz',
      sha256: 'abcdef01'.repeat(8),
    });
    expect(validateArtifact(good).sha256).toBe('a'.repeat(32) + 'f'.repeat(32));
  });

  it.each(['1', '1.2', '1.2.3', '1.2.3.4', '1.2.3-rc.1', '1.2.3+build.7', '10.0.0-SNAPSHOT'])('accepts version %s', (version) => {
    expect(validateArtifact({ ...good, version }).version).toBe(version);
  });

  it.each([
    ['name', ''],
    ['name', '   '],
    ['name', 'has space'],
    ['name', 'slash/name'],
    ['name', '..'],
    ['name', 'x'.repeat(201)],
    ['version', ''],
    ['version', 'v1.2.3'],
    ['version', '1.2.3.4.5'],
    ['version', 'latest'],
    ['version', `1.0.0-${'a'.repeat(100)}`],
    ['url', 'ftp://repo.example.com/app.tgz'],
    ['url', 'not a url'],
    ['url', 'file:///etc/passwd'],
    ['url', `https://repo.example.com/${'a'.repeat(2048)}`],
    ['sha256', 'a'.repeat(63)],
    ['sha256', 'a'.repeat(65)],
    ['sha256', 'g'.repeat(64)],
  ])('refuses %s = %j with a ValidationError naming artifact.%s', (field, value) => {
    const e = validationError(() => validateArtifact({ ...good, [field]: value }));
    expect(e.field).toBe(`artifact.${field}`);
  });

  it('accepts a name of exactly 200 characters and a URL of exactly 2048', () => {
    const url = 'https://r.example.com/' + 'a'.repeat(2048 - 'https://r.example.com/'.length);
    expect(validateArtifact({ ...good, name: 'n'.repeat(200), url }).url).toHaveLength(2048);
  });

  it('refuses a missing field, naming it', () => {
    const e = validationError(() => validateArtifact({ ...good, sha256: undefined } as unknown as ArtifactSpec));
    expect(e.field).toBe('artifact.sha256');
  });
});
