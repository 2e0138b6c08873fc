import type { ServiceDeps } from './deps.js';
import { ManagerService } from './manager-service.js';
import { TokenService } from './token-service.js';
import { TopologyService } from './topology-service.js';

export function createServices(deps: ServiceDeps) {
  return {
    deps,
    tokens: new TokenService(deps),
    managers: new ManagerService(deps),
    topology: new TopologyService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
