/**
 * What a rollout will do, computed before it is sent: the OC takes the cluster's workers in
 * memberId order (the order its workers connection lists them in) and hands them to the
 * manager `batchSize` at a time.
 */
export const DEFAULT_STRATEGY = {
  batchSize: 1,
  healthTimeoutMs: 60_000,
  pauseBetweenBatchesMs: 0,
  maxFailures: 0,
  onFailure: 'ABORT' as 'ABORT' | 'PAUSE',
};

export type Strategy = typeof DEFAULT_STRATEGY;

export function planBatches<T>(workersInOcOrder: readonly T[], batchSize: number): T[][] {
  const size = Math.max(1, Math.floor(batchSize) || 1);
  const out: T[][] = [];
  for (let i = 0; i < workersInOcOrder.length; i += size) out.push(workersInOcOrder.slice(i, i + size));
  return out;
}

/** Problems with a strategy as typed, by field (the OC checks again; this only saves a round trip). */
export function strategyProblems(s: Strategy, workerCount: number | null): Partial<Record<keyof Strategy, string>> {
  const p: Partial<Record<keyof Strategy, string>> = {};
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1) p.batchSize = 'at least 1';
  else if (workerCount !== null && workerCount > 0 && s.batchSize > workerCount) p.batchSize = `at most ${workerCount} (the cluster's workers)`;
  if (!Number.isInteger(s.healthTimeoutMs) || s.healthTimeoutMs < 100 || s.healthTimeoutMs > 3_600_000) p.healthTimeoutMs = '100 ms to 1 hour';
  if (!Number.isInteger(s.pauseBetweenBatchesMs) || s.pauseBetweenBatchesMs < 0 || s.pauseBetweenBatchesMs > 3_600_000) p.pauseBetweenBatchesMs = '0 to 1 hour';
  if (!Number.isInteger(s.maxFailures) || s.maxFailures < 0 || s.maxFailures > 10_000) p.maxFailures = '0 to 10,000';
  return p;
}
