/**
 * The schema fake-oc serves: the manager-facing half of schema.graphql, copied by hand (its SDL),
 * built on the graphql instance that graphql-ws uses.
 */
import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import type { GraphQLSchema, GraphQLUnionType } from 'graphql';

// graphql 16 ships CJS (main) and ESM (module) builds without an exports map: Node loads the
// CJS one for graphql-ws, while Vite (vitest) would hand this file the ESM one, and a schema from
// one cannot be executed by the other ("from another module or realm"). Loading it with require
// gives this file the same instance as graphql-ws everywhere.
const GraphQLModule = createRequire(import.meta.url)('graphql') as typeof GraphQL;
const { buildSchema } = GraphQLModule;
/** graphql's execute-from-source, from the same instance as graphql-ws's. */
export const graphql = GraphQLModule.graphql;

/**
 * The manager-facing half of schema.graphql, by hand: test/unit/sim-fake-oc-schema.test.ts fails
 * when the real schema drifts from it (a field, type, argument or union member fake-oc offers that
 * the OC no longer offers alike), and when a manager-protocol document does not validate against it.
 */
export const FAKE_OC_SDL = /* GraphQL */ `
  scalar DateTime
  scalar JSON
  interface Error { message: String! code: String! }
  type ValidationError implements Error { message: String! code: String! field: String }
  type NotFoundError implements Error { message: String! code: String! }

  enum WorkerState { STARTING RUNNING STOPPING STOPPED FAILED }
  enum MembershipChange { JOINED LEFT STATE_CHANGED }
  enum TaskAction { RESTART_WORKERS DEPLOY_ARTIFACT RUN_OPERATION }
  enum TaskState { PENDING ACCEPTED SUCCEEDED FAILED CANCELLED }

  input DeployedArtifactInput { name: String! version: String! deployedAt: DateTime }
  input WorkerInput { memberId: String! host: String! port: Int state: WorkerState startedAt: DateTime artifacts: [DeployedArtifactInput!] }
  input ManagerOperationInput { name: String! description: String inputSchema: JSON }
  input RegisterManagerInput {
    clusterName: String! kind: String! host: String! url: String! version: String
    workers: [WorkerInput!]! operations: [ManagerOperationInput!]
  }
  input MembershipEventInput { seq: Int! change: MembershipChange! worker: WorkerInput! }
  input ReportMembershipInput { events: [MembershipEventInput!]! }
  input StatsSampleInput { memberId: String! at: DateTime cpuPercent: Float! memoryMb: Float! requestsPerSec: Float! errorsPerSec: Float! }
  input ReportStatsInput { samples: [StatsSampleInput!]! }
  input ReportTaskInput { taskId: ID! state: TaskState! message: String result: JSON }

  type Manager { id: ID! url: String! connected: Boolean! }
  type Cluster { id: ID! name: String! kind: String! }
  type Stats { sampledAt: DateTime! cpuPercent: Float! memoryMb: Float! requestsPerSec: Float! errorsPerSec: Float! }
  type Command { id: ID! }
  type Artifact { name: String! version: String! url: String! sha256: String! }
  type ManagerTask {
    id: ID! command: Command! action: TaskAction! memberIds: [String!]! artifact: Artifact
    operation: String arguments: JSON state: TaskState! createdAt: DateTime!
  }

  type RegisterManagerPayload { manager: Manager! cluster: Cluster! sessionToken: String! }
  union RegisterManagerResult = RegisterManagerPayload | ValidationError
  type ReportMembershipPayload { acceptedThroughSeq: Int! applied: Int! }
  union ReportMembershipResult = ReportMembershipPayload | ValidationError
  type ReportStatsPayload { accepted: Int! stats: Stats }
  union ReportStatsResult = ReportStatsPayload | ValidationError
  type ReportTaskPayload { task: ManagerTask! }
  union ReportTaskResult = ReportTaskPayload | NotFoundError | ValidationError

  type Query { healthy: Boolean! }
  type Mutation {
    registerManager(input: RegisterManagerInput!): RegisterManagerResult!
    reportMembership(input: ReportMembershipInput!): ReportMembershipResult!
    reportStats(input: ReportStatsInput!): ReportStatsResult!
    reportTask(input: ReportTaskInput!): ReportTaskResult!
  }
  type Subscription { managerTasks: ManagerTask! }
`;

/** fake-oc's executable schema: its result unions resolve by the `__typename` the resolvers set. */
export function buildFakeOcSchema(): GraphQLSchema {
  const schema = buildSchema(FAKE_OC_SDL);
  for (const name of ['RegisterManagerResult', 'ReportMembershipResult', 'ReportStatsResult', 'ReportTaskResult']) {
    (schema.getType(name) as GraphQLUnionType).resolveType = (v: { __typename: string }) => v.__typename;
  }
  return schema;
}
