import { AuditService } from './audit-service.js';
import { CommandService } from './command-service.js';
import type { ServiceDeps } from './deps.js';
import { EventService } from './event-service.js';
import { ManagerService } from './manager-service.js';
import { OperationService } from './operation-service.js';
import { PreviewService } from './preview-service.js';
import { TokenService } from './token-service.js';
import { RollbackService } from './rollback-service.js';
import { RolloutService } from './rollout-service.js';
import { TaskService } from './task-service.js';
import { TopologyService } from './topology-service.js';

export function createServices(deps: ServiceDeps) {
  const managers = new ManagerService(deps);
  return {
    deps,
    tokens: new TokenService(deps),
    managers,
    topology: new TopologyService(deps),
    commands: new CommandService(deps),
    previews: new PreviewService(deps),
    tasks: new TaskService(deps, managers),
    operations: new OperationService(deps),
    rollouts: new RolloutService(deps),
    rollbacks: new RollbackService(deps),
    audit: new AuditService(deps),
    events: new EventService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
