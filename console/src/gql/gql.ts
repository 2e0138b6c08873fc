/* eslint-disable */
import * as types from './graphql';
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
    "\n  query Viewer {\n    viewer { tokenName role }\n  }\n": typeof types.ViewerDocument,
    "\n  fragment CommandRow on Command {\n    id\n    kind\n    state\n    message\n    operation\n    requestedBy\n    createdAt\n    startedAt\n    finishedAt\n    cluster { id name }\n    artifact { name version }\n    progress { total pending running succeeded failed skipped }\n  }\n": typeof types.CommandRowFragmentDoc,
    "\n  fragment ManagerOperationItem on ManagerOperation {\n    name\n    description\n    inputSchema\n  }\n": typeof types.ManagerOperationItemFragmentDoc,
    "\n  mutation RunManagerOperation($input: RunManagerOperationInput!) {\n    runManagerOperation(input: $input) {\n      __typename\n      ... on OperationPayload { result command { id } }\n      ... on OperationFailedError { result }\n      ... on TimeoutError { timeoutMs }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RunManagerOperationDocument,
    "\n  mutation RollbackCommand($id: ID!) {\n    rollbackCommand(id: $id) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RollbackCommandDocument,
    "\n  mutation RestartCluster($input: RestartClusterInput!) {\n    restartCluster(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n": typeof types.RestartClusterDocument,
    "\n  mutation DeployArtifact($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n": typeof types.DeployArtifactDocument,
    "\n  query ConsolePreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ConsolePreviewRestartDocument,
    "\n  query ConsolePreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ConsolePreviewDeployDocument,
    "\n  query ConsolePreviewPatch($input: DeployPatchInput!) {\n    previewPatch(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ConsolePreviewPatchDocument,
    "\n  fragment WorkerRow on Worker {\n    id\n    memberId\n    host\n    port\n    state\n    startedAt\n    stateChangedAt\n    artifacts { name version deployedAt }\n    stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n  }\n": typeof types.WorkerRowFragmentDoc,
    "\n  query ClusterView($name: String!) {\n    cluster(name: $name) {\n      id\n      name\n      kind\n      health\n      workerCount\n      createdAt\n      manager {\n        id\n        host\n        url\n        version\n        connected\n        lastSeenAt\n        registeredAt\n        operations { ...ManagerOperationItem }\n      }\n      artifacts { name version workerCount }\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n      workers(first: 1000) { totalCount edges { node { ...WorkerRow } } }\n      commands(first: 15) { totalCount edges { node { ...CommandRow } } }\n    }\n  }\n": typeof types.ClusterViewDocument,
    "\n  query ClusterStatsHistory($name: String!, $since: DateTime!, $step: Int!) {\n    cluster(name: $name) {\n      id\n      statsHistory(since: $since, stepSeconds: $step) { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec }\n    }\n  }\n": typeof types.ClusterStatsHistoryDocument,
    "\n  subscription ClusterMembership($id: ID!) {\n    membershipChanged(clusterId: $id) { change worker { id memberId state } }\n  }\n": typeof types.ClusterMembershipDocument,
    "\n  subscription ClusterCommands($id: ID!) {\n    commandUpdated(clusterId: $id) { id state }\n  }\n": typeof types.ClusterCommandsDocument,
    "\n  subscription ClusterTopology {\n    topologyChanged { change cluster { id } }\n  }\n": typeof types.ClusterTopologyDocument,
    "\n  subscription ClusterStatsLive($id: ID!) {\n    clusterStats(clusterId: $id) { sampledAt }\n  }\n": typeof types.ClusterStatsLiveDocument,
    "\n  fragment CommandDetail on Command {\n    id\n    kind\n    state\n    message\n    pauseRequested\n    cancelRequested\n    hold { reason since by message }\n    requestedBy\n    createdAt\n    startedAt\n    finishedAt\n    operation\n    arguments\n    result\n    cluster { id name manager { id connected } }\n    parent { id kind artifact { name version } }\n    rollbackOf { id state }\n    rolledBackBy { id state }\n    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }\n    artifact { name version url sha256 }\n    progress { total pending running succeeded failed skipped }\n    steps { index memberId state message startedAt finishedAt }\n    tasks { id action memberIds state message deliveries createdAt updatedAt }\n    history { at state message }\n    children {\n      id\n      state\n      message\n      startedAt\n      finishedAt\n      cluster { id name }\n      progress { total pending running succeeded failed skipped }\n    }\n  }\n": typeof types.CommandDetailFragmentDoc,
    "\n  query CommandView($id: ID!) {\n    command(id: $id) { ...CommandDetail }\n  }\n": typeof types.CommandViewDocument,
    "\n  subscription CommandLive($id: ID!) {\n    commandUpdated(id: $id) { ...CommandDetail }\n  }\n": typeof types.CommandLiveDocument,
    "\n  mutation PauseCommand($id: ID!) {\n    pauseCommand(id: $id) { __typename ... on Error { code message } }\n  }\n": typeof types.PauseCommandDocument,
    "\n  mutation ResumeCommand($id: ID!) {\n    resumeCommand(id: $id) { __typename ... on Error { code message } }\n  }\n": typeof types.ResumeCommandDocument,
    "\n  mutation PromoteCommand($id: ID!) {\n    promoteCommand(id: $id) { __typename ... on Error { code message } }\n  }\n": typeof types.PromoteCommandDocument,
    "\n  mutation CancelCommand($id: ID!) {\n    cancelCommand(id: $id) { __typename ... on Error { code message } }\n  }\n": typeof types.CancelCommandDocument,
    "\n  subscription EventsMembership {\n    membershipChanged { change at cluster { id name } worker { memberId state } }\n  }\n": typeof types.EventsMembershipDocument,
    "\n  subscription EventsTopology {\n    topologyChanged { change at cluster { id name health } }\n  }\n": typeof types.EventsTopologyDocument,
    "\n  subscription EventsCommands {\n    commandUpdated { id kind state message cluster { id name } progress { total succeeded failed skipped running pending } }\n  }\n": typeof types.EventsCommandsDocument,
    "\n  query FleetSystem {\n    system {\n      clusterCount\n      workerCount\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n    }\n  }\n": typeof types.FleetSystemDocument,
    "\n  query Operations($first: Int!, $state: CommandState, $kind: CommandKind, $clusterId: ID) {\n    commands(first: $first, state: $state, kind: $kind, clusterId: $clusterId) {\n      totalCount\n      edges { node { ...CommandRow } }\n    }\n  }\n": typeof types.OperationsDocument,
    "\n  query ClusterNames {\n    clusters(first: 500) { edges { node { id name } } }\n  }\n": typeof types.ClusterNamesDocument,
    "\n  subscription OperationsLive {\n    commandUpdated { id state }\n  }\n": typeof types.OperationsLiveDocument,
    "\n  query PatchClusters {\n    clusters(first: 500) { totalCount edges { node { id name kind health workerCount } } }\n  }\n": typeof types.PatchClustersDocument,
    "\n  mutation DeployPatch($input: DeployPatchInput!) {\n    deployPatch(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n": typeof types.DeployPatchDocument,
    "\n  query Tokens {\n    apiTokens { id name role clusterName createdAt lastUsedAt revokedAt }\n  }\n": typeof types.TokensDocument,
    "\n  mutation CreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token apiToken { id name role } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.CreateTokenDocument,
    "\n  mutation RevokeToken($id: ID!) {\n    revokeApiToken(id: $id) { __typename ... on Error { code message } }\n  }\n": typeof types.RevokeTokenDocument,
    "\n  fragment FleetCluster on Cluster {\n    id\n    name\n    kind\n    health\n    workerCount\n    manager { connected host }\n    artifacts { name version workerCount }\n    stats { cpuPercent requestsPerSec }\n  }\n": typeof types.FleetClusterFragmentDoc,
    "\n  query FleetStrips($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      ... on Cluster {\n        id\n        workers(first: 1000) { edges { node { memberId state } } }\n      }\n    }\n  }\n": typeof types.FleetStripsDocument,
    "\n  query FleetPage($first: Int!, $after: String) {\n    clusters(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...FleetCluster } }\n    }\n  }\n": typeof types.FleetPageDocument,
    "\n  query FleetClusterOne($id: ID!) {\n    cluster(id: $id) { ...FleetCluster }\n  }\n": typeof types.FleetClusterOneDocument,
    "\n  fragment ActiveCommand on Command {\n    id\n    kind\n    state\n    message\n    cluster { id }\n    progress { total pending running succeeded failed skipped }\n  }\n": typeof types.ActiveCommandFragmentDoc,
    "\n  query FleetActiveCommands {\n    running: commands(first: 500, state: RUNNING) { edges { node { ...ActiveCommand } } }\n    paused: commands(first: 500, state: PAUSED) { edges { node { ...ActiveCommand } } }\n    pending: commands(first: 500, state: PENDING) { edges { node { ...ActiveCommand } } }\n  }\n": typeof types.FleetActiveCommandsDocument,
    "\n  subscription FleetMembership {\n    membershipChanged {\n      change\n      cluster { id health workerCount }\n      worker { id memberId state }\n    }\n  }\n": typeof types.FleetMembershipDocument,
    "\n  subscription FleetTopology {\n    topologyChanged {\n      change\n      at\n      cluster { id health manager { id connected } }\n    }\n  }\n": typeof types.FleetTopologyDocument,
    "\n  subscription FleetCommands {\n    commandUpdated { ...ActiveCommand }\n  }\n": typeof types.FleetCommandsDocument,
};
const documents: Documents = {
    "\n  query Viewer {\n    viewer { tokenName role }\n  }\n": types.ViewerDocument,
    "\n  fragment CommandRow on Command {\n    id\n    kind\n    state\n    message\n    operation\n    requestedBy\n    createdAt\n    startedAt\n    finishedAt\n    cluster { id name }\n    artifact { name version }\n    progress { total pending running succeeded failed skipped }\n  }\n": types.CommandRowFragmentDoc,
    "\n  fragment ManagerOperationItem on ManagerOperation {\n    name\n    description\n    inputSchema\n  }\n": types.ManagerOperationItemFragmentDoc,
    "\n  mutation RunManagerOperation($input: RunManagerOperationInput!) {\n    runManagerOperation(input: $input) {\n      __typename\n      ... on OperationPayload { result command { id } }\n      ... on OperationFailedError { result }\n      ... on TimeoutError { timeoutMs }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n": types.RunManagerOperationDocument,
    "\n  mutation RollbackCommand($id: ID!) {\n    rollbackCommand(id: $id) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n": types.RollbackCommandDocument,
    "\n  mutation RestartCluster($input: RestartClusterInput!) {\n    restartCluster(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n": types.RestartClusterDocument,
    "\n  mutation DeployArtifact($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n": types.DeployArtifactDocument,
    "\n  query ConsolePreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n": types.ConsolePreviewRestartDocument,
    "\n  query ConsolePreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n": types.ConsolePreviewDeployDocument,
    "\n  query ConsolePreviewPatch($input: DeployPatchInput!) {\n    previewPatch(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n": types.ConsolePreviewPatchDocument,
    "\n  fragment WorkerRow on Worker {\n    id\n    memberId\n    host\n    port\n    state\n    startedAt\n    stateChangedAt\n    artifacts { name version deployedAt }\n    stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n  }\n": types.WorkerRowFragmentDoc,
    "\n  query ClusterView($name: String!) {\n    cluster(name: $name) {\n      id\n      name\n      kind\n      health\n      workerCount\n      createdAt\n      manager {\n        id\n        host\n        url\n        version\n        connected\n        lastSeenAt\n        registeredAt\n        operations { ...ManagerOperationItem }\n      }\n      artifacts { name version workerCount }\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n      workers(first: 1000) { totalCount edges { node { ...WorkerRow } } }\n      commands(first: 15) { totalCount edges { node { ...CommandRow } } }\n    }\n  }\n": types.ClusterViewDocument,
    "\n  query ClusterStatsHistory($name: String!, $since: DateTime!, $step: Int!) {\n    cluster(name: $name) {\n      id\n      statsHistory(since: $since, stepSeconds: $step) { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec }\n    }\n  }\n": types.ClusterStatsHistoryDocument,
    "\n  subscription ClusterMembership($id: ID!) {\n    membershipChanged(clusterId: $id) { change worker { id memberId state } }\n  }\n": types.ClusterMembershipDocument,
    "\n  subscription ClusterCommands($id: ID!) {\n    commandUpdated(clusterId: $id) { id state }\n  }\n": types.ClusterCommandsDocument,
    "\n  subscription ClusterTopology {\n    topologyChanged { change cluster { id } }\n  }\n": types.ClusterTopologyDocument,
    "\n  subscription ClusterStatsLive($id: ID!) {\n    clusterStats(clusterId: $id) { sampledAt }\n  }\n": types.ClusterStatsLiveDocument,
    "\n  fragment CommandDetail on Command {\n    id\n    kind\n    state\n    message\n    pauseRequested\n    cancelRequested\n    hold { reason since by message }\n    requestedBy\n    createdAt\n    startedAt\n    finishedAt\n    operation\n    arguments\n    result\n    cluster { id name manager { id connected } }\n    parent { id kind artifact { name version } }\n    rollbackOf { id state }\n    rolledBackBy { id state }\n    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }\n    artifact { name version url sha256 }\n    progress { total pending running succeeded failed skipped }\n    steps { index memberId state message startedAt finishedAt }\n    tasks { id action memberIds state message deliveries createdAt updatedAt }\n    history { at state message }\n    children {\n      id\n      state\n      message\n      startedAt\n      finishedAt\n      cluster { id name }\n      progress { total pending running succeeded failed skipped }\n    }\n  }\n": types.CommandDetailFragmentDoc,
    "\n  query CommandView($id: ID!) {\n    command(id: $id) { ...CommandDetail }\n  }\n": types.CommandViewDocument,
    "\n  subscription CommandLive($id: ID!) {\n    commandUpdated(id: $id) { ...CommandDetail }\n  }\n": types.CommandLiveDocument,
    "\n  mutation PauseCommand($id: ID!) {\n    pauseCommand(id: $id) { __typename ... on Error { code message } }\n  }\n": types.PauseCommandDocument,
    "\n  mutation ResumeCommand($id: ID!) {\n    resumeCommand(id: $id) { __typename ... on Error { code message } }\n  }\n": types.ResumeCommandDocument,
    "\n  mutation PromoteCommand($id: ID!) {\n    promoteCommand(id: $id) { __typename ... on Error { code message } }\n  }\n": types.PromoteCommandDocument,
    "\n  mutation CancelCommand($id: ID!) {\n    cancelCommand(id: $id) { __typename ... on Error { code message } }\n  }\n": types.CancelCommandDocument,
    "\n  subscription EventsMembership {\n    membershipChanged { change at cluster { id name } worker { memberId state } }\n  }\n": types.EventsMembershipDocument,
    "\n  subscription EventsTopology {\n    topologyChanged { change at cluster { id name health } }\n  }\n": types.EventsTopologyDocument,
    "\n  subscription EventsCommands {\n    commandUpdated { id kind state message cluster { id name } progress { total succeeded failed skipped running pending } }\n  }\n": types.EventsCommandsDocument,
    "\n  query FleetSystem {\n    system {\n      clusterCount\n      workerCount\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n    }\n  }\n": types.FleetSystemDocument,
    "\n  query Operations($first: Int!, $state: CommandState, $kind: CommandKind, $clusterId: ID) {\n    commands(first: $first, state: $state, kind: $kind, clusterId: $clusterId) {\n      totalCount\n      edges { node { ...CommandRow } }\n    }\n  }\n": types.OperationsDocument,
    "\n  query ClusterNames {\n    clusters(first: 500) { edges { node { id name } } }\n  }\n": types.ClusterNamesDocument,
    "\n  subscription OperationsLive {\n    commandUpdated { id state }\n  }\n": types.OperationsLiveDocument,
    "\n  query PatchClusters {\n    clusters(first: 500) { totalCount edges { node { id name kind health workerCount } } }\n  }\n": types.PatchClustersDocument,
    "\n  mutation DeployPatch($input: DeployPatchInput!) {\n    deployPatch(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n": types.DeployPatchDocument,
    "\n  query Tokens {\n    apiTokens { id name role clusterName createdAt lastUsedAt revokedAt }\n  }\n": types.TokensDocument,
    "\n  mutation CreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token apiToken { id name role } }\n      ... on Error { code message }\n    }\n  }\n": types.CreateTokenDocument,
    "\n  mutation RevokeToken($id: ID!) {\n    revokeApiToken(id: $id) { __typename ... on Error { code message } }\n  }\n": types.RevokeTokenDocument,
    "\n  fragment FleetCluster on Cluster {\n    id\n    name\n    kind\n    health\n    workerCount\n    manager { connected host }\n    artifacts { name version workerCount }\n    stats { cpuPercent requestsPerSec }\n  }\n": types.FleetClusterFragmentDoc,
    "\n  query FleetStrips($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      ... on Cluster {\n        id\n        workers(first: 1000) { edges { node { memberId state } } }\n      }\n    }\n  }\n": types.FleetStripsDocument,
    "\n  query FleetPage($first: Int!, $after: String) {\n    clusters(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...FleetCluster } }\n    }\n  }\n": types.FleetPageDocument,
    "\n  query FleetClusterOne($id: ID!) {\n    cluster(id: $id) { ...FleetCluster }\n  }\n": types.FleetClusterOneDocument,
    "\n  fragment ActiveCommand on Command {\n    id\n    kind\n    state\n    message\n    cluster { id }\n    progress { total pending running succeeded failed skipped }\n  }\n": types.ActiveCommandFragmentDoc,
    "\n  query FleetActiveCommands {\n    running: commands(first: 500, state: RUNNING) { edges { node { ...ActiveCommand } } }\n    paused: commands(first: 500, state: PAUSED) { edges { node { ...ActiveCommand } } }\n    pending: commands(first: 500, state: PENDING) { edges { node { ...ActiveCommand } } }\n  }\n": types.FleetActiveCommandsDocument,
    "\n  subscription FleetMembership {\n    membershipChanged {\n      change\n      cluster { id health workerCount }\n      worker { id memberId state }\n    }\n  }\n": types.FleetMembershipDocument,
    "\n  subscription FleetTopology {\n    topologyChanged {\n      change\n      at\n      cluster { id health manager { id connected } }\n    }\n  }\n": types.FleetTopologyDocument,
    "\n  subscription FleetCommands {\n    commandUpdated { ...ActiveCommand }\n  }\n": types.FleetCommandsDocument,
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
export function graphql(source: "\n  query Viewer {\n    viewer { tokenName role }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer { tokenName role }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CommandRow on Command {\n    id\n    kind\n    state\n    message\n    operation\n    requestedBy\n    createdAt\n    startedAt\n    finishedAt\n    cluster { id name }\n    artifact { name version }\n    progress { total pending running succeeded failed skipped }\n  }\n"): (typeof documents)["\n  fragment CommandRow on Command {\n    id\n    kind\n    state\n    message\n    operation\n    requestedBy\n    createdAt\n    startedAt\n    finishedAt\n    cluster { id name }\n    artifact { name version }\n    progress { total pending running succeeded failed skipped }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ManagerOperationItem on ManagerOperation {\n    name\n    description\n    inputSchema\n  }\n"): (typeof documents)["\n  fragment ManagerOperationItem on ManagerOperation {\n    name\n    description\n    inputSchema\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunManagerOperation($input: RunManagerOperationInput!) {\n    runManagerOperation(input: $input) {\n      __typename\n      ... on OperationPayload { result command { id } }\n      ... on OperationFailedError { result }\n      ... on TimeoutError { timeoutMs }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation RunManagerOperation($input: RunManagerOperationInput!) {\n    runManagerOperation(input: $input) {\n      __typename\n      ... on OperationPayload { result command { id } }\n      ... on OperationFailedError { result }\n      ... on TimeoutError { timeoutMs }\n      ... on ValidationError { field }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RollbackCommand($id: ID!) {\n    rollbackCommand(id: $id) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation RollbackCommand($id: ID!) {\n    rollbackCommand(id: $id) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RestartCluster($input: RestartClusterInput!) {\n    restartCluster(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation RestartCluster($input: RestartClusterInput!) {\n    restartCluster(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeployArtifact($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation DeployArtifact($input: DeployArtifactInput!) {\n    deployArtifact(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsolePreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  query ConsolePreviewRestart($input: RestartClusterInput!) {\n    previewRestart(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsolePreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  query ConsolePreviewDeploy($input: DeployArtifactInput!) {\n    previewDeploy(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsolePreviewPatch($input: DeployPatchInput!) {\n    previewPatch(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  query ConsolePreviewPatch($input: DeployPatchInput!) {\n    previewPatch(input: $input) {\n      __typename\n      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WorkerRow on Worker {\n    id\n    memberId\n    host\n    port\n    state\n    startedAt\n    stateChangedAt\n    artifacts { name version deployedAt }\n    stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n  }\n"): (typeof documents)["\n  fragment WorkerRow on Worker {\n    id\n    memberId\n    host\n    port\n    state\n    startedAt\n    stateChangedAt\n    artifacts { name version deployedAt }\n    stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ClusterView($name: String!) {\n    cluster(name: $name) {\n      id\n      name\n      kind\n      health\n      workerCount\n      createdAt\n      manager {\n        id\n        host\n        url\n        version\n        connected\n        lastSeenAt\n        registeredAt\n        operations { ...ManagerOperationItem }\n      }\n      artifacts { name version workerCount }\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n      workers(first: 1000) { totalCount edges { node { ...WorkerRow } } }\n      commands(first: 15) { totalCount edges { node { ...CommandRow } } }\n    }\n  }\n"): (typeof documents)["\n  query ClusterView($name: String!) {\n    cluster(name: $name) {\n      id\n      name\n      kind\n      health\n      workerCount\n      createdAt\n      manager {\n        id\n        host\n        url\n        version\n        connected\n        lastSeenAt\n        registeredAt\n        operations { ...ManagerOperationItem }\n      }\n      artifacts { name version workerCount }\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n      workers(first: 1000) { totalCount edges { node { ...WorkerRow } } }\n      commands(first: 15) { totalCount edges { node { ...CommandRow } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ClusterStatsHistory($name: String!, $since: DateTime!, $step: Int!) {\n    cluster(name: $name) {\n      id\n      statsHistory(since: $since, stepSeconds: $step) { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec }\n    }\n  }\n"): (typeof documents)["\n  query ClusterStatsHistory($name: String!, $since: DateTime!, $step: Int!) {\n    cluster(name: $name) {\n      id\n      statsHistory(since: $since, stepSeconds: $step) { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClusterMembership($id: ID!) {\n    membershipChanged(clusterId: $id) { change worker { id memberId state } }\n  }\n"): (typeof documents)["\n  subscription ClusterMembership($id: ID!) {\n    membershipChanged(clusterId: $id) { change worker { id memberId state } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClusterCommands($id: ID!) {\n    commandUpdated(clusterId: $id) { id state }\n  }\n"): (typeof documents)["\n  subscription ClusterCommands($id: ID!) {\n    commandUpdated(clusterId: $id) { id state }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClusterTopology {\n    topologyChanged { change cluster { id } }\n  }\n"): (typeof documents)["\n  subscription ClusterTopology {\n    topologyChanged { change cluster { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClusterStatsLive($id: ID!) {\n    clusterStats(clusterId: $id) { sampledAt }\n  }\n"): (typeof documents)["\n  subscription ClusterStatsLive($id: ID!) {\n    clusterStats(clusterId: $id) { sampledAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CommandDetail on Command {\n    id\n    kind\n    state\n    message\n    pauseRequested\n    cancelRequested\n    hold { reason since by message }\n    requestedBy\n    createdAt\n    startedAt\n    finishedAt\n    operation\n    arguments\n    result\n    cluster { id name manager { id connected } }\n    parent { id kind artifact { name version } }\n    rollbackOf { id state }\n    rolledBackBy { id state }\n    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }\n    artifact { name version url sha256 }\n    progress { total pending running succeeded failed skipped }\n    steps { index memberId state message startedAt finishedAt }\n    tasks { id action memberIds state message deliveries createdAt updatedAt }\n    history { at state message }\n    children {\n      id\n      state\n      message\n      startedAt\n      finishedAt\n      cluster { id name }\n      progress { total pending running succeeded failed skipped }\n    }\n  }\n"): (typeof documents)["\n  fragment CommandDetail on Command {\n    id\n    kind\n    state\n    message\n    pauseRequested\n    cancelRequested\n    hold { reason since by message }\n    requestedBy\n    createdAt\n    startedAt\n    finishedAt\n    operation\n    arguments\n    result\n    cluster { id name manager { id connected } }\n    parent { id kind artifact { name version } }\n    rollbackOf { id state }\n    rolledBackBy { id state }\n    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }\n    artifact { name version url sha256 }\n    progress { total pending running succeeded failed skipped }\n    steps { index memberId state message startedAt finishedAt }\n    tasks { id action memberIds state message deliveries createdAt updatedAt }\n    history { at state message }\n    children {\n      id\n      state\n      message\n      startedAt\n      finishedAt\n      cluster { id name }\n      progress { total pending running succeeded failed skipped }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CommandView($id: ID!) {\n    command(id: $id) { ...CommandDetail }\n  }\n"): (typeof documents)["\n  query CommandView($id: ID!) {\n    command(id: $id) { ...CommandDetail }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CommandLive($id: ID!) {\n    commandUpdated(id: $id) { ...CommandDetail }\n  }\n"): (typeof documents)["\n  subscription CommandLive($id: ID!) {\n    commandUpdated(id: $id) { ...CommandDetail }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PauseCommand($id: ID!) {\n    pauseCommand(id: $id) { __typename ... on Error { code message } }\n  }\n"): (typeof documents)["\n  mutation PauseCommand($id: ID!) {\n    pauseCommand(id: $id) { __typename ... on Error { code message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeCommand($id: ID!) {\n    resumeCommand(id: $id) { __typename ... on Error { code message } }\n  }\n"): (typeof documents)["\n  mutation ResumeCommand($id: ID!) {\n    resumeCommand(id: $id) { __typename ... on Error { code message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PromoteCommand($id: ID!) {\n    promoteCommand(id: $id) { __typename ... on Error { code message } }\n  }\n"): (typeof documents)["\n  mutation PromoteCommand($id: ID!) {\n    promoteCommand(id: $id) { __typename ... on Error { code message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelCommand($id: ID!) {\n    cancelCommand(id: $id) { __typename ... on Error { code message } }\n  }\n"): (typeof documents)["\n  mutation CancelCommand($id: ID!) {\n    cancelCommand(id: $id) { __typename ... on Error { code message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription EventsMembership {\n    membershipChanged { change at cluster { id name } worker { memberId state } }\n  }\n"): (typeof documents)["\n  subscription EventsMembership {\n    membershipChanged { change at cluster { id name } worker { memberId state } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription EventsTopology {\n    topologyChanged { change at cluster { id name health } }\n  }\n"): (typeof documents)["\n  subscription EventsTopology {\n    topologyChanged { change at cluster { id name health } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription EventsCommands {\n    commandUpdated { id kind state message cluster { id name } progress { total succeeded failed skipped running pending } }\n  }\n"): (typeof documents)["\n  subscription EventsCommands {\n    commandUpdated { id kind state message cluster { id name } progress { total succeeded failed skipped running pending } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetSystem {\n    system {\n      clusterCount\n      workerCount\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n    }\n  }\n"): (typeof documents)["\n  query FleetSystem {\n    system {\n      clusterCount\n      workerCount\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Operations($first: Int!, $state: CommandState, $kind: CommandKind, $clusterId: ID) {\n    commands(first: $first, state: $state, kind: $kind, clusterId: $clusterId) {\n      totalCount\n      edges { node { ...CommandRow } }\n    }\n  }\n"): (typeof documents)["\n  query Operations($first: Int!, $state: CommandState, $kind: CommandKind, $clusterId: ID) {\n    commands(first: $first, state: $state, kind: $kind, clusterId: $clusterId) {\n      totalCount\n      edges { node { ...CommandRow } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ClusterNames {\n    clusters(first: 500) { edges { node { id name } } }\n  }\n"): (typeof documents)["\n  query ClusterNames {\n    clusters(first: 500) { edges { node { id name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OperationsLive {\n    commandUpdated { id state }\n  }\n"): (typeof documents)["\n  subscription OperationsLive {\n    commandUpdated { id state }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PatchClusters {\n    clusters(first: 500) { totalCount edges { node { id name kind health workerCount } } }\n  }\n"): (typeof documents)["\n  query PatchClusters {\n    clusters(first: 500) { totalCount edges { node { id name kind health workerCount } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeployPatch($input: DeployPatchInput!) {\n    deployPatch(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation DeployPatch($input: DeployPatchInput!) {\n    deployPatch(input: $input) {\n      __typename\n      ... on CommandPayload { command { id } }\n      ... on Error { code message }\n      ... on ValidationError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Tokens {\n    apiTokens { id name role clusterName createdAt lastUsedAt revokedAt }\n  }\n"): (typeof documents)["\n  query Tokens {\n    apiTokens { id name role clusterName createdAt lastUsedAt revokedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token apiToken { id name role } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on ApiTokenPayload { token apiToken { id name role } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeToken($id: ID!) {\n    revokeApiToken(id: $id) { __typename ... on Error { code message } }\n  }\n"): (typeof documents)["\n  mutation RevokeToken($id: ID!) {\n    revokeApiToken(id: $id) { __typename ... on Error { code message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment FleetCluster on Cluster {\n    id\n    name\n    kind\n    health\n    workerCount\n    manager { connected host }\n    artifacts { name version workerCount }\n    stats { cpuPercent requestsPerSec }\n  }\n"): (typeof documents)["\n  fragment FleetCluster on Cluster {\n    id\n    name\n    kind\n    health\n    workerCount\n    manager { connected host }\n    artifacts { name version workerCount }\n    stats { cpuPercent requestsPerSec }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetStrips($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      ... on Cluster {\n        id\n        workers(first: 1000) { edges { node { memberId state } } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query FleetStrips($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      ... on Cluster {\n        id\n        workers(first: 1000) { edges { node { memberId state } } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetPage($first: Int!, $after: String) {\n    clusters(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...FleetCluster } }\n    }\n  }\n"): (typeof documents)["\n  query FleetPage($first: Int!, $after: String) {\n    clusters(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...FleetCluster } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetClusterOne($id: ID!) {\n    cluster(id: $id) { ...FleetCluster }\n  }\n"): (typeof documents)["\n  query FleetClusterOne($id: ID!) {\n    cluster(id: $id) { ...FleetCluster }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ActiveCommand on Command {\n    id\n    kind\n    state\n    message\n    cluster { id }\n    progress { total pending running succeeded failed skipped }\n  }\n"): (typeof documents)["\n  fragment ActiveCommand on Command {\n    id\n    kind\n    state\n    message\n    cluster { id }\n    progress { total pending running succeeded failed skipped }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetActiveCommands {\n    running: commands(first: 500, state: RUNNING) { edges { node { ...ActiveCommand } } }\n    paused: commands(first: 500, state: PAUSED) { edges { node { ...ActiveCommand } } }\n    pending: commands(first: 500, state: PENDING) { edges { node { ...ActiveCommand } } }\n  }\n"): (typeof documents)["\n  query FleetActiveCommands {\n    running: commands(first: 500, state: RUNNING) { edges { node { ...ActiveCommand } } }\n    paused: commands(first: 500, state: PAUSED) { edges { node { ...ActiveCommand } } }\n    pending: commands(first: 500, state: PENDING) { edges { node { ...ActiveCommand } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription FleetMembership {\n    membershipChanged {\n      change\n      cluster { id health workerCount }\n      worker { id memberId state }\n    }\n  }\n"): (typeof documents)["\n  subscription FleetMembership {\n    membershipChanged {\n      change\n      cluster { id health workerCount }\n      worker { id memberId state }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription FleetTopology {\n    topologyChanged {\n      change\n      at\n      cluster { id health manager { id connected } }\n    }\n  }\n"): (typeof documents)["\n  subscription FleetTopology {\n    topologyChanged {\n      change\n      at\n      cluster { id health manager { id connected } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription FleetCommands {\n    commandUpdated { ...ActiveCommand }\n  }\n"): (typeof documents)["\n  subscription FleetCommands {\n    commandUpdated { ...ActiveCommand }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;