import type { ArtifactSpec, Command, CommandEvent, CommandHold, CommandStep, RolloutStrategy, StepState } from '../../domain/types.js';
import { ValidationError } from '../../domain/errors.js';
import { HOLD_MESSAGES } from '../../domain/rollout/holds.js';
import { kindSpec } from '../../domain/rollout/kinds.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { COMMAND_PAGE, connectionOf, decodeCursor, encodeCursor, listSizeExtensions, pageSize, parseId, UUID } from '../ids.js';
import { ClusterRef } from './cluster.js';
import { CommandKindEnum, CommandStateEnum, FailureActionEnum, HoldReasonEnum, StepStateEnum } from './enums.js';
import { asResult, ConflictErrorRef, NotFoundErrorRef, payload, resultUnion, ValidationErrorRef } from './errors.js';
import { AFTER_ARG, AFTER_DOC, type DeliveredCommand } from './event-log.js';
import { ManagerTaskRef } from './manager-task.js';
import { WorkerRef } from './worker.js';

export const ArtifactRef = builder.objectRef<ArtifactSpec>('Artifact').implement({
  fields: (t) => ({ name: t.exposeString('name'), version: t.exposeString('version'), url: t.exposeString('url'), sha256: t.exposeString('sha256') }),
});

const RolloutStrategyRef = builder.objectRef<RolloutStrategy>('RolloutStrategy').implement({
  fields: (t) => ({
    batchSize: t.exposeInt('batchSize'),
    healthTimeoutMs: t.exposeInt('healthTimeoutMs'),
    pauseBetweenBatchesMs: t.exposeInt('pauseBetweenBatchesMs'),
    maxFailures: t.exposeInt('maxFailures'),
    onFailure: t.field({ type: FailureActionEnum, resolve: (s) => s.onFailure }),
    canary: t.exposeInt('canary', { nullable: true }),
    autoPromoteAfterMs: t.exposeInt('autoPromoteAfterMs', { nullable: true }),
    minHealthyMs: t.exposeInt('minHealthyMs'),
    progressDeadlineMs: t.exposeInt('progressDeadlineMs', { nullable: true }),
    autoRevert: t.exposeBoolean('autoRevert'),
  }),
});

type StepWithCluster = CommandStep & { clusterId: string | null; commandArtifact: ArtifactSpec | null };
const CommandStepRef = builder.objectRef<StepWithCluster>('CommandStep').implement({
  fields: (t) => ({
    index: t.exposeInt('index'),
    memberId: t.exposeString('memberId'),
    worker: t.field({
      type: WorkerRef,
      nullable: true,
      description: 'null once the worker has left the cluster',
      resolve: (s, _a, ctx) => (s.clusterId ? ctx.loaders.workerByMember.load(`${s.clusterId}/${s.memberId}`) : null),
    }),
    state: t.field({ type: StepStateEnum, resolve: (s) => s.state }),
    message: t.exposeString('message', { nullable: true }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.finishedAt }),
    artifact: t.field({
      type: ArtifactRef,
      nullable: true,
      description: "what this step deploys: its command's artifact, or its own in a rollback (whose workers go back to different versions); null for a restart",
      resolve: (s) => s.artifact ?? s.commandArtifact,
    }),
  }),
});

const ProgressRef = builder.objectRef<Record<StepState, number>>('Progress').implement({
  fields: (t) => ({
    total: t.int({ resolve: (p) => p.PENDING + p.RUNNING + p.SUCCEEDED + p.FAILED + p.SKIPPED }),
    pending: t.int({ resolve: (p) => p.PENDING }),
    running: t.int({ resolve: (p) => p.RUNNING }),
    succeeded: t.int({ resolve: (p) => p.SUCCEEDED }),
    failed: t.int({ resolve: (p) => p.FAILED }),
    skipped: t.int({ resolve: (p) => p.SKIPPED }),
  }),
});

const CommandEventRef = builder.objectRef<CommandEvent>('CommandEvent').implement({
  description: "one line of a command's history: a transition and its reason",
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    state: t.field({ type: CommandStateEnum, resolve: (e) => e.state as Command['state'] }),
    message: t.exposeString('message'),
  }),
});

const CommandHoldRef = builder.objectRef<CommandHold & { message: string | null }>('CommandHold').implement({
  description: 'why a command waits (PAUSED, or RUNNING but starting no batch)',
  fields: (t) => ({
    reason: t.field({ type: HoldReasonEnum, resolve: (h) => h.reason }),
    since: t.field({ type: 'DateTime', description: 'when it began to wait', resolve: (h) => h.since }),
    by: t.exposeString('by', { nullable: true, description: 'who asked for it; null when the OC holds the command itself' }),
    message: t.string({ description: 'for people', resolve: (h) => h.message ?? HOLD_MESSAGES[h.reason] }),
  }),
});

