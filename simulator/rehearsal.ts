/**
 * A rehearsal: the same rollout as an operator is about to run on a live cluster, run first on
 * a private copy of it. It reads the live cluster through the API with a VIEWER token only (its
 * membership, its observed restart times, the preview of the rollout), starts a private lab (an
 * OC on a fresh PGlite through src/main.ts's startOc, and a simulated copy of the cluster with
 * those timings through startFleet), runs the rollout there with any scenario faults, and
 * reports what happened: duration, most workers down at once, failed steps and why, the seed.
 * The live cluster is never touched: nothing but queries is ever sent to the live OC.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type OcHandle, startOc } from '../src/main.js';
import { documentText } from './documents.js';
import { type Fleet, startFleet } from './fleet.js';
import { endpoints } from './oc-client.js';
import { PROFILES, type Profile } from './profiles.js';
import {
  RehearsalClusterQuery,
  RehearsalCommandQuery,
  RehearsalCreateTokenMutation,
  RehearsalDeployMutation,
  RehearsalPreviewDeployQuery,
  RehearsalPreviewRestartQuery,
  RehearsalRestartMutation,
  RehearsalViewerQuery,
} from './rehearsal-documents.js';
import type { MemberPlan, ScenarioSpec } from './scenario.js';

export class RehearsalError extends Error {}

export interface RehearsalOptions {
  /** The live OC, and a VIEWER token of it. */
  url: string;
  token: string;
  cluster: string;
  /** A rolling restart (the default), or a deploy of this artifact. */
  deploy?: { name: string; version: string; url?: string; sha256?: string } | null;
  /** As RolloutStrategyInput (the OC checks it, in the preview and in the lab alike). */
  strategy?: Record<string, unknown>;
  /** Scenario faults (simulator/scenario.ts), `cluster` defaulting to the rehearsed one. */
  faults?: Record<string, unknown>[];
  seed: number;
  /** How long the lab's rollout may take before the rehearsal gives up (default 10 minutes). */
  timeoutMs?: number;
  /** The lab OC's manager lease (default the OC's own); tests shorten it. */
  managerLeaseMs?: number;
  /** Progress lines for people (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface ObservedTimings {
  samples: number;
  medianMs: number | null;
  p90Ms: number | null;
}

export interface PreviewSummary {
  batches: string[][];
  estimatedDurationMs: number | null;
  warnings: string[];
}

export interface RehearsalReport {
  cluster: string;
  kind: 'RESTART' | 'DEPLOY';
  seed: number;
  workers: number;
  timings: ObservedTimings;
  /** The live OC's preview of the same input (or why it refused it). */
  livePreview: PreviewSummary | { error: string };
  /** The lab OC's preview, just before it ran the rollout. */
  labPreview: PreviewSummary | { error: string };
  /** How the lab's rollout ended (SUCCEEDED, FAILED, CANCELLED, or the state it was in at the timeout), and why. */
  state: string;
  message: string | null;
  /** From the lab command's start to its end (null if it did not end in time). */
  durationMs: number | null;
  /** The batches the lab ran (one task each), in order. */
  batches: string[][];
  sameBatchesAsPreview: boolean;
  /** The most workers not RUNNING at once while a task was in hand, as the simulated workers lived it. */
  maxDown: number;
  /** How many times the copy's manager registered (more than 1: it was lost and came back). */
  managerRegistrations: number;
  failedSteps: { memberId: string; message: string | null }[];
  skippedSteps: number;
  faults: Record<string, unknown>[];
}

