/**
 * Validation and defaults for what an operator asks of a rollout (API.md:
 * RolloutStrategyInput, ArtifactInput). Throws `ValidationError` whose `field` names the
 * offending input field, e.g. "strategy.batchSize".
 */
import { ValidationError } from '../errors.js';
import type { ArtifactSpec, CommandKind, FailureAction, RolloutStrategy } from '../types.js';
import { FAILURE_ACTIONS } from '../types.js';

export const DEFAULT_STRATEGY: Readonly<RolloutStrategy> = Object.freeze({
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
});

export const STRATEGY_LIMITS = Object.freeze({
  healthTimeoutMs: { min: 100, max: 3_600_000 },
  pauseBetweenBatchesMs: { min: 0, max: 3_600_000 },
  maxFailures: { min: 0, max: 10_000 },
  canary: { min: 1, max: 100_000 },
  autoPromoteAfterMs: { min: 0, max: 7 * 24 * 3_600_000 },
  minHealthyMs: { min: 0, max: 3_600_000 },
  progressDeadlineMs: { min: 1_000, max: 7 * 24 * 3_600_000 },
});

/** A strategy field as it may arrive from GraphQL: omitted and explicit null both mean "default". */
type StrategyInput = { [K in keyof RolloutStrategy]?: RolloutStrategy[K] | null };

/**
 * Fills in API.md's defaults and checks every field. `workerCount`, when given and > 0,
 * bounds batchSize and canary (pass null where the cluster is not known, e.g. a PATCH across
 * clusters). `kind`, when given, refuses what that kind cannot do (autoRevert on a RESTART).
 */
export function resolveStrategy(
  input: Partial<RolloutStrategy> | StrategyInput | null | undefined,
  opts: { workerCount: number | null; kind?: CommandKind },
): RolloutStrategy {
  const given = input ?? {};
  const pick = <K extends keyof RolloutStrategy>(key: K): RolloutStrategy[K] => given[key] ?? DEFAULT_STRATEGY[key];

  const batchSize = pick('batchSize');
  const workerCount = opts.workerCount;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValidationError(`strategy.batchSize must be an integer >= 1 (got ${String(batchSize)})`, 'strategy.batchSize');
  }
  if (workerCount !== null && workerCount > 0 && batchSize > workerCount) {
    throw new ValidationError(
      `strategy.batchSize must not exceed the cluster's ${workerCount} workers (got ${batchSize})`,
      'strategy.batchSize',
    );
  }

  const healthTimeoutMs = checkInteger('healthTimeoutMs', pick('healthTimeoutMs'));
  const pauseBetweenBatchesMs = checkInteger('pauseBetweenBatchesMs', pick('pauseBetweenBatchesMs'));
  const maxFailures = checkInteger('maxFailures', pick('maxFailures'));

  const onFailure = pick('onFailure');
  if (!(FAILURE_ACTIONS as readonly string[]).includes(onFailure)) {
    throw new ValidationError(
      `strategy.onFailure must be one of ${FAILURE_ACTIONS.join(', ')} (got ${String(onFailure)})`,
      'strategy.onFailure',
    );
  }

  const canary = given.canary == null ? null : checkInteger('canary', given.canary);
  if (canary !== null && workerCount !== null && workerCount > 0 && canary >= workerCount) {
    throw new ValidationError(
      `strategy.canary must be smaller than the cluster's ${workerCount} workers (got ${canary}): a canary is a part of the cluster`,
      'strategy.canary',
    );
  }
  const autoPromoteAfterMs = given.autoPromoteAfterMs == null ? null : checkInteger('autoPromoteAfterMs', given.autoPromoteAfterMs);
  if (autoPromoteAfterMs !== null && canary === null) {
    throw new ValidationError('strategy.autoPromoteAfterMs needs strategy.canary', 'strategy.autoPromoteAfterMs');
  }
  const minHealthyMs = checkInteger('minHealthyMs', pick('minHealthyMs'));
  const progressDeadlineMs = given.progressDeadlineMs == null ? null : checkInteger('progressDeadlineMs', given.progressDeadlineMs);
  if (progressDeadlineMs !== null && progressDeadlineMs <= minHealthyMs) {
    // As Nomad's progress_deadline must exceed min_healthy_time: no step succeeds sooner than its soak.
    throw new ValidationError(`strategy.progressDeadlineMs must be greater than minHealthyMs (${minHealthyMs} ms; got ${progressDeadlineMs})`, 'strategy.progressDeadlineMs');
  }
  const autoRevert = pick('autoRevert');
  if (typeof autoRevert !== 'boolean') throw new ValidationError('strategy.autoRevert must be true or false', 'strategy.autoRevert');
  if (autoRevert && opts.kind !== undefined && opts.kind !== 'DEPLOY' && opts.kind !== 'PATCH') {
    throw new ValidationError(`strategy.autoRevert applies to DEPLOY and PATCH only (this is a ${opts.kind})`, 'strategy.autoRevert');
  }

  return {
    batchSize,
    healthTimeoutMs,
    pauseBetweenBatchesMs,
    maxFailures,
    onFailure: onFailure as FailureAction,
    canary,
    autoPromoteAfterMs,
    minHealthyMs,
    progressDeadlineMs,
    autoRevert,
  };
}

