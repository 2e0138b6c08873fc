import { readdirSync, readFileSync } from 'node:fs';
import { getTableConfig, PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { COMMAND_KIND_SPECS, isPausableKind, isRolloutKind, kindSpec, ROLLOUT_KINDS, taskReportWakes, workerReportWakes } from '../../src/domain/rollout/kinds.js';
import { commands } from '../../src/db/schema/tables.js';
import { COMMAND_KINDS, type Worker } from '../../src/domain/types.js';

const worker = (artifacts: { name: string; version: string }[]): Worker => ({
  id: 'w',
  clusterId: 'c',
  memberId: 'w1',
  host: 'h',
  port: null,
  state: 'RUNNING',
  startedAt: null,
  joinedAt: new Date(0),
  stateChangedAt: new Date(0),
  artifacts: artifacts.map((a) => ({ ...a, deployedAt: new Date(0).toISOString() })),
  stats: null,
});
const ARTIFACT = { name: 'app', version: '2.0.0', url: 'https://x/app.war', sha256: 'a'.repeat(64) };

describe('the command-kind registry', () => {
  it('has one entry for every command kind', () => {
    expect(Object.keys(COMMAND_KIND_SPECS).sort()).toEqual([...COMMAND_KINDS].sort());
  });

  it('makes RESTART and DEPLOY the rollouts (one active per cluster); a PATCH drives children of kind DEPLOY', () => {
    expect(ROLLOUT_KINDS).toEqual(['RESTART', 'DEPLOY']);
    expect(COMMAND_KINDS.filter(isRolloutKind)).toEqual(['RESTART', 'DEPLOY']);
    expect(kindSpec('PATCH')).toMatchObject({ driver: 'patch', childKind: 'DEPLOY', taskAction: null });
    expect(kindSpec('OPERATION')).toMatchObject({ driver: 'operation', taskAction: 'RUN_OPERATION' });
    expect(COMMAND_KINDS.filter(isPausableKind)).toEqual(['RESTART', 'DEPLOY', 'PATCH']);
  });

  it('gives each rollout kind its task action and says whether the task carries the artifact', () => {
    expect(kindSpec('RESTART')).toMatchObject({ taskAction: 'RESTART_WORKERS', shipsArtifact: false });
    expect(kindSpec('DEPLOY')).toMatchObject({ taskAction: 'DEPLOY_ARTIFACT', shipsArtifact: true });
  });

  it('proves a RESTART step by a restart alone, a DEPLOY step by a restart onto the new version', () => {
    const restartProof = kindSpec('RESTART').stepSucceeded!;
    const deployProof = kindSpec('DEPLOY').stepSucceeded!;
    const seen = { restarted: true, failed: false };
    const old = worker([{ name: 'app', version: '1.0.0' }]);
    const upgraded = worker([{ name: 'app', version: '2.0.0' }]);
    expect(restartProof(seen, { artifact: null }, old)).toBe(true);
    expect(deployProof(seen, { artifact: ARTIFACT }, old)).toBe(false);
    expect(deployProof(seen, { artifact: ARTIFACT }, upgraded)).toBe(true);
    expect(deployProof({ restarted: false, failed: false }, { artifact: ARTIFACT }, upgraded)).toBe(false);
    expect(kindSpec('OPERATION').stepSucceeded).toBeNull();
  });

  it('wakes the driver only for what can change a rollout: a task FAILED, a worker RUNNING or FAILED, a worker gone', () => {
    expect(['PENDING', 'ACCEPTED', 'SUCCEEDED', 'FAILED', 'CANCELLED'].filter(taskReportWakes)).toEqual(['FAILED']);
    expect((['STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'FAILED'] as const).filter((s) => workerReportWakes(false, s))).toEqual(['RUNNING', 'FAILED']);
    expect(workerReportWakes(true, 'STOPPING')).toBe(true);
  });

  it("builds the database's one-active-rollout index from the registry, as the latest migration that touches it created it", () => {
    const index = getTableConfig(commands).indexes.find((i) => i.config.name === 'commands_one_active_rollout_idx')!;
    const list = `in (${ROLLOUT_KINDS.map((k) => `'${k}'`).join(',')})`;
    expect(new PgDialect().sqlToQuery(index.config.where!).sql).toContain(list);
    const dir = new URL('../../drizzle/', import.meta.url).pathname;
    const sqls = readdirSync(dir)
      .sort()
      .map((d) => { try { return readFileSync(`${dir}${d}/migration.sql`, 'utf8'); } catch { return ''; } })
      .filter((s) => s.includes('"commands_one_active_rollout_idx" ON'));
    expect(sqls.at(-1)).toContain(`"kind" ${list}`);
  });
});
