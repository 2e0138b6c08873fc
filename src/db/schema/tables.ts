import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  json,
  jsonb,
  primaryKey,
  snakeCase,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { ROLLOUT_KINDS } from '../../domain/rollout/kinds.js';
import type { ArtifactSpec, DeployedArtifact, HoldReason, ManagerOperationSpec, RolloutStrategy, WorkerState } from '../../domain/types.js';

/** A StepBaseline as stored in command_steps.baseline (JSON: its date as ISO-8601 text). */
export interface StoredStepBaseline {
  workerId: string;
  state: WorkerState;
  startedAt: string | null;
  stateChanges: number;
  /** StepBaseline.proven (its dates as ISO-8601 text); absent until the step's proof was seen. */
  proven?: { at: string; workerId: string; startedAt: string | null; stateChanges: number } | null;
  /** The version of the step's artifact the worker had (null: none); absent for a restart or when not recorded. */
  previousVersion?: string | null;
}

/** A CommandHold as stored in commands.hold (JSON: its date as ISO-8601 text). */
export interface StoredCommandHold {
  reason: HoldReason;
  since: string;
  by: string | null;
}

/** The registry's rollout kinds as an SQL list ('RESTART','DEPLOY'): a new rollout kind changes the index by a migration. */
const rolloutKindList = sql.raw(ROLLOUT_KINDS.map((k) => `'${k}'`).join(','));

const ts = (name?: string) => (name ? timestamp(name, { withTimezone: true, mode: 'date' }) : timestamp({ withTimezone: true, mode: 'date' }));

/** Operator and enrollment tokens. Secrets are stored as SHA-256 hashes only. */
export const apiTokens = snakeCase.table(
  'api_tokens',
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    role: text().notNull(),
    clusterName: text(),
    tokenHash: text().notNull(),
    createdAt: ts().notNull().defaultNow(),
    lastUsedAt: ts(),
    revokedAt: ts(),
  },
  (t) => [uniqueIndex('api_tokens_hash_idx').on(t.tokenHash)],
);

export const clusters = snakeCase.table(
  'clusters',
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    kind: text().notNull(),
    createdAt: ts().notNull().defaultNow(),
    /**
     * The enrollment token the cluster is bound to: the one that registered it last. Only that
     * token, or one created for this cluster by name, may register it again; null once an admin
     * released it (releaseCluster), when the next registration binds it anew.
     */
    enrolledByTokenId: uuid(),
    /** The name's natural-order key (domain/natural-order.ts): lists of clusters are ordered by it, byte by byte, then by name. */
    sortKey: text().notNull().default(''),
  },
  (t) => [
    uniqueIndex('clusters_name_idx').on(t.name),
    index('clusters_kind_idx').on(t.kind),
    index('clusters_sort_idx').on(sql`${t.sortKey} collate "C"`, sql`${t.name} collate "C"`),
  ],
);

/** One row per cluster: the manager that registered last. */
export const managers = snakeCase.table(
  'managers',
  {
    id: uuid().primaryKey().defaultRandom(),
    clusterId: uuid()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    host: text().notNull(),
    url: text().notNull(),
    version: text(),
    operations: jsonb().$type<ManagerOperationSpec[]>().notNull().default(sql`'[]'::jsonb`),
    connected: boolean().notNull().default(true),
    lastSeenAt: ts().notNull().defaultNow(),
    /** When it last became connected; rollout health timeouts never count time before it. */
    connectedAt: ts().notNull().defaultNow(),
    registeredAt: ts().notNull().defaultNow(),
  },
  (t) => [uniqueIndex('managers_cluster_idx').on(t.clusterId)],
);

/** A manager's session: what its session token is bound to, and its membership seq. */
export const managerSessions = snakeCase.table(
  'manager_sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    managerId: uuid()
      .notNull()
      .references(() => managers.id, { onDelete: 'cascade' }),
    clusterId: uuid()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    enrollmentTokenId: uuid(),
    tokenName: text().notNull(),
    tokenHash: text().notNull(),
    lastSeq: integer().notNull().default(0),
    createdAt: ts().notNull().defaultNow(),
    revokedAt: ts(),
  },
  (t) => [uniqueIndex('manager_sessions_hash_idx').on(t.tokenHash), index('manager_sessions_cluster_idx').on(t.clusterId)],
);

