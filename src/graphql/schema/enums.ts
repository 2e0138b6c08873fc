import {
  type ClusterHealth,
  COMMAND_KINDS,
  COMMAND_STATES,
  FAILURE_ACTIONS,
  type HOLD_REASONS,
  MEMBERSHIP_CHANGES,
  ROLES,
  STEP_STATES,
  TASK_ACTIONS,
  TASK_STATES,
  TOPOLOGY_CHANGES,
  WORKER_STATES,
} from '../../domain/types.js';
import { builder } from '../builder.js';

export const RoleEnum = builder.enumType('Role', { values: ROLES });
export const WorkerStateEnum = builder.enumType('WorkerState', { values: WORKER_STATES });
export const ClusterHealthEnum = builder.enumType('ClusterHealth', {
  values: {
    HEALTHY: { description: 'manager connected, every worker RUNNING' },
    DEGRADED: { description: 'manager connected, some worker not RUNNING' },
    UNAVAILABLE: { description: 'manager connected, no worker RUNNING' },
    UNREACHABLE: { description: 'manager not connected (its connection dropped or its lease ran out)' },
  } as const satisfies Record<ClusterHealth, { description: string }>,
});
export const MembershipChangeEnum = builder.enumType('MembershipChange', { values: MEMBERSHIP_CHANGES });
export const TopologyChangeEnum = builder.enumType('TopologyChange', { values: TOPOLOGY_CHANGES });
export const CommandKindEnum = builder.enumType('CommandKind', { values: COMMAND_KINDS });
export const CommandStateEnum = builder.enumType('CommandState', { values: COMMAND_STATES });
export const StepStateEnum = builder.enumType('StepState', { values: STEP_STATES });
export const FailureActionEnum = builder.enumType('FailureAction', { values: FAILURE_ACTIONS });
export const HoldReasonEnum = builder.enumType('HoldReason', {
  values: {
    OPERATOR: { description: 'an operator (or its PATCH) paused it' },
    FAILURE_BUDGET: { description: 'more workers failed than maxFailures, with onFailure PAUSE' },
    CANARY: { description: 'a canary batch waits to be promoted' },
    MANAGER_UNREACHABLE: { description: "its cluster's manager is not connected" },
  } satisfies Record<(typeof HOLD_REASONS)[number], { description: string }>,
});
export const TaskActionEnum = builder.enumType('TaskAction', { values: TASK_ACTIONS });
export const TaskStateEnum = builder.enumType('TaskState', { values: TASK_STATES });