export const CommandRef = builder.objectRef<Command>('Command');

async function progressOf(c: Command, ctx: GraphQLContext): Promise<Record<StepState, number>> {
  if (kindSpec(c.kind).driver !== 'patch') return ctx.loaders.stepCounts.load(c.id);
  const children = await ctx.loaders.children.load(c.id);
  const counts = await Promise.all(children.map((ch) => ctx.loaders.stepCounts.load(ch.id)));
  const sum: Record<StepState, number> = { PENDING: 0, RUNNING: 0, SUCCEEDED: 0, FAILED: 0, SKIPPED: 0 };
  for (const c2 of counts) for (const k of Object.keys(sum) as StepState[]) sum[k] += c2[k];
  return sum;
}

builder.node(CommandRef, {
  id: { resolve: (c) => c.id },
  loadMany: (ids, ctx) => ctx.loaders.command.loadMany(ids) as Promise<(Command | null)[]>,
  fields: (t) => ({
    kind: t.field({ type: CommandKindEnum, resolve: (c) => c.kind }),
    state: t.field({ type: CommandStateEnum, resolve: (c) => c.state }),
    cluster: t.field({ type: ClusterRef, nullable: true, description: 'null on a system-wide PATCH parent', resolve: (c, _a, ctx) => (c.clusterId ? ctx.loaders.cluster.load(c.clusterId) : null) }),
    parent: t.field({ type: CommandRef, nullable: true, resolve: (c, _a, ctx) => (c.parentId ? ctx.loaders.command.load(c.parentId) : null) }),
    children: t.field({ type: [CommandRef], description: "a PATCH's per-cluster commands", resolve: (c, _a, ctx) => (kindSpec(c.kind).driver === 'patch' ? ctx.loaders.children.load(c.id) : []) }),
    rollbackOf: t.field({
      type: CommandRef,
      nullable: true,
      description: 'the command this one rolls back (rollbackCommand, or an auto-revert)',
      resolve: (c, _a, ctx) => (c.rollbackOf ? ctx.loaders.command.load(c.rollbackOf) : null),
    }),
    rolledBackBy: t.field({ type: CommandRef, nullable: true, description: 'the latest rollback of this command', resolve: (c, _a, ctx) => ctx.loaders.rolledBackBy.load(c.id) }),
    strategy: t.field({ type: RolloutStrategyRef, resolve: (c) => c.strategy }),
    artifact: t.field({ type: ArtifactRef, nullable: true, resolve: (c) => c.artifact }),
    operation: t.exposeString('operation', { nullable: true }),
    arguments: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.arguments ?? null }),
    result: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.result ?? null }),
    steps: t.field({
      type: [CommandStepRef],
      description: 'one per worker, in rollout order',
      resolve: async (c, _a, ctx) => (await ctx.loaders.steps.load(c.id)).map((s) => ({ ...s, clusterId: c.clusterId, commandArtifact: c.artifact })),
    }),
    tasks: t.field({ type: [ManagerTaskRef], description: 'what was handed to the manager, batch by batch', resolve: (c, _a, ctx) => ctx.loaders.tasks.load(c.id) }),
    progress: t.field({ type: ProgressRef, resolve: (c, _a, ctx) => progressOf(c, ctx) }),
    history: t.field({ type: [CommandEventRef], description: 'every transition with its reason, oldest first', resolve: (c, _a, ctx) => ctx.loaders.history.load(c.id) }),
    pauseRequested: t.exposeBoolean('pauseRequested', { description: 'a pause waits for the batch in flight' }),
    cancelRequested: t.exposeBoolean('cancelRequested', { description: 'a cancel waits for the batch in flight' }),
    requestedBy: t.exposeString('requestedBy', { description: 'the token name that asked for it' }),
    message: t.exposeString('message', { nullable: true }),
    hold: t.field({ type: CommandHoldRef, nullable: true, description: 'why it waits; null when it does not', resolve: (c) => (c.hold ? { ...c.hold, message: c.message } : null) }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.finishedAt }),
  }),
});

export const CommandConnection = builder.connectionObject({ type: CommandRef, name: 'CommandConnection' }, { name: 'CommandEdge' });

const cursorOf = (c: Command) => encodeCursor('command', `${c.createdAt.toISOString()}|${c.id}`);

