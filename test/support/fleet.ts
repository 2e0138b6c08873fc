import { documentText, RegisterManagerMutation, ReportMembershipMutation, ReportStatsMutation, ReportTaskMutation } from '../../simulator/documents.js';
import { gql, gqlOk } from './client.js';

/** The manager protocol's documents (simulator/documents.ts), as text for gql(). */
export const REGISTER_MANAGER = documentText(RegisterManagerMutation);
export const REPORT_MEMBERSHIP = documentText(ReportMembershipMutation);
export const REPORT_STATS = documentText(ReportStatsMutation);
export const REPORT_TASK = documentText(ReportTaskMutation);

export type WorkerState = 'STARTING' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'FAILED';

export interface WorkerInput {
  memberId: string;
  host: string;
  port?: number | null;
  state?: WorkerState;
  startedAt?: string | null;
  artifacts?: { name: string; version: string; deployedAt?: string }[];
}

/** `n` RUNNING workers named `w-000`, `w-001`, ... (zero-padded so memberId order is numeric order). */
export function workerInputs(n: number, opts: { state?: WorkerState; artifacts?: WorkerInput['artifacts']; prefix?: string } = {}): WorkerInput[] {
  return Array.from({ length: n }, (_, i) => ({
    memberId: `${opts.prefix ?? 'w'}-${String(i).padStart(3, '0')}`,
    host: `10.0.0.${i % 250}`,
    port: 8080,
    state: opts.state ?? 'RUNNING',
    startedAt: '2026-01-01T00:00:00.000Z',
    ...(opts.artifacts ? { artifacts: opts.artifacts } : {}),
  }));
}

export interface Registered {
  sessionToken: string;
  clusterId: string;
  managerId: string;
}

export interface RegisterInput {
  clusterName: string;
  kind?: string;
  host?: string;
  url?: string;
  version?: string;
  workers?: WorkerInput[];
  operations?: { name: string; description?: string; inputSchema?: unknown }[];
}

const fullInput = (i: RegisterInput) => ({
  kind: 'AS',
  host: `${i.clusterName}-mgr`,
  url: `https://${i.clusterName}.example:9990/console`,
  workers: [],
  ...i,
});

/** registerManager's raw answer (the union member as returned). */
export async function tryRegister(url: string, enrollmentToken: string, input: RegisterInput) {
  const r = await gql(url, enrollmentToken, REGISTER_MANAGER, { input: fullInput(input) });
  return r;
}

/** Registers a manager with an enrollment token; fails the test on anything but a payload. */
export async function register(url: string, enrollmentToken: string, input: RegisterInput): Promise<Registered> {
  const d = await gqlOk(url, enrollmentToken, REGISTER_MANAGER, { input: fullInput(input) });
  const r = d.registerManager;
  if (r.__typename !== 'RegisterManagerPayload') throw new Error(`registerManager: ${r.__typename}: ${r.message}`);
  return { sessionToken: r.sessionToken, clusterId: r.cluster.id, managerId: r.manager.id };
}

export interface MembershipEventInput {
  seq: number;
  change: 'JOINED' | 'LEFT' | 'STATE_CHANGED';
  worker: WorkerInput;
}

/** reportMembership's union member (GraphQL errors fail the test). */
export async function reportMembership(url: string, sessionToken: string, events: MembershipEventInput[]) {
  return (await gqlOk(url, sessionToken, REPORT_MEMBERSHIP, { input: { events } })).reportMembership;
}

export interface StatsSampleInput {
  memberId: string;
  at?: string;
  cpuPercent: number;
  memoryMb: number;
  requestsPerSec: number;
  errorsPerSec: number;
}

/** reportStats's union member (GraphQL errors fail the test). */
export async function reportStats(url: string, sessionToken: string, samples: StatsSampleInput[]) {
  return (await gqlOk(url, sessionToken, REPORT_STATS, { input: { samples } })).reportStats;
}

/**
 * A manager whose workers' states a test scripts: it registers them, tells the OC what changed
 * (one call, with seq), and returns the membership events every subscriber of the README's
 * selection should then see, in order, with health as the report's transaction left the cluster.
 */
export class ReportingManager {
  seq = 0;
  states = new Map<string, WorkerState>();
  reg!: Registered;
  constructor(
    readonly url: string,
    readonly enrollmentToken: string,
    readonly name: string,
  ) {}
  async register(workers: WorkerInput[]) {
    for (const w of workers) this.states.set(w.memberId, w.state ?? 'RUNNING');
    this.reg = await register(this.url, this.enrollmentToken, { clusterName: this.name, workers });
  }
  async report(changes: [memberId: string, change: 'JOINED' | 'LEFT' | 'STATE_CHANGED', state: WorkerState][]) {
    const events: MembershipEventInput[] = changes.map(([memberId, change, state]) => ({ seq: ++this.seq, change, worker: { memberId, host: `${memberId}.local`, state } }));
    for (const [memberId, change, state] of changes) {
      if (change === 'LEFT') this.states.delete(memberId);
      else this.states.set(memberId, state);
    }
    const r = await reportMembership(this.url, this.reg.sessionToken, events);
    if (r.acceptedThroughSeq !== this.seq) throw new Error(`${this.name}: the OC accepted through seq ${r.acceptedThroughSeq}, not ${this.seq}`);
    const running = [...this.states.values()].filter((s) => s === 'RUNNING').length;
    const health = running === 0 ? 'UNAVAILABLE' : running === this.states.size ? 'HEALTHY' : 'DEGRADED';
    return changes.map(([memberId, change, state]) => ({ change, cluster: { name: this.name, health }, worker: { memberId, state } }));
  }
}
