import type { Principal } from '../../domain/auth.js';
import type { ManagerTask } from '../../domain/types.js';
import { taskCommand } from '../../services/task-snapshots.js';
import { builder } from '../builder.js';
import { parseId } from '../ids.js';
import { ArtifactRef, CommandRef } from './command.js';
import { TaskActionEnum, TaskStateEnum } from './enums.js';
import { asResult, NotFoundErrorRef, payload, resultUnion, ValidationErrorRef } from './errors.js';

type Session = Extract<Principal, { kind: 'session' }>;

export const ManagerTaskRef = builder.objectRef<ManagerTask>('ManagerTask');

builder.node(ManagerTaskRef, {
  id: { resolve: (t) => t.id },
  loadMany: (ids, ctx) => ctx.loaders.task.loadMany(ids) as Promise<(ManagerTask | null)[]>,
  fields: (t) => ({
    // A task handed out by this instance's driver comes with its command (task-snapshots.ts).
    command: t.field({ type: CommandRef, resolve: async (task, _a, ctx) => taskCommand(task) ?? (await ctx.loaders.command.load(task.commandId))! }),
    action: t.field({ type: TaskActionEnum, resolve: (task) => task.action }),
    memberIds: t.field({ type: ['String'], description: 'the workers this task is for (empty for RUN_OPERATION)', resolve: (task) => task.memberIds }),
    artifact: t.field({ type: ArtifactRef, nullable: true, resolve: (task) => task.artifact }),
    operation: t.exposeString('operation', { nullable: true }),
    arguments: t.field({ type: 'JSON', nullable: true, resolve: (task) => task.arguments ?? null }),
    state: t.field({ type: TaskStateEnum, resolve: (task) => task.state }),
    message: t.exposeString('message', { nullable: true }),
    result: t.field({ type: 'JSON', nullable: true, resolve: (task) => task.result ?? null }),
    deliveries: t.exposeInt('deliveries', { description: 'how often it was handed to a manager session' }),
    createdAt: t.field({ type: 'DateTime', resolve: (task) => task.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (task) => task.updatedAt }),
  }),
});

const ReportTaskInput = builder.inputType('ReportTaskInput', {
  fields: (t) => ({
    taskId: t.id({ required: true }),
    state: t.field({ type: TaskStateEnum, required: true }),
    message: t.string(),
    result: t.field({ type: 'JSON' }),
  }),
});
const ReportTaskPayload = builder.objectRef<{ task: ManagerTask }>('ReportTaskPayload').implement({
  fields: (t) => ({ task: t.field({ type: ManagerTaskRef, resolve: (p) => p.task }) }),
});
const ReportTaskResult = resultUnion('ReportTaskResult', ReportTaskPayload, [ValidationErrorRef, NotFoundErrorRef]);

builder.mutationField('reportTask', (t) =>
  t.field({
    type: ReportTaskResult,
    authScopes: { managerSession: true },
    audit: false,
    description: 'ACCEPTED when the manager starts on a task, SUCCEEDED or FAILED when it is through',
    args: { input: t.arg({ type: ReportTaskInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      asResult(async () =>
        payload('ReportTaskPayload', {
          task: await ctx.services.tasks.reportTask(ctx.principal as Session, {
            taskId: parseId(String(input.taskId), 'ManagerTask', 'input.taskId'),
            state: input.state,
            message: input.message,
            result: input.result,
          }),
        }),
      ),
  }),
);

builder.subscriptionField('managerTasks', (t) =>
  t.field({
    type: ManagerTaskRef,
    authScopes: { managerSession: true },
    description: 'MANAGER session only: unfinished tasks first, then each new task, and a task again when it is CANCELLED',
    subscribe: (_r, _a, ctx) => ctx.services.tasks.taskStream(ctx.principal as Session),
    resolve: (task) => task,
  }),
);
