/**
 * Validation and defaults for what an operator asks of a rollout (API.md:
 * RolloutStrategyInput, ArtifactInput). Throws `ValidationError` whose `field` names the
 * offending input field, e.g. "strategy.batchSize".
 */
import { ValidationError } from '../errors.js';
import type { ArtifactSpec, FailureAction, RolloutStrategy } from '../types.js';
import { FAILURE_ACTIONS } from '../types.js';

export const DEFAULT_STRATEGY: Readonly<RolloutStrategy> = Object.freeze({
  batchSize: 1,
  healthTimeoutMs: 60_000,
  pauseBetweenBatchesMs: 0,
  maxFailures: 0,
  onFailure: 'ABORT',
});

export const STRATEGY_LIMITS = Object.freeze({
  healthTimeoutMs: { min: 100, max: 3_600_000 },
  pauseBetweenBatchesMs: { min: 0, max: 3_600_000 },
  maxFailures: { min: 0, max: 10_000 },
});

/** A strategy field as it may arrive from GraphQL: omitted and explicit null both mean "default". */
type StrategyInput = { [K in keyof RolloutStrategy]?: RolloutStrategy[K] | null };

/**
 * Fills in API.md's defaults and checks every field. `workerCount`, when given and > 0,
 * bounds batchSize (pass null where the cluster is not known, e.g. a PATCH across clusters).
 */
export function resolveStrategy(
  input: Partial<RolloutStrategy> | StrategyInput | null | undefined,
  opts: { workerCount: number | null },
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

  return { batchSize, healthTimeoutMs, pauseBetweenBatchesMs, maxFailures, onFailure: onFailure as FailureAction };
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