async function resolveCommandList(args: { first?: number | null; after?: string | null; state?: any; kind?: any }, ctx: GraphQLContext, clusterId: string | null) {
  const first = pageSize(args.first, COMMAND_PAGE.default, COMMAND_PAGE.max);
  const raw = decodeCursor('command', args.after);
  let after: { createdAt: Date; id: string } | null = null;
  if (raw) {
    const [at, id] = raw.split('|');
    const createdAt = new Date(at ?? '');
    const year = createdAt.getUTCFullYear();
    if (!id || !UUID.test(id) || !(year >= 1 && year <= 9999)) throw new ValidationError('after is not a cursor of this list', 'after');
    after = { createdAt, id };
  }
  const page = await ctx.services.commands.listCommands({ clusterId, state: args.state ?? null, kind: args.kind ?? null }, { first, after });
  for (const c of page.commands) ctx.loaders.command.prime(c.id, c);
  return connectionOf(page.commands, cursorOf, { totalCount: page.totalCount, hasNextPage: page.hasNextPage, hasPreviousPage: after !== null });
}

builder.objectField(ClusterRef, 'commands', (t) =>
  t.field({
    type: CommandConnection,
    description: 'newest first',
    extensions: listSizeExtensions(COMMAND_PAGE),
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (c, args, ctx) => resolveCommandList(args, ctx, c.id),
  }),
);

builder.queryFields((t) => ({
  commands: t.field({
    type: CommandConnection,
    authScopes: { viewer: true },
    description: 'newest first',
    extensions: listSizeExtensions(COMMAND_PAGE),
    args: { first: t.arg.int(), after: t.arg.string(), clusterId: t.arg.id(), state: t.arg({ type: CommandStateEnum }), kind: t.arg({ type: CommandKindEnum }) },
    resolve: (_r, args, ctx) => resolveCommandList(args, ctx, args.clusterId == null ? null : parseId(String(args.clusterId), 'Cluster', 'clusterId')),
  }),
  command: t.field({
    type: CommandRef,
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => ctx.loaders.command.load(parseId(String(args.id), 'Command', 'id')),
  }),
}));

// ---------- mutations ----------

const RolloutStrategyInput = builder.inputType('RolloutStrategyInput', {
  fields: (t) => ({
    batchSize: t.int({ description: 'workers taken out at a time; default 1 (round-robin)' }),
    healthTimeoutMs: t.int({ description: 'a worker must be RUNNING again within this; default 60000' }),
    pauseBetweenBatchesMs: t.int({ description: 'default 0' }),
    maxFailures: t.int({ description: 'failed workers tolerated before the rollout stops; default 0' }),
    onFailure: t.field({ type: FailureActionEnum, description: 'what exceeding maxFailures does; default ABORT' }),
    canary: t.int({ description: 'the first `canary` workers (in step order) form the first batch; when it has SUCCEEDED the command holds PAUSED (hold CANARY) until promoteCommand' }),
    autoPromoteAfterMs: t.int({ description: 'with canary: promote by itself once the canary has been healthy this long' }),
    minHealthyMs: t.int({ description: 'a restarted worker must stay RUNNING this long before its step SUCCEEDS; default 0' }),
    progressDeadlineMs: t.int({ description: 'FAIL the command when no step has succeeded for this long (not counted while PAUSED or while the manager is unreachable)' }),
    autoRevert: t.boolean({ description: 'DEPLOY and PATCH: when the command FAILS, start a rollback of the workers it changed, at once' }),
  }),
});
export const ArtifactInput = builder.inputType('ArtifactInput', {
  fields: (t) => ({ name: t.string({ required: true }), version: t.string({ required: true }), url: t.string({ required: true }), sha256: t.string({ required: true }) }),
});
export const RestartClusterInput = builder.inputType('RestartClusterInput', {
  fields: (t) => ({ clusterId: t.id({ required: true }), strategy: t.field({ type: RolloutStrategyInput }) }),
});
export const DeployArtifactInput = builder.inputType('DeployArtifactInput', {
  fields: (t) => ({ clusterId: t.id({ required: true }), artifact: t.field({ type: ArtifactInput, required: true }), strategy: t.field({ type: RolloutStrategyInput }) }),
});
export const DeployPatchInput = builder.inputType('DeployPatchInput', {
  fields: (t) => ({
    artifact: t.field({ type: ArtifactInput, required: true }),
    kinds: t.stringList({ description: 'cluster kinds to patch; every cluster when omitted' }),
    maxParallelClusters: t.int({ description: 'clusters rolling at a time; default 1' }),
    strategy: t.field({ type: RolloutStrategyInput, description: 'for each cluster; batchSize larger than a cluster takes it whole' }),
  }),
});

const CommandPayload = builder.objectRef<{ command: Command }>('CommandPayload').implement({
  fields: (t) => ({ command: t.field({ type: CommandRef, resolve: (p) => p.command }) }),
});
export const CommandResult = resultUnion('CommandResult', CommandPayload, [ValidationErrorRef, NotFoundErrorRef, ConflictErrorRef]);
export const commandPayload = (command: Command) => payload('CommandPayload', { command });

