import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema, SCHEMA_FILE } from '../../src/graphql/schema.js';

describe('schema.graphql', () => {
  it('is what the code generates (run `npm run schema` after changing the schema)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(printedSchema());
  });

  it('keeps every name of the public contract (API.md)', () => {
    const sdl = printedSchema();
    for (const name of [
      'type Query', 'type Mutation', 'type Subscription', 'interface Node', 'interface Error', 'type Viewer', 'type System', 'enum ClusterHealth',
      'type Cluster implements Node', 'type Manager implements Node', 'type Worker implements Node', 'type Command implements Node', 'type ManagerTask implements Node',
      'type ArtifactVersionCount', 'type ManagerOperation', 'type Artifact', 'type DeployedArtifact', 'type Stats', 'type RolloutStrategy', 'input RolloutStrategyInput',
      'input ArtifactInput', 'type CommandStep', 'type Progress', 'type CommandPayload', 'union CommandResult', 'union OperationResult', 'type OperationPayload',
      'input WorkerInput', 'input RegisterManagerInput', 'type RegisterManagerPayload', 'input MembershipEventInput', 'type MembershipEvent', 'type TopologyEvent',
      'type ApiToken', 'type ApiTokenPayload', 'union CreateApiTokenResult', 'enum TaskAction', 'enum TaskState', 'enum StepState', 'enum CommandState', 'enum CommandKind',
      'enum FailureAction', 'enum MembershipChange', 'enum TopologyChange', 'enum WorkerState', 'enum Role', 'scalar DateTime', 'scalar JSON',
      'restartCluster(input: RestartClusterInput!): CommandResult!', 'deployArtifact(input: DeployArtifactInput!): CommandResult!', 'deployPatch(input: DeployPatchInput!): CommandResult!',
      'pauseCommand(id: ID!): CommandResult!', 'resumeCommand(id: ID!): CommandResult!', 'cancelCommand(id: ID!): CommandResult!',
      'runManagerOperation(input: RunManagerOperationInput!): OperationResult!', 'registerManager(input: RegisterManagerInput!): RegisterManagerResult!',
      'reportMembership(input: ReportMembershipInput!): ReportMembershipResult!', 'reportStats(input: ReportStatsInput!): ReportStatsResult!', 'reportTask(input: ReportTaskInput!): ReportTaskResult!',
      'createApiToken(input: CreateApiTokenInput!): CreateApiTokenResult!', 'managerTasks: ManagerTask!', 'topologyChanged: TopologyEvent!', 'clusterStats(clusterId: ID!): Stats!',
      'membershipChanged(clusterId: ID): MembershipEvent!', 'commandUpdated(clusterId: ID, id: ID): Command!', 'apiTokens: [ApiToken!]!', 'viewer: Viewer!', 'system: System!',
    ]) {
      expect(sdl, name).toContain(name);
    }
  });
});
