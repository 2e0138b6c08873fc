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
    "\n  fragment ErrorFields on Error { code message }\n": typeof types.ErrorFieldsFragmentDoc,
    "\n  fragment CommandFields on Command {\n    id kind state message operation arguments result requestedBy createdAt startedAt finishedAt\n    pauseRequested cancelRequested\n    hold { reason by message }\n    cluster { id name kind }\n    parent { id }\n    rollbackOf { id } rolledBackBy { id }\n    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }\n    artifact { name version }\n    progress { total pending running succeeded failed skipped }\n    steps { index memberId state message startedAt finishedAt }\n    children { id state message cluster { name } progress { total pending running succeeded failed skipped } }\n  }\n": typeof types.CommandFieldsFragmentDoc,
    "\n  query OcViewer { viewer { tokenName role } }\n": typeof types.OcViewerDocument,
    "\n  query OcClusterRef($id: ID, $name: String) { cluster(id: $id, name: $name) { id name } }\n": typeof types.OcClusterRefDocument,
    "\n  query OcClusters($first: Int, $after: String, $kind: String, $health: ClusterHealth) {\n    clusters(first: $first, after: $after, kind: $kind, health: $health) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node {\n        id name kind health workerCount\n        manager { connected version host }\n        artifacts { name version workerCount }\n        stats { cpuPercent memoryMb requestsPerSec errorsPerSec }\n      } }\n    }\n  }\n": typeof types.OcClustersDocument,
    "\n  query OcCluster($id: ID!) {\n    cluster(id: $id) {\n      id name kind health workerCount createdAt\n      manager { host url version connected lastSeenAt registeredAt operations { name description } }\n      artifacts { name version workerCount }\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n      workers(first: 1000) { totalCount edges { node {\n        memberId host port state startedAt stateChangedAt artifacts { name version }\n      } } }\n      commands(first: 10) { edges { node { ...CommandFields } } }\n    }\n  }\n": typeof types.OcClusterDocument,
    "\n  query OcCommands($first: Int, $after: String, $clusterId: ID, $state: CommandState, $kind: CommandKind) {\n    commands(first: $first, after: $after, clusterId: $clusterId, state: $state, kind: $kind) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node {\n        id kind state message requestedBy createdAt startedAt finishedAt\n        cluster { name }\n        artifact { name version }\n        operation\n        progress { total pending running succeeded failed skipped }\n      } }\n    }\n  }\n": typeof types.OcCommandsDocument,
    "\n  query OcCommand($id: ID!) { command(id: $id) { ...CommandFields } }\n": typeof types.OcCommandDocument,
    "\n  subscription OcCommandUpdated($id: ID) { commandUpdated(id: $id) { ...CommandFields } }\n": typeof types.OcCommandUpdatedDocument,
    "\n  mutation OcRestart($input: RestartClusterInput!) {\n    restartCluster(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": typeof types.OcRestartDocument,
    "\n  mutation OcDeploy($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": typeof types.OcDeployDocument,
    "\n  mutation OcPatch($input: DeployPatchInput!) {\n    deployPatch(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": typeof types.OcPatchDocument,
    "\n  mutation OcPause($id: ID!) {\n    pauseCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": typeof types.OcPauseDocument,
    "\n  mutation OcResume($id: ID!) {\n    resumeCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": typeof types.OcResumeDocument,
    "\n  mutation OcPromote($id: ID!) {\n    promoteCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": typeof types.OcPromoteDocument,
    "\n  mutation OcRollback($id: ID!) {\n    rollbackCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": typeof types.OcRollbackDocument,
    "\n  mutation OcCancel($id: ID!) {\n    cancelCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": typeof types.OcCancelDocument,
    "\n  mutation OcRunOperation($input: RunManagerOperationInput!) {\n    runManagerOperation(input: $input) {\n      __typename\n      ... on OperationPayload { result command { id state } }\n      ... on OperationFailedError { result }\n      ... on ValidationError { field }\n      ...ErrorFields\n    }\n  }\n": typeof types.OcRunOperationDocument,
    "\n  query OcTokens { apiTokens { id name role clusterName createdAt lastUsedAt revokedAt } }\n": typeof types.OcTokensDocument,
    "\n  mutation OcCreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token apiToken { id name role clusterName createdAt } }\n      ...ErrorFields\n    }\n  }\n": typeof types.OcCreateTokenDocument,
    "\n  mutation OcRevokeToken($id: ID!) {\n    revokeApiToken(id: $id) { __typename ... on RevokeApiTokenPayload { apiToken { id name revokedAt } } ...ErrorFields }\n  }\n": typeof types.OcRevokeTokenDocument,
    "\n  subscription OcMembership($clusterId: ID) {\n    membershipChanged(clusterId: $clusterId) { change at cluster { id name } worker { memberId state host } }\n  }\n": typeof types.OcMembershipDocument,
    "\n  subscription OcTopology { topologyChanged { change at cluster { id name health } } }\n": typeof types.OcTopologyDocument,
    "\n  subscription OcCommandEvents($clusterId: ID) {\n    commandUpdated(clusterId: $clusterId) {\n      id kind state message cluster { name } progress { total pending running succeeded failed skipped }\n    }\n  }\n": typeof types.OcCommandEventsDocument,
    "\n  fragment PreviewFields on RolloutPreview {\n    waves estimatedDurationMs warnings\n    clusters { wave batches cluster { name workerCount } }\n  }\n": typeof types.PreviewFieldsFragmentDoc,
    "\n  query OcPreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n": typeof types.OcPreviewRestartDocument,
    "\n  query OcPreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n": typeof types.OcPreviewDeployDocument,
    "\n  query OcPreviewPatch($input: DeployPatchInput!) {\n    previewPatch(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n": typeof types.OcPreviewPatchDocument,
};
const documents: Documents = {
    "\n  fragment ErrorFields on Error { code message }\n": types.ErrorFieldsFragmentDoc,
    "\n  fragment CommandFields on Command {\n    id kind state message operation arguments result requestedBy createdAt startedAt finishedAt\n    pauseRequested cancelRequested\n    hold { reason by message }\n    cluster { id name kind }\n    parent { id }\n    rollbackOf { id } rolledBackBy { id }\n    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }\n    artifact { name version }\n    progress { total pending running succeeded failed skipped }\n    steps { index memberId state message startedAt finishedAt }\n    children { id state message cluster { name } progress { total pending running succeeded failed skipped } }\n  }\n": types.CommandFieldsFragmentDoc,
    "\n  query OcViewer { viewer { tokenName role } }\n": types.OcViewerDocument,
    "\n  query OcClusterRef($id: ID, $name: String) { cluster(id: $id, name: $name) { id name } }\n": types.OcClusterRefDocument,
    "\n  query OcClusters($first: Int, $after: String, $kind: String, $health: ClusterHealth) {\n    clusters(first: $first, after: $after, kind: $kind, health: $health) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node {\n        id name kind health workerCount\n        manager { connected version host }\n        artifacts { name version workerCount }\n        stats { cpuPercent memoryMb requestsPerSec errorsPerSec }\n      } }\n    }\n  }\n": types.OcClustersDocument,
    "\n  query OcCluster($id: ID!) {\n    cluster(id: $id) {\n      id name kind health workerCount createdAt\n      manager { host url version connected lastSeenAt registeredAt operations { name description } }\n      artifacts { name version workerCount }\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n      workers(first: 1000) { totalCount edges { node {\n        memberId host port state startedAt stateChangedAt artifacts { name version }\n      } } }\n      commands(first: 10) { edges { node { ...CommandFields } } }\n    }\n  }\n": types.OcClusterDocument,
    "\n  query OcCommands($first: Int, $after: String, $clusterId: ID, $state: CommandState, $kind: CommandKind) {\n    commands(first: $first, after: $after, clusterId: $clusterId, state: $state, kind: $kind) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node {\n        id kind state message requestedBy createdAt startedAt finishedAt\n        cluster { name }\n        artifact { name version }\n        operation\n        progress { total pending running succeeded failed skipped }\n      } }\n    }\n  }\n": types.OcCommandsDocument,
    "\n  query OcCommand($id: ID!) { command(id: $id) { ...CommandFields } }\n": types.OcCommandDocument,
    "\n  subscription OcCommandUpdated($id: ID) { commandUpdated(id: $id) { ...CommandFields } }\n": types.OcCommandUpdatedDocument,
    "\n  mutation OcRestart($input: RestartClusterInput!) {\n    restartCluster(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": types.OcRestartDocument,
    "\n  mutation OcDeploy($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": types.OcDeployDocument,
    "\n  mutation OcPatch($input: DeployPatchInput!) {\n    deployPatch(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": types.OcPatchDocument,
    "\n  mutation OcPause($id: ID!) {\n    pauseCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": types.OcPauseDocument,
    "\n  mutation OcResume($id: ID!) {\n    resumeCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": types.OcResumeDocument,
    "\n  mutation OcPromote($id: ID!) {\n    promoteCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": types.OcPromoteDocument,
    "\n  mutation OcRollback($id: ID!) {\n    rollbackCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": types.OcRollbackDocument,
    "\n  mutation OcCancel($id: ID!) {\n    cancelCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n": types.OcCancelDocument,
    "\n  mutation OcRunOperation($input: RunManagerOperationInput!) {\n    runManagerOperation(input: $input) {\n      __typename\n      ... on OperationPayload { result command { id state } }\n      ... on OperationFailedError { result }\n      ... on ValidationError { field }\n      ...ErrorFields\n    }\n  }\n": types.OcRunOperationDocument,
    "\n  query OcTokens { apiTokens { id name role clusterName createdAt lastUsedAt revokedAt } }\n": types.OcTokensDocument,
    "\n  mutation OcCreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token apiToken { id name role clusterName createdAt } }\n      ...ErrorFields\n    }\n  }\n": types.OcCreateTokenDocument,
    "\n  mutation OcRevokeToken($id: ID!) {\n    revokeApiToken(id: $id) { __typename ... on RevokeApiTokenPayload { apiToken { id name revokedAt } } ...ErrorFields }\n  }\n": types.OcRevokeTokenDocument,
    "\n  subscription OcMembership($clusterId: ID) {\n    membershipChanged(clusterId: $clusterId) { change at cluster { id name } worker { memberId state host } }\n  }\n": types.OcMembershipDocument,
    "\n  subscription OcTopology { topologyChanged { change at cluster { id name health } } }\n": types.OcTopologyDocument,
    "\n  subscription OcCommandEvents($clusterId: ID) {\n    commandUpdated(clusterId: $clusterId) {\n      id kind state message cluster { name } progress { total pending running succeeded failed skipped }\n    }\n  }\n": types.OcCommandEventsDocument,
    "\n  fragment PreviewFields on RolloutPreview {\n    waves estimatedDurationMs warnings\n    clusters { wave batches cluster { name workerCount } }\n  }\n": types.PreviewFieldsFragmentDoc,
    "\n  query OcPreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n": types.OcPreviewRestartDocument,
    "\n  query OcPreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n": types.OcPreviewDeployDocument,
    "\n  query OcPreviewPatch($input: DeployPatchInput!) {\n    previewPatch(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n": types.OcPreviewPatchDocument,
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
export function graphql(source: "\n  fragment ErrorFields on Error { code message }\n"): (typeof documents)["\n  fragment ErrorFields on Error { code message }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CommandFields on Command {\n    id kind state message operation arguments result requestedBy createdAt startedAt finishedAt\n    pauseRequested cancelRequested\n    hold { reason by message }\n    cluster { id name kind }\n    parent { id }\n    rollbackOf { id } rolledBackBy { id }\n    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }\n    artifact { name version }\n    progress { total pending running succeeded failed skipped }\n    steps { index memberId state message startedAt finishedAt }\n    children { id state message cluster { name } progress { total pending running succeeded failed skipped } }\n  }\n"): (typeof documents)["\n  fragment CommandFields on Command {\n    id kind state message operation arguments result requestedBy createdAt startedAt finishedAt\n    pauseRequested cancelRequested\n    hold { reason by message }\n    cluster { id name kind }\n    parent { id }\n    rollbackOf { id } rolledBackBy { id }\n    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }\n    artifact { name version }\n    progress { total pending running succeeded failed skipped }\n    steps { index memberId state message startedAt finishedAt }\n    children { id state message cluster { name } progress { total pending running succeeded failed skipped } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcViewer { viewer { tokenName role } }\n"): (typeof documents)["\n  query OcViewer { viewer { tokenName role } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcClusterRef($id: ID, $name: String) { cluster(id: $id, name: $name) { id name } }\n"): (typeof documents)["\n  query OcClusterRef($id: ID, $name: String) { cluster(id: $id, name: $name) { id name } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcClusters($first: Int, $after: String, $kind: String, $health: ClusterHealth) {\n    clusters(first: $first, after: $after, kind: $kind, health: $health) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node {\n        id name kind health workerCount\n        manager { connected version host }\n        artifacts { name version workerCount }\n        stats { cpuPercent memoryMb requestsPerSec errorsPerSec }\n      } }\n    }\n  }\n"): (typeof documents)["\n  query OcClusters($first: Int, $after: String, $kind: String, $health: ClusterHealth) {\n    clusters(first: $first, after: $after, kind: $kind, health: $health) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node {\n        id name kind health workerCount\n        manager { connected version host }\n        artifacts { name version workerCount }\n        stats { cpuPercent memoryMb requestsPerSec errorsPerSec }\n      } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcCluster($id: ID!) {\n    cluster(id: $id) {\n      id name kind health workerCount createdAt\n      manager { host url version connected lastSeenAt registeredAt operations { name description } }\n      artifacts { name version workerCount }\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n      workers(first: 1000) { totalCount edges { node {\n        memberId host port state startedAt stateChangedAt artifacts { name version }\n      } } }\n      commands(first: 10) { edges { node { ...CommandFields } } }\n    }\n  }\n"): (typeof documents)["\n  query OcCluster($id: ID!) {\n    cluster(id: $id) {\n      id name kind health workerCount createdAt\n      manager { host url version connected lastSeenAt registeredAt operations { name description } }\n      artifacts { name version workerCount }\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n      workers(first: 1000) { totalCount edges { node {\n        memberId host port state startedAt stateChangedAt artifacts { name version }\n      } } }\n      commands(first: 10) { edges { node { ...CommandFields } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcCommands($first: Int, $after: String, $clusterId: ID, $state: CommandState, $kind: CommandKind) {\n    commands(first: $first, after: $after, clusterId: $clusterId, state: $state, kind: $kind) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node {\n        id kind state message requestedBy createdAt startedAt finishedAt\n        cluster { name }\n        artifact { name version }\n        operation\n        progress { total pending running succeeded failed skipped }\n      } }\n    }\n  }\n"): (typeof documents)["\n  query OcCommands($first: Int, $after: String, $clusterId: ID, $state: CommandState, $kind: CommandKind) {\n    commands(first: $first, after: $after, clusterId: $clusterId, state: $state, kind: $kind) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node {\n        id kind state message requestedBy createdAt startedAt finishedAt\n        cluster { name }\n        artifact { name version }\n        operation\n        progress { total pending running succeeded failed skipped }\n      } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcCommand($id: ID!) { command(id: $id) { ...CommandFields } }\n"): (typeof documents)["\n  query OcCommand($id: ID!) { command(id: $id) { ...CommandFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OcCommandUpdated($id: ID) { commandUpdated(id: $id) { ...CommandFields } }\n"): (typeof documents)["\n  subscription OcCommandUpdated($id: ID) { commandUpdated(id: $id) { ...CommandFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcRestart($input: RestartClusterInput!) {\n    restartCluster(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"): (typeof documents)["\n  mutation OcRestart($input: RestartClusterInput!) {\n    restartCluster(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcDeploy($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"): (typeof documents)["\n  mutation OcDeploy($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcPatch($input: DeployPatchInput!) {\n    deployPatch(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"): (typeof documents)["\n  mutation OcPatch($input: DeployPatchInput!) {\n    deployPatch(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcPause($id: ID!) {\n    pauseCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"): (typeof documents)["\n  mutation OcPause($id: ID!) {\n    pauseCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcResume($id: ID!) {\n    resumeCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"): (typeof documents)["\n  mutation OcResume($id: ID!) {\n    resumeCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcPromote($id: ID!) {\n    promoteCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"): (typeof documents)["\n  mutation OcPromote($id: ID!) {\n    promoteCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcRollback($id: ID!) {\n    rollbackCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"): (typeof documents)["\n  mutation OcRollback($id: ID!) {\n    rollbackCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcCancel($id: ID!) {\n    cancelCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"): (typeof documents)["\n  mutation OcCancel($id: ID!) {\n    cancelCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcRunOperation($input: RunManagerOperationInput!) {\n    runManagerOperation(input: $input) {\n      __typename\n      ... on OperationPayload { result command { id state } }\n      ... on OperationFailedError { result }\n      ... on ValidationError { field }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation OcRunOperation($input: RunManagerOperationInput!) {\n    runManagerOperation(input: $input) {\n      __typename\n      ... on OperationPayload { result command { id state } }\n      ... on OperationFailedError { result }\n      ... on ValidationError { field }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcTokens { apiTokens { id name role clusterName createdAt lastUsedAt revokedAt } }\n"): (typeof documents)["\n  query OcTokens { apiTokens { id name role clusterName createdAt lastUsedAt revokedAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcCreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token apiToken { id name role clusterName createdAt } }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation OcCreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token apiToken { id name role clusterName createdAt } }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OcRevokeToken($id: ID!) {\n    revokeApiToken(id: $id) { __typename ... on RevokeApiTokenPayload { apiToken { id name revokedAt } } ...ErrorFields }\n  }\n"): (typeof documents)["\n  mutation OcRevokeToken($id: ID!) {\n    revokeApiToken(id: $id) { __typename ... on RevokeApiTokenPayload { apiToken { id name revokedAt } } ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OcMembership($clusterId: ID) {\n    membershipChanged(clusterId: $clusterId) { change at cluster { id name } worker { memberId state host } }\n  }\n"): (typeof documents)["\n  subscription OcMembership($clusterId: ID) {\n    membershipChanged(clusterId: $clusterId) { change at cluster { id name } worker { memberId state host } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OcTopology { topologyChanged { change at cluster { id name health } } }\n"): (typeof documents)["\n  subscription OcTopology { topologyChanged { change at cluster { id name health } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OcCommandEvents($clusterId: ID) {\n    commandUpdated(clusterId: $clusterId) {\n      id kind state message cluster { name } progress { total pending running succeeded failed skipped }\n    }\n  }\n"): (typeof documents)["\n  subscription OcCommandEvents($clusterId: ID) {\n    commandUpdated(clusterId: $clusterId) {\n      id kind state message cluster { name } progress { total pending running succeeded failed skipped }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PreviewFields on RolloutPreview {\n    waves estimatedDurationMs warnings\n    clusters { wave batches cluster { name workerCount } }\n  }\n"): (typeof documents)["\n  fragment PreviewFields on RolloutPreview {\n    waves estimatedDurationMs warnings\n    clusters { wave batches cluster { name workerCount } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcPreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n"): (typeof documents)["\n  query OcPreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcPreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n"): (typeof documents)["\n  query OcPreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OcPreviewPatch($input: DeployPatchInput!) {\n    previewPatch(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n"): (typeof documents)["\n  query OcPreviewPatch($input: DeployPatchInput!) {\n    previewPatch(input: $input) { __typename ...PreviewFields ...ErrorFields }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;