export const workers = snakeCase.table(
  'workers',
  {
    id: uuid().primaryKey().defaultRandom(),
    clusterId: uuid()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    memberId: text().notNull(),
    host: text().notNull(),
    port: integer(),
    state: text().notNull(),
    startedAt: ts(),
    joinedAt: ts().notNull().defaultNow(),
    /** When the OC received the report that changed its state (the OC's clock, never the manager's). */
    stateChangedAt: ts().notNull().defaultNow(),
    /** How many times the OC saw its state change: what the rollout health gate counts, clock-free. */
    stateChanges: integer().notNull().default(0),
    artifacts: jsonb().$type<DeployedArtifact[]>().notNull().default(sql`'[]'::jsonb`),
    /** The latest stats sample of this worker. */
    statsAt: ts(),
    cpuPercent: doublePrecision(),
    memoryMb: doublePrecision(),
    requestsPerSec: doublePrecision(),
    errorsPerSec: doublePrecision(),
  },
  (t) => [
    uniqueIndex('workers_cluster_member_idx').on(t.clusterId, t.memberId),
    index('workers_cluster_state_idx').on(t.clusterId, t.state),
    // The topology reads pack a page of workers into one text with control characters as
    // separators (WORKER_PAGE_TEXT); the services refuse them, and so does the table.
    check('workers_no_control_chars', sql`${t.memberId} !~ '[\\x01-\\x1f\\x7f]' and ${t.host} !~ '[\\x01-\\x1f\\x7f]'`),
  ],
);

/**
 * Each cluster's aggregates, kept current by every transaction that changes its workers (recomputed
 * from the workers in that transaction, see repositories/topology/aggregates.ts), so that reads of
 * health, counts and stats never sum every worker. Workers by state, and the stats of the workers
 * whose latest sample was fresh when the row was computed: their count, sums,
 * and the oldest and newest sample time (a read whose freshness window excludes the oldest one
 * recounts that cluster instead).
 */
export const clusterAggregates = snakeCase.table('cluster_aggregates', {
  clusterId: uuid()
    .primaryKey()
    .references(() => clusters.id, { onDelete: 'cascade' }),
  total: integer().notNull().default(0),
  starting: integer().notNull().default(0),
  running: integer().notNull().default(0),
  stopping: integer().notNull().default(0),
  stopped: integer().notNull().default(0),
  failed: integer().notNull().default(0),
  /** Workers whose latest sample was fresh when the row was computed; the sums below are over them. */
  sampled: integer().notNull().default(0),
  cpuPercentSum: doublePrecision().notNull().default(0),
  memoryMb: doublePrecision().notNull().default(0),
  requestsPerSec: doublePrecision().notNull().default(0),
  errorsPerSec: doublePrecision().notNull().default(0),
  statsMinAt: ts(),
  statsMaxAt: ts(),
});

/**
 * Cluster statistics history, one row per cluster and time bucket. Each row holds the sum of
 * the cluster's aggregate snapshots taken in that bucket and how many there were, so a bucket's
 * value is their mean. Bounded resolution (bucket width) and retention are set by config.
 */
export const clusterStats = snakeCase.table(
  'cluster_stats',
  {
    clusterId: uuid()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    bucket: ts().notNull(),
    snapshots: integer().notNull(),
    cpuPercent: doublePrecision().notNull(),
    memoryMb: doublePrecision().notNull(),
    requestsPerSec: doublePrecision().notNull(),
    errorsPerSec: doublePrecision().notNull(),
    lastAt: ts().notNull(),
  },
  (t) => [primaryKey({ columns: [t.clusterId, t.bucket] }), index('cluster_stats_bucket_idx').on(t.bucket)],
);

export const commands = snakeCase.table(
  'commands',
  {
    id: uuid().primaryKey().defaultRandom(),
    kind: text().notNull(),
    state: text().notNull(),
    clusterId: uuid().references(() => clusters.id, { onDelete: 'cascade' }),
    parentId: uuid(),
    strategy: jsonb().$type<RolloutStrategy>().notNull(),
    artifact: jsonb().$type<ArtifactSpec>(),
    kinds: jsonb().$type<string[]>(),
    maxParallelClusters: integer(),
    operation: text(),
    arguments: jsonb(),
    result: jsonb(),
    requestedBy: text().notNull(),
    message: text(),
    /** Operator intent, applied by the driver once the batch in flight is through. */
    pauseRequested: boolean().notNull().default(false),
    /** Who asked for the latest pause: the OPERATOR hold's `by` once the command holds. */
    pauseRequestedBy: text(),
    cancelRequested: boolean().notNull().default(false),
    /** Failed steps an operator accepted by resuming after a failure pause. */
    acceptedFailures: integer().notNull().default(0),
    /** The command this one rolls back (rollbackCommand, or an auto-revert); null otherwise. */
    rollbackOf: uuid().references((): AnyPgColumn => commands.id, { onDelete: 'set null' }),
    /** Why the command waits (StoredCommandHold), or null: data the planners read, never the message. */
    hold: jsonb().$type<StoredCommandHold>(),
    /** When its canary was promoted (by an operator or by itself). */
    promotedAt: ts(),
    /** When it last continued after a hold (resumed or promoted): the progress deadline counts from then. */
    resumedAt: ts(),
    /** When the driver should look at this command again (timeouts, pauses between batches). */
    wakeAt: ts(),
    createdAt: ts().notNull().defaultNow(),
    startedAt: ts(),
    finishedAt: ts(),
    updatedAt: ts().notNull().defaultNow(),
  },
  (t) => [
    index('commands_cluster_idx').on(t.clusterId, t.createdAt),
    index('commands_parent_idx').on(t.parentId),
    index('commands_rollback_of_idx').on(t.rollbackOf),
    index('commands_state_idx').on(t.state),
    index('commands_created_idx').on(t.createdAt),
    // One active rollout per cluster, enforced by the database too.
    uniqueIndex('commands_one_active_rollout_idx')
      .on(t.clusterId)
      .where(sql`${t.state} in ('PENDING','RUNNING','PAUSED') and ${t.kind} in (${rolloutKindList})`),
  ],
);

