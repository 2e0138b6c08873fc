/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation RegisterManager($input: RegisterManagerInput!) {\n    registerManager(input: $input) {\n      __typename\n      ... on RegisterManagerPayload { sessionToken manager { id url connected } cluster { id name kind } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RegisterManagerDocument,
    "\n  mutation ReportMembership($input: ReportMembershipInput!) {\n    reportMembership(input: $input) {\n      __typename\n      ... on ReportMembershipPayload { acceptedThroughSeq applied }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ReportMembershipDocument,
    "\n  mutation ReportStats($input: ReportStatsInput!) {\n    reportStats(input: $input) {\n      __typename\n      ... on ReportStatsPayload { accepted stats { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ReportStatsDocument,
    "\n  mutation ReportTask($input: ReportTaskInput!) {\n    reportTask(input: $input) {\n      __typename\n      ... on ReportTaskPayload { task { id state } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ReportTaskDocument,
    "\n  subscription ManagerTasks {\n    managerTasks {\n      id action memberIds\n      artifact { name version url sha256 }\n      operation arguments state\n      command { id }\n    }\n  }\n": typeof types.ManagerTasksDocument,
    "\n  query RehearsalViewer {\n    viewer { tokenName role }\n  }\n": typeof types.RehearsalViewerDocument,
    "\n  query RehearsalCluster($name: String!, $after: String) {\n    cluster(name: $name) {\n      id name kind\n      manager { connected }\n      restartTimings { samples medianMs p90Ms }\n      workers(first: 1000, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        edges { node { memberId state artifacts { name version } } }\n      }\n    }\n  }\n": typeof types.RehearsalClusterDocument,
    "\n  query RehearsalPreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) {\n      __typename\n      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RehearsalPreviewRestartDocument,
    "\n  query RehearsalPreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) {\n      __typename\n      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RehearsalPreviewDeployDocument,
    "\n  mutation RehearsalCreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RehearsalCreateTokenDocument,
    "\n  mutation RehearsalRestart($input: RestartClusterInput!) {\n    restartCluster(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RehearsalRestartDocument,
    "\n  mutation RehearsalDeploy($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RehearsalDeployDocument,
    "\n  query RehearsalCommand($id: ID!) {\n    command(id: $id) {\n      id state message startedAt finishedAt\n      tasks { memberIds }\n      steps { memberId state message }\n    }\n  }\n": typeof types.RehearsalCommandDocument,
};
const documents: Documents = {
    "\n  mutation RegisterManager($input: RegisterManagerInput!) {\n    registerManager(input: $input) {\n      __typename\n      ... on RegisterManagerPayload { sessionToken manager { id url connected } cluster { id name kind } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": types.RegisterManagerDocument,
    "\n  mutation ReportMembership($input: ReportMembershipInput!) {\n    reportMembership(input: $input) {\n      __typename\n      ... on ReportMembershipPayload { acceptedThroughSeq applied }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": types.ReportMembershipDocument,
    "\n  mutation ReportStats($input: ReportStatsInput!) {\n    reportStats(input: $input) {\n      __typename\n      ... on ReportStatsPayload { accepted stats { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": types.ReportStatsDocument,
    "\n  mutation ReportTask($input: ReportTaskInput!) {\n    reportTask(input: $input) {\n      __typename\n      ... on ReportTaskPayload { task { id state } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": types.ReportTaskDocument,
    "\n  subscription ManagerTasks {\n    managerTasks {\n      id action memberIds\n      artifact { name version url sha256 }\n      operation arguments state\n      command { id }\n    }\n  }\n": types.ManagerTasksDocument,
    "\n  query RehearsalViewer {\n    viewer { tokenName role }\n  }\n": types.RehearsalViewerDocument,
    "\n  query RehearsalCluster($name: String!, $after: String) {\n    cluster(name: $name) {\n      id name kind\n      manager { connected }\n      restartTimings { samples medianMs p90Ms }\n      workers(first: 1000, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        edges { node { memberId state artifacts { name version } } }\n      }\n    }\n  }\n": types.RehearsalClusterDocument,
    "\n  query RehearsalPreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) {\n      __typename\n      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }\n      ... on Error { code message }\n    }\n  }\n": types.RehearsalPreviewRestartDocument,
    "\n  query RehearsalPreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) {\n      __typename\n      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }\n      ... on Error { code message }\n    }\n  }\n": types.RehearsalPreviewDeployDocument,
    "\n  mutation RehearsalCreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token }\n      ... on Error { code message }\n    }\n  }\n": types.RehearsalCreateTokenDocument,
    "\n  mutation RehearsalRestart($input: RestartClusterInput!) {\n    restartCluster(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n": types.RehearsalRestartDocument,
    "\n  mutation RehearsalDeploy($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n": types.RehearsalDeployDocument,
    "\n  query RehearsalCommand($id: ID!) {\n    command(id: $id) {\n      id state message startedAt finishedAt\n      tasks { memberIds }\n      steps { memberId state message }\n    }\n  }\n": types.RehearsalCommandDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RegisterManager($input: RegisterManagerInput!) {\n    registerManager(input: $input) {\n      __typename\n      ... on RegisterManagerPayload { sessionToken manager { id url connected } cluster { id name kind } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation RegisterManager($input: RegisterManagerInput!) {\n    registerManager(input: $input) {\n      __typename\n      ... on RegisterManagerPayload { sessionToken manager { id url connected } cluster { id name kind } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportMembership($input: ReportMembershipInput!) {\n    reportMembership(input: $input) {\n      __typename\n      ... on ReportMembershipPayload { acceptedThroughSeq applied }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation ReportMembership($input: ReportMembershipInput!) {\n    reportMembership(input: $input) {\n      __typename\n      ... on ReportMembershipPayload { acceptedThroughSeq applied }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportStats($input: ReportStatsInput!) {\n    reportStats(input: $input) {\n      __typename\n      ... on ReportStatsPayload { accepted stats { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation ReportStats($input: ReportStatsInput!) {\n    reportStats(input: $input) {\n      __typename\n      ... on ReportStatsPayload { accepted stats { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportTask($input: ReportTaskInput!) {\n    reportTask(input: $input) {\n      __typename\n      ... on ReportTaskPayload { task { id state } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation ReportTask($input: ReportTaskInput!) {\n    reportTask(input: $input) {\n      __typename\n      ... on ReportTaskPayload { task { id state } }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ManagerTasks {\n    managerTasks {\n      id action memberIds\n      artifact { name version url sha256 }\n      operation arguments state\n      command { id }\n    }\n  }\n"): (typeof documents)["\n  subscription ManagerTasks {\n    managerTasks {\n      id action memberIds\n      artifact { name version url sha256 }\n      operation arguments state\n      command { id }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RehearsalViewer {\n    viewer { tokenName role }\n  }\n"): (typeof documents)["\n  query RehearsalViewer {\n    viewer { tokenName role }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RehearsalCluster($name: String!, $after: String) {\n    cluster(name: $name) {\n      id name kind\n      manager { connected }\n      restartTimings { samples medianMs p90Ms }\n      workers(first: 1000, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        edges { node { memberId state artifacts { name version } } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query RehearsalCluster($name: String!, $after: String) {\n    cluster(name: $name) {\n      id name kind\n      manager { connected }\n      restartTimings { samples medianMs p90Ms }\n      workers(first: 1000, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        edges { node { memberId state artifacts { name version } } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RehearsalPreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) {\n      __typename\n      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  query RehearsalPreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) {\n      __typename\n      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RehearsalPreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) {\n      __typename\n      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  query RehearsalPreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) {\n      __typename\n      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RehearsalCreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation RehearsalCreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RehearsalRestart($input: RestartClusterInput!) {\n    restartCluster(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation RehearsalRestart($input: RestartClusterInput!) {\n    restartCluster(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RehearsalDeploy($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation RehearsalDeploy($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RehearsalCommand($id: ID!) {\n    command(id: $id) {\n      id state message startedAt finishedAt\n      tasks { memberIds }\n      steps { memberId state message }\n    }\n  }\n"): (typeof documents)["\n  query RehearsalCommand($id: ID!) {\n    command(id: $id) {\n      id state message startedAt finishedAt\n      tasks { memberIds }\n      steps { memberId state message }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;