/** Maps a cluster global id in an input to its database id, or a ValidationError naming the field. */
export const clusterIdOf = (id: unknown, field = 'input.clusterId') => parseId(String(id), 'Cluster', field);

builder.mutationFields((t) => ({
  restartCluster: t.field({
    type: CommandResult,
    authScopes: { operator: true },
    description: 'a round-robin (rolling) restart of the cluster’s workers, batchSize at a time, in memberId order',
    args: { input: t.arg({ type: RestartClusterInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      asResult(async () => commandPayload(await ctx.services.commands.restartCluster(ctx.principal!, { clusterId: clusterIdOf(input.clusterId), strategy: input.strategy }))),
  }),
  deployArtifact: t.field({
    type: CommandResult,
    authScopes: { operator: true },
    args: { input: t.arg({ type: DeployArtifactInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      asResult(async () =>
        commandPayload(await ctx.services.commands.deployArtifact(ctx.principal!, { clusterId: clusterIdOf(input.clusterId), artifact: input.artifact, strategy: input.strategy })),
      ),
  }),
  deployPatch: t.field({
    type: CommandResult,
    authScopes: { operator: true },
    description: 'deploys an artifact to every cluster of the given kinds, cluster by cluster',
    args: { input: t.arg({ type: DeployPatchInput, required: true }) },
    resolve: (_r, { input }, ctx) => asResult(async () => commandPayload(await ctx.services.commands.deployPatch(ctx.principal!, input))),
  }),
  pauseCommand: t.field({
    type: CommandResult,
    authScopes: { operator: true },
    description: 'lets the batch in flight finish, then holds',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => asResult(async () => commandPayload(await ctx.services.commands.pause(ctx.principal!, parseId(String(id), 'Command', 'id')))),
  }),
  resumeCommand: t.field({
    type: CommandResult,
    authScopes: { operator: true },
    description: 'continues where it held (accepting the failures so far after a failure pause)',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => asResult(async () => commandPayload(await ctx.services.commands.resume(ctx.principal!, parseId(String(id), 'Command', 'id')))),
  }),
  promoteCommand: t.field({
    type: CommandResult,
    authScopes: { operator: true },
    description: 'a command held for its canary (hold CANARY) continues; a PATCH promotes every cluster held for its canary; anything else: ConflictError',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => asResult(async () => commandPayload(await ctx.services.commands.promote(ctx.principal!, parseId(String(id), 'Command', 'id')))),
  }),
  rollbackCommand: t.field({
    type: CommandResult,
    authScopes: { operator: true },
    description: 'a finished (or failed, or cancelled) DEPLOY or PATCH: deploys to each worker it changed the version that worker had before, in the same strategy; a new command with rollbackOf set',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => asResult(async () => commandPayload(await ctx.services.rollbacks.rollback(ctx.principal!, parseId(String(id), 'Command', 'id')))),
  }),
  cancelCommand: t.field({
    type: CommandResult,
    authScopes: { operator: true },
    description: 'holds like pause, then ends CANCELLED with the remaining steps SKIPPED',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => asResult(async () => commandPayload(await ctx.services.commands.cancel(ctx.principal!, parseId(String(id), 'Command', 'id')))),
  }),
}));

builder.subscriptionField('commandUpdated', (t) =>
  t.field({
    type: CommandRef,
    authScopes: { viewer: true },
    description: `every change of a command's state, of a step, or of its progress (of a PATCH: of its children too). ${AFTER_DOC} Each Command delivered carries that update's \`position\``,
    args: { id: t.arg.id(), clusterId: t.arg.id(), after: t.arg.string({ description: AFTER_ARG }) },
    subscribe: (_r, args, ctx) => {
      const id = args.id == null ? null : parseId(String(args.id), 'Command', 'id');
      const clusterId = args.clusterId == null ? null : parseId(String(args.clusterId), 'Cluster', 'clusterId');
      return ctx.services.events.resume('command', {
        after: args.after ?? null,
        clusterId,
        filter: (e) => (id === null || e.commandId === id || e.parentId === id) && (clusterId === null || e.clusterId === clusterId),
      });
    },
    resolve: async (e, args, ctx): Promise<DeliveredCommand> => {
      // Watching a PATCH: a child's change is delivered as the parent (its progress changed).
      const id = args.id == null ? null : parseId(String(args.id), 'Command', 'id');
      const command = (await ctx.loaders.command.load(id !== null && e.parentId === id ? id : e.commandId))!;
      return { ...command, position: e.position };
    },
  }),
);
