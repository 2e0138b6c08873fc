/**
 * The shapes of the fake OC (fake-oc.ts): what it records of each cluster and task, its options,
 * and the per-request context of a manager's call.
 */
import type { MembershipEventInput, OperationInput, ReportTaskInput } from './oc-client.js';
import type { StatsSample, WorkerInput } from './worker.js';

export interface FakeCluster {
  id: string;
  name: string;
  kind: string;
  managerId: string;
  host: string;
  url: string;
  operations: OperationInput[];
  /** The current session token (a re-registration replaces it). */
  session: string;
  registrations: number;
  workers: Map<string, WorkerInput>;
  /** Every event applied, in order, with the session it came in. */
  events: (MembershipEventInput & { session: number })[];
  /** Responses to reportMembership: what it refused (gaps) and ignored (duplicates). */
  gapsRefused: number;
  duplicatesIgnored: number;
  statsReports: number;
  lastStats: StatsSample[];
  /** Open managerTasks subscriptions of this cluster. */
  subscribers: number;
}

export interface FakeTask {
  id: string;
  cluster: string;
  commandId: string;
  action: 'RESTART_WORKERS' | 'DEPLOY_ARTIFACT' | 'RUN_OPERATION';
  memberIds: string[];
  artifact: { name: string; version: string; url: string; sha256: string } | null;
  operation: string | null;
  arguments: unknown;
  state: 'PENDING' | 'ACCEPTED' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  createdAt: string;
  reports: (ReportTaskInput & { at: number })[];
}

export interface SessionInfo {
  cluster: string;
  no: number;
  lastSeq: number;
  revoked: boolean;
}

export interface Ctx {
  session: SessionInfo | null;
  token: string;
}

export interface FakeOcOptions {
  port?: number;
  host?: string;
  enrollmentTokens?: string[];
  /** How a gap in seqs is refused: a ValidationError (default) or a payload holding at the last accepted seq. */
  gapResponse?: 'error' | 'hold';
}