/** A strategy as stored by an older OC (without the later fields) with their defaults filled in. */
export function storedStrategy(s: Partial<RolloutStrategy> & Pick<RolloutStrategy, 'batchSize'>): RolloutStrategy {
  return { ...DEFAULT_STRATEGY, ...s };
}

/**
 * How many workers the `batchNumber`-th batch (1-based) takes: the canary first when there is
 * one, then batchSize. The planner and the previews use this one rule.
 */
export function batchLimit(strategy: Pick<RolloutStrategy, 'batchSize' | 'canary'>, batchNumber: number): number {
  return batchNumber === 1 && strategy.canary !== null ? strategy.canary : strategy.batchSize;
}

/** The batches a rollout over `memberIds` (in step order) runs when every worker stays: what a preview shows. */
export function plannedBatches(memberIds: readonly string[], strategy: Pick<RolloutStrategy, 'batchSize' | 'canary'>): string[][] {
  const out: string[][] = [];
  let i = 0;
  while (i < memberIds.length) {
    const n = Math.max(1, batchLimit(strategy, out.length + 1));
    out.push(memberIds.slice(i, i + n));
    i += n;
  }
  return out;
}

function checkInteger(key: keyof typeof STRATEGY_LIMITS, value: number): number {
  const { min, max } = STRATEGY_LIMITS[key];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      `strategy.${key} must be an integer between ${min} and ${max} (got ${String(value)})`,
      `strategy.${key}`,
    );
  }
  return value;
}

const NAME_RE = /^[A-Za-z0-9._-]{1,200}$/;
const VERSION_RE = /^\d+(\.\d+){0,3}([-+][0-9A-Za-z.-]+)?$/;
const SHA256_RE = /^[0-9a-fA-F]{64}$/;
const MAX_VERSION = 100;
const MAX_URL = 2048;

/** Checks an artifact and returns it trimmed, with its sha256 in lower case. */
export function validateArtifact(a: ArtifactSpec): ArtifactSpec {
  const name = text(a?.name, 'artifact.name');
  const version = text(a?.version, 'artifact.version');
  const url = text(a?.url, 'artifact.url');
  const sha256 = text(a?.sha256, 'artifact.sha256');

  // "." and ".." pass the character class but are no names (they would be paths on a worker).
  if (!NAME_RE.test(name) || name === '.' || name === '..') {
    throw new ValidationError('artifact.name must be 1 to 200 characters of A-Z a-z 0-9 . _ -', 'artifact.name');
  }
  if (version.length > MAX_VERSION || !VERSION_RE.test(version)) {
    throw new ValidationError(
      `artifact.version must look like 1.2.3 or 1.2.3-rc.1 (at most ${MAX_VERSION} characters)`,
      'artifact.version',
    );
  }
  if (url.length > MAX_URL || !isHttpUrl(url)) {
    throw new ValidationError(`artifact.url must be an http(s) URL of at most ${MAX_URL} characters`, 'artifact.url');
  }
  if (!SHA256_RE.test(sha256)) {
    throw new ValidationError('artifact.sha256 must be exactly 64 hexadecimal characters', 'artifact.sha256');
  }
  return { name, version, url, sha256: sha256.toLowerCase() };
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ValidationError(`${field} is required`, field);
  return value.trim();
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
