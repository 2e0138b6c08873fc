import { and, asc, desc, eq, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { ROLLOUT_KINDS } from '../../domain/rollout/kinds.js';
import { storedStrategy } from '../../domain/rollout/strategy.js';
import type { ArtifactSpec, Command, CommandEvent, CommandHold, CommandKind, CommandState, CommandStep, ManagerTask, RolloutStrategy, StepBaseline, StepState, TaskAction, TaskState } from '../../domain/types.js';
import type { Db, NamedStatement } from '../client.js';
import { runNamed } from '../named.js';
import { queryRows } from '../query.js';
import { rawDate, rawJson, rawNumber, rawString } from '../raw.js';
import { send } from '../transaction.js';
import { commandEvents, commands, commandSteps, managerTasks, type StoredCommandHold, type StoredStepBaseline } from '../schema/index.js';

const toHold = (h: StoredCommandHold | null): CommandHold | null => (h ? { reason: h.reason, since: new Date(h.since), by: h.by } : null);
const fromHold = (h: CommandHold | null): StoredCommandHold | null => (h ? { reason: h.reason, since: h.since.toISOString(), by: h.by } : null);
const toCommand = (r: typeof commands.$inferSelect): Command => ({
  ...r,
  kind: r.kind as CommandKind,
  state: r.state as CommandState,
  hold: toHold(r.hold),
  // Commands stored before a strategy field existed read with its default.
  strategy: storedStrategy(r.strategy),
});
const toDate = (d: string | null) => (d === null ? null : new Date(d));
/** A stored baseline as the domain's (its dates revived); shared with rollout-state.ts's one-statement read. */
export const toBaseline = (b: StoredStepBaseline | null): StepBaseline | null =>
  b
    ? {
        workerId: b.workerId,
        state: b.state,
        startedAt: toDate(b.startedAt),
        stateChanges: b.stateChanges,
        ...(b.proven ? { proven: { at: new Date(b.proven.at), workerId: b.proven.workerId, startedAt: toDate(b.proven.startedAt), stateChanges: b.proven.stateChanges } } : {}),
        ...(b.previousVersion !== undefined ? { previousVersion: b.previousVersion } : {}),
      }
    : null;
const fromBaseline = (b: StepBaseline | null): StoredStepBaseline | null =>
  b
    ? {
        workerId: b.workerId,
        state: b.state,
        startedAt: b.startedAt ? b.startedAt.toISOString() : null,
        stateChanges: b.stateChanges,
        ...(b.proven ? { proven: { at: b.proven.at.toISOString(), workerId: b.proven.workerId, startedAt: b.proven.startedAt?.toISOString() ?? null, stateChanges: b.proven.stateChanges } } : {}),
        ...(b.previousVersion !== undefined ? { previousVersion: b.previousVersion } : {}),
      }
    : null;
/** A step's baseline as it reads back once stored (what a later read of the step gives). */
export const asStoredBaseline = (b: StepBaseline): StepBaseline => toBaseline(fromBaseline(b))!;
const toStep = (r: typeof commandSteps.$inferSelect): CommandStep => ({ ...r, state: r.state as StepState, baseline: toBaseline(r.baseline) });
const toTask = (r: typeof managerTasks.$inferSelect): ManagerTask => ({ ...r, action: r.action as TaskAction, state: r.state as TaskState });

export const ACTIVE_STATES: CommandState[] = ['PENDING', 'RUNNING', 'PAUSED'];

/** How many commands there are of each kind in each state (for the metrics' gauge). */
export async function countCommandsByKindAndState(db: Db): Promise<{ kind: string; state: string; n: number }[]> {
  return db.select({ kind: commands.kind, state: commands.state, n: sql<number>`count(*)::int` }).from(commands).groupBy(commands.kind, commands.state);
}

export interface NewCommand {
  kind: CommandKind;
  state: CommandState;
  clusterId: string | null;
  parentId?: string | null;
  strategy: RolloutStrategy;
  artifact?: ArtifactSpec | null;
  kinds?: string[] | null;
  maxParallelClusters?: number | null;
  operation?: string | null;
  arguments?: unknown;
  rollbackOf?: string | null;
  requestedBy: string;
  message?: string | null;
  startedAt?: Date | null;
  createdAt?: Date;
}

export async function insertCommand(db: Db, v: NewCommand): Promise<Command> {
  const [r] = await db.insert(commands).values(v).returning();
  return toCommand(r!);
}

export async function insertSteps(db: Db, commandId: string, memberIds: readonly string[]): Promise<void> {
  for (let i = 0; i < memberIds.length; i += 1000) {
    await db.insert(commandSteps).values(memberIds.slice(i, i + 1000).map((memberId, j) => ({ commandId, index: i + j, memberId, state: 'PENDING' })));
  }
}

/** Steps planned with what each deploys and the state each starts in (a rollback's: PENDING, or SKIPPED with why). */
export async function insertTargetedSteps(
  db: Db,
  commandId: string,
  steps: readonly { memberId: string; artifact: ArtifactSpec | null; state: StepState; message: string | null; finishedAt: Date | null }[],
): Promise<void> {
  for (let i = 0; i < steps.length; i += 1000) {
    await db.insert(commandSteps).values(steps.slice(i, i + 1000).map((s, j) => ({ commandId, index: i + j, ...s })));
  }
}

/** The newest rollback of each of these commands (rollbackOf = id). */
export async function findRollbacksOf(db: Db, ids: readonly string[]): Promise<Command[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select()
    .from(commands)
    .where(inArray(commands.rollbackOf, [...ids]))
    .orderBy(desc(commands.createdAt), desc(commands.id));
  const seen = new Set<string>();
  return rows.map(toCommand).filter((c) => !seen.has(c.rollbackOf!) && seen.add(c.rollbackOf!));
}

/** An artifact the OC handed to a manager before, and to which worker. */
export interface KnownArtifact extends ArtifactSpec {
  memberId: string;
}

/**
 * Where the OC deployed `name` before, for each wanted (member of `clusterId`, version): that
 * member's own latest deploy of it (a step whose task was handed over, the SUCCEEDED ones first);
 * and for a version some member has none of its own of, the latest deploy of it anywhere (memberId '').
 */
export async function findDeployedArtifacts(db: Db, clusterId: string, name: string, wanted: readonly { memberId: string; version: string }[]): Promise<KnownArtifact[]> {
  if (wanted.length === 0) return [];
  type Row = { member_id: string; a: ArtifactSpec | string };
  const target = sql`coalesce(s.artifact, c.artifact)`;
  const deploysOf = (versions: readonly string[]) => sql`from command_steps s join commands c on c.id = s.command_id
    where s.task_id is not null and ${target}->>'name' = ${name} and ${target}->>'version' = any(${sql.param([...new Set(versions)])}::text[])`;
  const own = await queryRows<Row>(
    db,
    sql`select distinct on (s.member_id, ${target}->>'version') s.member_id, ${target} as a ${deploysOf(wanted.map((w) => w.version))}
      and c.cluster_id = ${clusterId} and s.member_id = any(${sql.param([...new Set(wanted.map((w) => w.memberId))])}::text[])
      order by s.member_id, ${target}->>'version', (s.state = 'SUCCEEDED') desc, s.started_at desc`,
  );
  const found = own.map((r) => ({ memberId: r.member_id, ...artifactOf(r.a) }));
  const missing = wanted.filter((w) => !found.some((f) => f.memberId === w.memberId && f.version === w.version)).map((w) => w.version);
  if (missing.length === 0) return found;
  const anywhere = await queryRows<Row>(
    db,
    sql`select distinct on (${target}->>'version') '' as member_id, ${target} as a ${deploysOf(missing)}
      order by ${target}->>'version', (s.state = 'SUCCEEDED') desc, s.started_at desc`,
  );
  return [...found, ...anywhere.map((r) => ({ memberId: r.member_id, ...artifactOf(r.a) }))];
}

/** An artifact read back from jsonb (a parsed object, or its text on drivers that leave it so). */
function artifactOf(a: ArtifactSpec | string): ArtifactSpec {
  const v = rawJson<ArtifactSpec>(a);
  return { name: v.name, version: v.version, url: v.url, sha256: v.sha256 };
}

export async function findCommandsByIds(db: Db, ids: readonly string[]): Promise<Command[]> {
  if (ids.length === 0) return [];
  return (await db.select().from(commands).where(inArray(commands.id, [...ids]))).map(toCommand);
}

/**
 * Locks a command for the rest of the transaction, or returns null if another driver holds it (or
 * it is gone). Sent when called, not on the next microtask (as awaiting drizzle's query would): a
 * statement the caller sends next runs once the lock is held.
 */
export async function lockCommand(db: Db, id: string, opts: { skipLocked: boolean }): Promise<Command | null> {
  const q = db.select().from(commands).where(eq(commands.id, id));
  const [r] = await (opts.skipLocked ? q.for('update', { skipLocked: true }) : q.for('update')).limit(1).execute();
  return r ? toCommand(r) : null;
}

/**
 * Active commands the driver should look at: woken by time, or all of them on a full sweep. A
 * PATCH child not started yet is its parent's to start, and never listed (hundreds of them wait
 * while a patch goes through its waves).
 */
export async function listActiveCommandIds(db: Db, opts: { dueBy?: Date }): Promise<{ id: string; kind: CommandKind; parentId: string | null }[]> {
  const conds: SQL[] = [inArray(commands.state, ACTIVE_STATES), sql`not (${commands.state} = 'PENDING' and ${commands.parentId} is not null)`];
  if (opts.dueBy) conds.push(lte(commands.wakeAt, opts.dueBy));
  const rows = await db.select({ id: commands.id, kind: commands.kind, parentId: commands.parentId }).from(commands).where(and(...conds)).orderBy(asc(commands.createdAt));
  return rows.map((r) => ({ ...r, kind: r.kind as CommandKind }));
}

export async function findActiveRollout(db: Db, clusterId: string): Promise<Command | null> {
  const [r] = await db
    .select()
    .from(commands)
    .where(and(eq(commands.clusterId, clusterId), inArray(commands.state, ACTIVE_STATES), inArray(commands.kind, [...ROLLOUT_KINDS])))
    .limit(1);
  return r ? toCommand(r) : null;
}

async function activeRollouts(db: Db, clusterIds: readonly string[]): Promise<{ id: string; clusterId: string | null }[]> {
  if (clusterIds.length === 0) return [];
  return db
    .select({ id: commands.id, clusterId: commands.clusterId })
    .from(commands)
    .where(and(inArray(commands.clusterId, [...clusterIds]), inArray(commands.state, ACTIVE_STATES), inArray(commands.kind, [...ROLLOUT_KINDS])));
}

/** The active rollouts (commands of a rollout kind, not finished) of these clusters. */
export async function findActiveRolloutIdsByClusters(db: Db, clusterIds: readonly string[]): Promise<string[]> {
  return (await activeRollouts(db, clusterIds)).map((r) => r.id);
}

/** Which of these clusters have an active rollout. */
export async function findActiveRolloutClusterIds(db: Db, clusterIds: readonly string[]): Promise<string[]> {
  return (await activeRollouts(db, clusterIds)).map((r) => r.clusterId!);
}

export type CommandPatch = Partial<
  Pick<Command, 'state' | 'message' | 'startedAt' | 'finishedAt' | 'pauseRequested' | 'pauseRequestedBy' | 'cancelRequested' | 'acceptedFailures' | 'wakeAt' | 'result' | 'hold' | 'promotedAt' | 'resumedAt'>
>;

/** updateCommand as a statement to run with others (writeTogether). */
export function updateCommandStatement(db: Db, id: string, patch: CommandPatch, now: Date): SQL {
  const { hold, ...rest } = patch;
  return db
    .update(commands)
    .set({ ...rest, ...(hold !== undefined ? { hold: fromHold(hold) } : {}), updatedAt: now })
    .where(eq(commands.id, id))
    .getSQL();
}

export async function updateCommand(db: Db, id: string, patch: CommandPatch, now: Date): Promise<Command> {
  const { hold, ...rest } = patch;
  const [r] = await db
    .update(commands)
    .set({ ...rest, ...(hold !== undefined ? { hold: fromHold(hold) } : {}), updatedAt: now })
    .where(eq(commands.id, id))
    .returning();
  return toCommand(r!);
}

/**
 * Updates commands only where they are still in the state their writer saw, without waiting for
 * anyone's view of them to be current (a PATCH parent writing children it did not lock); returns
 * the ids written (a missing one had moved on).
 */
export async function updateCommandsInState(db: Db, ids: readonly string[], seen: CommandState, patch: CommandPatch, now: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const { hold, ...rest } = patch;
  const rows = await db
    .update(commands)
    .set({ ...rest, ...(hold !== undefined ? { hold: fromHold(hold) } : {}), updatedAt: now })
    .where(and(inArray(commands.id, [...ids]), eq(commands.state, seen)))
    .returning({ id: commands.id });
  return rows.map((r) => r.id);
}

export async function listChildren(db: Db, parentIds: readonly string[]): Promise<Command[]> {
  if (parentIds.length === 0) return [];
  return (
    await db
      .select()
      .from(commands)
      .where(inArray(commands.parentId, [...parentIds]))
      .orderBy(asc(commands.createdAt), asc(commands.id))
  ).map(toCommand);
}

export interface CommandFilter {
  clusterId?: string | null;
  state?: CommandState | null;
  kind?: CommandKind | null;
  topLevelOnly?: boolean;
}

/** Newest first; the cursor is (createdAt, id) of the last row seen. */
export async function listCommands(db: Db, f: CommandFilter, page: { first: number; after: { createdAt: Date; id: string } | null }) {
  const conds: SQL[] = [];
  if (f.clusterId) conds.push(eq(commands.clusterId, f.clusterId));
  if (f.state) conds.push(eq(commands.state, f.state));
  if (f.kind) conds.push(eq(commands.kind, f.kind));
  if (f.topLevelOnly) conds.push(isNull(commands.parentId));
  const where = conds.length ? and(...conds) : undefined;
  const pageConds = [...conds];
  if (page.after) {
    pageConds.push(
      sql`(${commands.createdAt}, ${commands.id}) < (${page.after.createdAt.toISOString()}::timestamptz, ${page.after.id}::uuid)`,
    );
  }
  const [rows, total] = await Promise.all([
    db
      .select()
      .from(commands)
      .where(pageConds.length ? and(...pageConds) : undefined)
      .orderBy(desc(commands.createdAt), desc(commands.id))
      .limit(page.first + 1),
    db.select({ n: sql<number>`count(*)::int` }).from(commands).where(where),
  ]);
  return { commands: rows.slice(0, page.first).map(toCommand), hasNextPage: rows.length > page.first, totalCount: total[0]?.n ?? 0 };
}

// ---------- steps ----------

export async function listSteps(db: Db, commandIds: readonly string[]): Promise<CommandStep[]> {
  if (commandIds.length === 0) return [];
  return (
    await db
      .select()
      .from(commandSteps)
      .where(inArray(commandSteps.commandId, [...commandIds]))
      .orderBy(asc(commandSteps.commandId), asc(commandSteps.index))
  ).map(toStep);
}

/**
 * Writes many steps of one command in one statement (each given whole: every column is set, but
 * a null `baseline` keeps the stored one: a step's baseline is set when it starts and only ever
 * replaced, and rewriting the unchanged ones was half of a batch's step write, see writeStepsStatement).
 */
export async function writeSteps(
  db: Db,
  commandId: string,
  steps: readonly Pick<CommandStep, 'index' | 'state' | 'message' | 'startedAt' | 'finishedAt' | 'taskId' | 'baseline'>[],
): Promise<void> {
  if (steps.length === 0) return;
  await db.execute(writeStepsStatement(commandId, steps));
}

/**
 * writeSteps as a statement to run with others (writeTogether). A null baseline keeps the stored
 * one: the driver passes only the baselines its decision set (a batch's end rewrote a hundred
 * unchanged ones, about half of the statement's parameters in bench/rollout.ts's restart).
 * A step given `from` is written only if it is still in that state (writeTogether's `expect`
 * makes a step that moved fail the statement). Whoever writes a command's steps writes its row in
 * the same transaction (its version: rollout-state.ts).
 */
export function writeStepsStatement(
  commandId: string,
  steps: readonly (Pick<CommandStep, 'index' | 'state' | 'message' | 'startedAt' | 'finishedAt' | 'taskId' | 'baseline'> & { from?: StepState })[],
): SQL {
  // The steps as one JSON parameter, not one array per column: drizzle walks every parameter of a
  // statement to build it, and node-postgres escapes every element of an array parameter; a
  // batch's hundred steps in seven arrays were half of an advance's JavaScript between its plan
  // and its write (bench/rollout.ts's restart). Dates go as ISO texts (Date#toJSON).
  const rows = steps.map((x) => ({ i: x.index, s: x.state, m: x.message, a: x.startedAt, f: x.finishedAt, t: x.taskId, b: fromBaseline(x.baseline), p: x.from ?? null }));
  return sql`update command_steps s set state = u.s, message = u.m, started_at = u.a, finished_at = u.f, task_id = u.t, baseline = coalesce(u.b, s.baseline)
    from json_to_recordset(${JSON.stringify(rows)}::json) as u(i int, s text, m text, a timestamptz, f timestamptz, t uuid, b jsonb, p text)
    where s.command_id = ${commandId} and s.index = u.i and (u.p is null or s.state = u.p) returning 1`;
}

/** Progress counts of several commands in one statement. */
export async function countSteps(db: Db, commandIds: readonly string[]): Promise<Map<string, Record<StepState, number>>> {
  const out = new Map<string, Record<StepState, number>>();
  if (commandIds.length === 0) return out;
  const rows = await db
    .select({ commandId: commandSteps.commandId, state: commandSteps.state, n: sql<number>`count(*)::int` })
    .from(commandSteps)
    .where(inArray(commandSteps.commandId, [...commandIds]))
    .groupBy(commandSteps.commandId, commandSteps.state);
  for (const r of rows) {
    let m = out.get(r.commandId);
    if (!m) out.set(r.commandId, (m = { PENDING: 0, RUNNING: 0, SUCCEEDED: 0, FAILED: 0, SKIPPED: 0 }));
    m[r.state as StepState] = r.n;
  }
  return out;
}

// ---------- tasks ----------

export async function insertTask(
  db: Db,
  v: { commandId: string; clusterId: string; action: TaskAction; memberIds: string[]; artifact?: ArtifactSpec | null; operation?: string | null; arguments?: unknown; createdAt: Date },
): Promise<ManagerTask> {
  const [r] = await db
    .insert(managerTasks)
    .values({ ...v, state: 'PENDING', updatedAt: v.createdAt })
    .returning();
  return toTask(r!);
}

/** A new rollout task as a statement to run with others (writeTogether): the caller made its id, and has the row it writes. */
export function insertTaskStatement(db: Db, t: Pick<ManagerTask, 'id' | 'commandId' | 'clusterId' | 'action' | 'memberIds' | 'artifact' | 'state' | 'createdAt' | 'updatedAt'>): SQL {
  return db
    .insert(managerTasks)
    .values({
      id: t.id,
      commandId: t.commandId,
      clusterId: t.clusterId,
      action: t.action,
      memberIds: t.memberIds,
      artifact: t.artifact,
      // A rollout's task: no operation, arguments, message or result yet, delivered to no one
      // (the columns' defaults, as the caller's row says).
      state: t.state,
      createdAt: t.createdAt,
      updatedAt: t.updatedAt,
    })
    .getSQL();
}

/** Tasks ended with one state and message, as a statement to run with others (writeTogether). */
export function endTasksStatement(db: Db, ids: readonly string[], patch: Pick<ManagerTask, 'state' | 'message'>, now: Date): SQL {
  return db
    .update(managerTasks)
    .set({ ...patch, updatedAt: now })
    .where(inArray(managerTasks.id, [...ids]))
    .getSQL();
}

export async function findTasksByIds(db: Db, ids: readonly string[]): Promise<ManagerTask[]> {
  if (ids.length === 0) return [];
  return (await db.select().from(managerTasks).where(inArray(managerTasks.id, [...ids]))).map(toTask);
}

export async function lockTask(db: Db, id: string): Promise<ManagerTask | null> {
  const [r] = await db.select().from(managerTasks).where(eq(managerTasks.id, id)).for('update').limit(1);
  return r ? toTask(r) : null;
}

export async function listTasksByCommands(db: Db, commandIds: readonly string[]): Promise<ManagerTask[]> {
  if (commandIds.length === 0) return [];
  return (
    await db
      .select()
      .from(managerTasks)
      .where(inArray(managerTasks.commandId, [...commandIds]))
      .orderBy(asc(managerTasks.createdAt), asc(managerTasks.id))
  ).map(toTask);
}

/** What a (re)connecting manager must pick up: its cluster's tasks not finished yet, oldest first. */
export async function listUnfinishedTasks(db: Db, clusterId: string): Promise<ManagerTask[]> {
  return (
    await db
      .select()
      .from(managerTasks)
      .where(and(eq(managerTasks.clusterId, clusterId), inArray(managerTasks.state, ['PENDING', 'ACCEPTED'])))
      .orderBy(asc(managerTasks.createdAt), asc(managerTasks.id))
  ).map(toTask);
}

export async function updateTask(db: Db, id: string, patch: Partial<Pick<ManagerTask, 'state' | 'message' | 'result'>>, now: Date): Promise<ManagerTask> {
  const [r] = await db
    .update(managerTasks)
    .set({ ...patch, updatedAt: now })
    .where(eq(managerTasks.id, id))
    .returning();
  return toTask(r!);
}

/**
 * A manager's report on a rollout task (not an operation's: its answer ends its command), in one
 * statement: written only if the task is this cluster's, unfinished, and the report moves it on
 * (an ACCEPTED task reported ACCEPTED again does not); null otherwise (the caller then looks at
 * the task under its lock).
 */
export async function reportRolloutTask(
  db: Db,
  id: string,
  clusterId: string,
  patch: Pick<ManagerTask, 'state' | 'message' | 'result'>,
  now: Date,
): Promise<ManagerTask | null> {
  const open = patch.state === 'ACCEPTED' ? ['PENDING'] : ['PENDING', 'ACCEPTED'];
  const result = patch.result === null || patch.result === undefined ? null : JSON.stringify(patch.result);
  const [r] = await runNamed(db, REPORT_ROLLOUT_TASK, [id, clusterId, patch.state, patch.message, result, now.toISOString(), open]);
  return r ? rawTask(r) : null;
}

export async function countDeliveries(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await runNamed(db, COUNT_DELIVERIES, [ids]);
}

/*
 * A patch makes two task reports and one delivery count per batch per cluster: as named statements
 * they are neither built by drizzle (86 µs for the report's update, measured in a loop) nor parsed
 * and planned by PostgreSQL each time. The row comes back as text (the json columns cast, so both
 * drivers give their text), converted by rawTask.
 */
const TASK_COLUMNS = 'id, command_id, cluster_id, action, member_ids::text, artifact::text, operation, arguments::text, state, message, result::text, deliveries, created_at, updated_at';
const REPORT_ROLLOUT_TASK: NamedStatement = {
  name: 'oc_report_rollout_task',
  text: `update manager_tasks set state = $3, message = $4, result = $5::jsonb, updated_at = $6::timestamptz
    where id = $1::uuid and cluster_id = $2::uuid and action <> 'RUN_OPERATION' and state = any($7::text[])
    returning ${TASK_COLUMNS}`,
};
const COUNT_DELIVERIES: NamedStatement = { name: 'oc_count_deliveries', text: 'update manager_tasks set deliveries = deliveries + 1 where id = any($1::uuid[])' };
const rawTask = (r: unknown[]): ManagerTask => ({
  id: rawString(r[0]),
  commandId: rawString(r[1]),
  clusterId: rawString(r[2]),
  action: rawString(r[3]) as TaskAction,
  memberIds: rawJson(r[4]) as string[],
  artifact: rawJson(r[5]) as ArtifactSpec | null,
  operation: r[6] === null ? null : rawString(r[6]),
  arguments: rawJson(r[7]),
  state: rawString(r[8]) as TaskState,
  message: r[9] === null ? null : rawString(r[9]),
  result: rawJson(r[10]),
  deliveries: rawNumber(r[11]),
  createdAt: rawDate(r[12]),
  updatedAt: rawDate(r[13]),
});

// ---------- history ----------

/**
 * insertEvents as a statement to run with others (writeTogether): the rows as one JSON parameter
 * (a batch's end writes a line per step: four parameters each for drizzle to walk), inserted in
 * their order (the history is read back by id).
 */
export function insertEventsStatement(rows: readonly { commandId: string; at: Date; state: string; message: string }[]): SQL {
  const json = JSON.stringify(rows.map((r) => ({ c: r.commandId, a: r.at, s: r.state, m: r.message })));
  return sql`insert into command_events (command_id, at, state, message)
    select e.c, e.a, e.s, e.m from rows from (json_to_recordset(${json}::json) as (c uuid, a timestamptz, s text, m text)) with ordinality as e(c, a, s, m, n) order by e.n`;
}

/**
 * Runs writes to different rows as one statement (each a data-modifying WITH query): one round
 * trip instead of one each. An advance that starts a batch wrote its task, its steps, its command
 * and its history in four; under load each round trip costs a wait for the CPU on both sides
 * (bench/rollout.ts). The writes see the same snapshot and not each other's effects: none may
 * depend on another, nor touch the same row. In a transaction of transaction.ts the statement is
 * not awaited (`send`): it leaves with what follows it (the event-log append and COMMIT), and
 * fails the transaction if it fails.
 */
export async function writeTogether(db: Db, statements: readonly SQL[], expect?: { statement: SQL; rows: number }): Promise<void> {
  if (statements.length === 0) return;
  if (statements.length === 1 && !expect) {
    await send(db, statements[0]!);
    return;
  }
  const parts = statements.map((s, i) => sql`${sql.raw(`w${i}`)} as (${s})`);
  // A write that must hit `rows` rows (each `returning 1`) fails the whole statement otherwise,
  // with a message saying so (STEPS_MOVED): a cast of a text computed at run time, which the
  // planner cannot fold into an error of every execution.
  const at = expect ? statements.indexOf(expect.statement) : -1;
  if (expect && at < 0) throw new Error('writeTogether: the expected statement is not among the statements');
  const check = expect
    ? sql`select (case when (select count(*) from ${sql.raw(`w${at}`)}) = ${expect.rows} then '1' else ${`${STEPS_MOVED}: `}::text || (select count(*) from ${sql.raw(`w${at}`)})::text || ${` of ${expect.rows}`}::text end)::int`
    : sql`select 1`;
  await send(db, sql`with ${sql.join(parts, sql`, `)} ${check}`);
}

/** The error text of a write that found steps no longer in the state it was planned from (writeTogether). */
export const STEPS_MOVED = 'steps moved under the planner';

export async function insertEvents(db: Db, rows: readonly { commandId: string; at: Date; state: string; message: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insert(commandEvents).values([...rows]);
}

export async function listEvents(db: Db, commandIds: readonly string[]): Promise<CommandEvent[]> {
  if (commandIds.length === 0) return [];
  return db
    .select()
    .from(commandEvents)
    .where(inArray(commandEvents.commandId, [...commandIds]))
    .orderBy(asc(commandEvents.id));
}