async function call<TData, TVars>(url: string, token: string, doc: TypedDocumentNode<TData, TVars>, variables: TVars): Promise<TData> {
  const res = await fetch(endpoints(url).http, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: documentText(doc), variables }),
  });
  const body = (await res.json().catch(() => ({}))) as { data?: TData; errors?: { message: string }[] };
  if (!res.ok || body.errors?.length || !body.data) {
    throw new RehearsalError(`${url} answered ${res.status}: ${body.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
  }
  return body.data;
}

/**
 * A profile whose restarts take what the live cluster's did: the realistic profile, its stop
 * and boot scaled so that a restart takes the observed median, spread (±jitter) so that its
 * 90th percentile is near the observed one. Nothing random goes wrong in it: faults are the
 * scenario's, explicitly. Without observed timings, the realistic profile as it is.
 */
export function profileFromTimings(t: ObservedTimings): Partial<Profile> {
  const base = PROFILES.realistic;
  const noChaos = { failStartOdds: 0, crashOddsPerMinute: 0, slowBootOdds: 0 };
  if (t.medianMs === null || t.medianMs <= 0) return noChaos;
  const median = t.medianMs;
  const membershipFlushMs = Math.round(Math.min(base.membershipFlushMs, Math.max(10, median * 0.05)));
  // The OC sees a worker back half a flush later, on average.
  const body = Math.max(3, median - membershipFlushMs / 2);
  const jitter = Math.min(0.9, Math.max(0, ((t.p90Ms ?? median) / median - 1) / 0.8));
  return {
    ...noChaos,
    membershipFlushMs,
    stopping: { ms: Math.round(body * 0.2), jitter },
    stoppedToStarting: { ms: Math.round(body * 0.05), jitter },
    starting: { ms: Math.round(body * 0.75), jitter },
    warmupMs: Math.max(100, Math.round(median * 2)),
    statsIntervalMs: Math.max(250, Math.min(base.statsIntervalMs, Math.round(median * 2))),
    taskTimeoutMs: Math.max(base.taskTimeoutMs, Math.round(median * 20)),
  };
}

/** The live cluster as the rehearsal copies it: every page of its workers. */
async function readLiveCluster(o: RehearsalOptions) {
  const me = await call(o.url, o.token, RehearsalViewerQuery, {});
  if (me.viewer.role !== 'VIEWER') {
    throw new RehearsalError(`the token of ${me.viewer.tokenName} is ${me.viewer.role}: a rehearsal reads the live OC with a VIEWER token only (it needs no more)`);
  }
  const members: MemberPlan[] = [];
  let after: string | null = null;
  let first: NonNullable<Awaited<ReturnType<typeof readPage>>> | null = null;
  async function readPage(cursor: string | null) {
    return (await call(o.url, o.token, RehearsalClusterQuery, { name: o.cluster, after: cursor })).cluster;
  }
  for (;;) {
    const c = await readPage(after);
    if (!c) throw new RehearsalError(`the live OC has no cluster named "${o.cluster}"`);
    first ??= c;
    for (const e of c.workers.edges) {
      const w = e.node;
      // A worker caught STARTING or STOPPING is copied RUNNING: the copy starts at rest.
      const state = w.state === 'STOPPED' || w.state === 'FAILED' ? w.state : 'RUNNING';
      members.push({ memberId: w.memberId, state, artifacts: w.artifacts.map((a) => ({ name: a.name, version: a.version })) });
    }
    if (!c.workers.pageInfo.hasNextPage) break;
    after = c.workers.pageInfo.endCursor ?? null;
  }
  return { cluster: first!, members };
}

type PreviewAnswer =
  | { __typename: 'RolloutPreview'; estimatedDurationMs?: number | null; warnings: string[]; clusters: { batches: string[][] }[] }
  | { __typename: string; code?: string; message?: string };

function summarize(p: PreviewAnswer): PreviewSummary | { error: string } {
  if ('clusters' in p) return { batches: p.clusters[0]?.batches ?? [], estimatedDurationMs: p.estimatedDurationMs ?? null, warnings: p.warnings };
  const e = p as { __typename: string; code?: string; message?: string };
  return { error: `${e.__typename}${e.code ? ` ${e.code}` : ''}: ${e.message ?? ''}` };
}

async function previewOn(url: string, token: string, clusterId: string, o: RehearsalOptions, artifact: ReturnType<typeof artifactOf>) {
  const strategy = o.strategy ?? null;
  if (artifact) return summarize((await call(url, token, RehearsalPreviewDeployQuery, { input: { clusterId, artifact, strategy } })).previewDeploy as PreviewAnswer);
  return summarize((await call(url, token, RehearsalPreviewRestartQuery, { input: { clusterId, strategy } })).previewRestart as PreviewAnswer);
}

function artifactOf(o: RehearsalOptions) {
  if (!o.deploy) return null;
  const { name, version } = o.deploy;
  return { name, version, url: o.deploy.url ?? `https://rehearsal.invalid/${encodeURIComponent(name)}/${encodeURIComponent(version)}`, sha256: o.deploy.sha256 ?? '0'.repeat(64) };
}

const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Runs a rehearsal; the lab is always stopped and removed when it returns or throws. */
export async function rehearse(o: RehearsalOptions): Promise<RehearsalReport> {
  const log = o.log ?? (() => {});
  const artifact = artifactOf(o);
  const live = await readLiveCluster(o);
  const timings: ObservedTimings = live.cluster.restartTimings;
  const livePreview = await previewOn(o.url, o.token, live.cluster.id, o, artifact);
  log(
    `live ${live.cluster.name} (${live.cluster.kind}): ${live.members.length} workers; restarts ${timings.medianMs === null ? 'never observed (realistic profile)' : `median ${timings.medianMs} ms, p90 ${timings.p90Ms} ms over ${timings.samples}`}`,
  );
  const faults = (o.faults ?? []).map((f) => ({ cluster: live.cluster.name, ...f }));
  const scenario: ScenarioSpec = {
    name: `rehearsal of ${live.cluster.name}`,
    profile: 'realistic',
    clusters: [{ name: live.cluster.name, kind: live.cluster.kind, size: live.members.length, members: live.members }],
    faults: faults as ScenarioSpec['faults'],
  };

  const dataDir = mkdtempSync(join(tmpdir(), 'oc-rehearsal-'));
  let oc: OcHandle | null = null;
  let fleet: Fleet | null = null;
  try {
    oc = await startOc({ port: 0, host: '127.0.0.1', databaseUrl: null, dataDir, logLevel: 'silent', managerLeaseMs: o.managerLeaseMs });
    const admin = oc.adminToken;
    const token = async (role: 'MANAGER' | 'OPERATOR') => {
      const r = (await call(oc!.url, admin, RehearsalCreateTokenMutation, { input: { name: `rehearsal ${role.toLowerCase()}`, role } })).createApiToken;
      if (r.__typename !== 'ApiTokenPayload' || !('token' in r)) throw new RehearsalError(`the lab refused a ${role} token`);
      return r.token;
    };
    const enrollmentToken = await token('MANAGER');
    const operator = await token('OPERATOR');
    fleet = startFleet({ url: oc.url, enrollmentToken, scenario, seed: o.seed, profileOverrides: profileFromTimings(timings) });
    await fleet.ready({ timeoutMs: 60_000 });
    const lab = await waitUntil(
      async () => {
        const c = (await call(oc!.url, operator, RehearsalClusterQuery, { name: live.cluster.name, after: null })).cluster;
        return c?.manager?.connected && c.workers.edges.length === Math.min(1000, live.members.length) ? c : null;
      },
      30_000,
      'the lab copy of the cluster to register',
    );
    log(`lab OC ${oc.url}: ${live.cluster.name} copied (${live.members.length} workers), seed ${o.seed}${faults.length ? `, ${faults.length} faults` : ''}`);
    const labPreview = await previewOn(oc.url, operator, lab.id, o, artifact);
    const strategy = o.strategy ?? null;
    const started = artifact
      ? (await call(oc.url, operator, RehearsalDeployMutation, { input: { clusterId: lab.id, artifact, strategy } })).deployArtifact
      : (await call(oc.url, operator, RehearsalRestartMutation, { input: { clusterId: lab.id, strategy } })).restartCluster;
    if (started.__typename !== 'CommandPayload' || !('command' in started)) {
      const e = started as { __typename: string; message?: string };
      throw new RehearsalError(`the lab refused the rollout: ${e.__typename}: ${e.message ?? ''}`);
    }
    const id = started.command.id;
    log(`lab rollout ${id} started`);
    const deadline = Date.now() + (o.timeoutMs ?? 600_000);
    let c = (await call(oc.url, operator, RehearsalCommandQuery, { id })).command!;
    while (!TERMINAL.includes(c.state) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      c = (await call(oc.url, operator, RehearsalCommandQuery, { id })).command!;
    }
    const batches = c.tasks.map((t) => [...t.memberIds]);
    const expected = 'batches' in livePreview ? livePreview.batches : 'batches' in labPreview ? labPreview.batches : null;
    const inv = fleet.invariants();
    return {
      cluster: live.cluster.name,
      kind: artifact ? 'DEPLOY' : 'RESTART',
      seed: o.seed,
      workers: live.members.length,
      timings,
      livePreview,
      labPreview,
      state: TERMINAL.includes(c.state) ? c.state : `${c.state} (gave up waiting)`,
      message: c.message ?? null,
      durationMs: c.startedAt && c.finishedAt ? new Date(c.finishedAt).getTime() - new Date(c.startedAt).getTime() : null,
      batches,
      sameBatchesAsPreview: expected !== null && JSON.stringify(expected) === JSON.stringify(batches),
      maxDown: inv.maxDownDuringTasks[live.cluster.name] ?? 0,
      managerRegistrations: inv.registrations[live.cluster.name] ?? 0,
      failedSteps: c.steps.filter((s) => s.state === 'FAILED').map((s) => ({ memberId: s.memberId, message: s.message ?? null })),
      skippedSteps: c.steps.filter((s) => s.state === 'SKIPPED').length,
      faults,
    };
  } finally {
    await fleet?.stop();
    await oc?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function waitUntil<T>(check: () => Promise<T | null>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new RehearsalError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