export const commandSteps = snakeCase.table(
  'command_steps',
  {
    commandId: uuid()
      .notNull()
      .references(() => commands.id, { onDelete: 'cascade' }),
    index: integer().notNull(),
    memberId: text().notNull(),
    state: text().notNull(),
    message: text(),
    taskId: uuid(),
    startedAt: ts(),
    finishedAt: ts(),
    /** The worker as the OC saw it when the step began (StepBaseline, startedAt as ISO text). */
    baseline: jsonb().$type<StoredStepBaseline>(),
    /** What this step deploys when it differs per worker (a rollback's steps); null: the command's artifact. */
    artifact: jsonb().$type<ArtifactSpec>(),
  },
  (t) => [primaryKey({ columns: [t.commandId, t.index] })],
);

/** A command's history: every transition with its reason. */
export const commandEvents = snakeCase.table(
  'command_events',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    commandId: uuid()
      .notNull()
      .references(() => commands.id, { onDelete: 'cascade' }),
    at: ts().notNull().defaultNow(),
    state: text().notNull(),
    message: text().notNull(),
  },
  (t) => [index('command_events_command_idx').on(t.commandId, t.id)],
);

export const managerTasks = snakeCase.table(
  'manager_tasks',
  {
    id: uuid().primaryKey().defaultRandom(),
    commandId: uuid()
      .notNull()
      .references(() => commands.id, { onDelete: 'cascade' }),
    clusterId: uuid()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    action: text().notNull(),
    memberIds: jsonb().$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    artifact: jsonb().$type<ArtifactSpec>(),
    operation: text(),
    arguments: jsonb(),
    state: text().notNull(),
    message: text(),
    result: jsonb(),
    deliveries: integer().notNull().default(0),
    createdAt: ts().notNull().defaultNow(),
    updatedAt: ts().notNull().defaultNow(),
  },
  (t) => [index('manager_tasks_cluster_state_idx').on(t.clusterId, t.state), index('manager_tasks_command_idx').on(t.commandId)],
);

/**
 * Who did what, when, and how it ended: one row per mutation of a person or a manager's
 * registration (managers' report mutations are not recorded). Arguments are stored without
 * secrets. Rows are only ever added, and deleted once older than OC_AUDIT_RETENTION_DAYS.
 */
export const auditLog = snakeCase.table(
  'audit_log',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    at: ts().notNull().defaultNow(),
    /** 'token', 'session' (a manager session) or 'bootstrap' (OC_ADMIN_TOKEN). */
    actorKind: text().notNull(),
    /** The API token's id (null for the bootstrap token and manager sessions). */
    actorTokenId: uuid(),
    actorName: text().notNull(),
    actorRole: text().notNull(),
    /** The mutation's field name, e.g. restartCluster. */
    action: text().notNull(),
    /** What it was aimed at, as the caller named it: a global id or a name. */
    target: text(),
    args: jsonb(),
    /** DONE, or the error code it ended with (CONFLICT, VALIDATION, FORBIDDEN, ...). */
    outcome: text().notNull(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at),
    index('audit_log_actor_name_idx').on(t.actorName, t.id),
    index('audit_log_actor_token_idx').on(t.actorTokenId, t.id),
    index('audit_log_action_idx').on(t.action, t.id),
  ],
);

/**
 * The event log: every membership, topology and command event, in commit order, so a client
 * can resume from a position (API.md, "The event log"). Positions are dense and assigned under
 * the row lock of `event_log_head`, held to commit: a position is visible only once every
 * smaller one is. Pruned from the oldest end (OC_EVENT_RETENTION_HOURS).
 */
export const eventLog = snakeCase.table(
  'event_log',
  {
    position: bigint({ mode: 'bigint' }).primaryKey(),
    /** The bus topic: 'membership', 'topology' or 'command'. */
    topic: text().notNull(),
    /** The cluster it concerns (null for a system-wide PATCH parent). No foreign key: history outlives a removed cluster. */
    clusterId: uuid(),
    /**
     * The bus payload as JSON (dates as ISO-8601 text), whatever fields it has. `json`, not
     * `jsonb`: stored and read back as the text it is (no binary conversion either way, on the
     * hot path and on replay), and still queryable with the JSON operators.
     */
    payload: json().notNull(),
    at: ts().notNull().defaultNow(),
  },
  (t) => [index('event_log_cluster_idx').on(t.clusterId, t.position)],
);

/** One row: the last position handed out. Its row lock orders appends by commit. */
export const eventLogHead = snakeCase.table('event_log_head', {
  id: integer().primaryKey(),
  position: bigint({ mode: 'bigint' }).notNull(),
});
