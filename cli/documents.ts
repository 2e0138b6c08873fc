/**
 * Every GraphQL document `oc` sends, typed from schema.graphql by GraphQL Code Generator
 * (`npm run codegen:cli` writes cli/gql/). A document the schema no longer accepts fails codegen,
 * and a field whose type changed fails `npm run typecheck`.
 */
import { graphql } from './gql/index.js';

export const ErrorFields = graphql(`
  fragment ErrorFields on Error { code message }
`);

export const CommandFields = graphql(`
  fragment CommandFields on Command {
    id kind state message operation arguments result requestedBy createdAt startedAt finishedAt
    pauseRequested cancelRequested
    hold { reason by message }
    cluster { id name kind }
    parent { id }
    rollbackOf { id } rolledBackBy { id }
    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }
    artifact { name version }
    progress { total pending running succeeded failed skipped }
    steps { index memberId state message startedAt finishedAt }
    children { id state message cluster { name } progress { total pending running succeeded failed skipped } }
  }
`);

export const ViewerQuery = graphql(`
  query OcViewer { viewer { tokenName role } }
`);

export const ClusterRefQuery = graphql(`
  query OcClusterRef($id: ID, $name: String) { cluster(id: $id, name: $name) { id name } }
`);

export const ClustersQuery = graphql(`
  query OcClusters($first: Int, $after: String, $kind: String, $health: ClusterHealth) {
    clusters(first: $first, after: $after, kind: $kind, health: $health) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id name kind health workerCount
        manager { connected version host }
        artifacts { name version workerCount }
        stats { cpuPercent memoryMb requestsPerSec errorsPerSec }
      } }
    }
  }
`);

export const ClusterQuery = graphql(`
  query OcCluster($id: ID!) {
    cluster(id: $id) {
      id name kind health workerCount createdAt
      manager { host url version connected lastSeenAt registeredAt operations { name description } }
      artifacts { name version workerCount }
      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }
      workers(first: 1000) { totalCount edges { node {
        memberId host port state startedAt stateChangedAt artifacts { name version }
      } } }
      commands(first: 10) { edges { node { ...CommandFields } } }
    }
  }
`);

export const CommandsQuery = graphql(`
  query OcCommands($first: Int, $after: String, $clusterId: ID, $state: CommandState, $kind: CommandKind) {
    commands(first: $first, after: $after, clusterId: $clusterId, state: $state, kind: $kind) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id kind state message requestedBy createdAt startedAt finishedAt
        cluster { name }
        artifact { name version }
        operation
        progress { total pending running succeeded failed skipped }
      } }
    }
  }
`);

export const CommandQuery = graphql(`
  query OcCommand($id: ID!) { command(id: $id) { ...CommandFields } }
`);

export const CommandUpdatedSubscription = graphql(`
  subscription OcCommandUpdated($id: ID) { commandUpdated(id: $id) { ...CommandFields } }
`);

export const RestartMutation = graphql(`
  mutation OcRestart($input: RestartClusterInput!) {
    restartCluster(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }
  }
`);

export const DeployMutation = graphql(`
  mutation OcDeploy($input: DeployArtifactInput!) {
    deployArtifact(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }
  }
`);

export const PatchMutation = graphql(`
  mutation OcPatch($input: DeployPatchInput!) {
    deployPatch(input: $input) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }
  }
`);

export const PauseMutation = graphql(`
  mutation OcPause($id: ID!) {
    pauseCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }
  }
`);

export const ResumeMutation = graphql(`
  mutation OcResume($id: ID!) {
    resumeCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }
  }
`);

export const PromoteMutation = graphql(`
  mutation OcPromote($id: ID!) {
    promoteCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }
  }
`);

export const RollbackMutation = graphql(`
  mutation OcRollback($id: ID!) {
    rollbackCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }
  }
`);

export const CancelMutation = graphql(`
  mutation OcCancel($id: ID!) {
    cancelCommand(id: $id) { __typename ... on CommandPayload { command { ...CommandFields } } ...ErrorFields }
  }
`);

export const RunOperationMutation = graphql(`
  mutation OcRunOperation($input: RunManagerOperationInput!) {
    runManagerOperation(input: $input) {
      __typename
      ... on OperationPayload { result command { id state } }
      ... on OperationFailedError { result }
      ... on ValidationError { field }
      ...ErrorFields
    }
  }
`);

export const TokensQuery = graphql(`
  query OcTokens { apiTokens { id name role clusterName createdAt lastUsedAt revokedAt } }
`);

export const CreateTokenMutation = graphql(`
  mutation OcCreateToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      __typename
      ... on ApiTokenPayload { token apiToken { id name role clusterName createdAt } }
      ...ErrorFields
    }
  }
`);

export const RevokeTokenMutation = graphql(`
  mutation OcRevokeToken($id: ID!) {
    revokeApiToken(id: $id) { __typename ... on RevokeApiTokenPayload { apiToken { id name revokedAt } } ...ErrorFields }
  }
`);

export const MembershipSubscription = graphql(`
  subscription OcMembership($clusterId: ID) {
    membershipChanged(clusterId: $clusterId) { change at cluster { id name } worker { memberId state host } }
  }
`);

export const TopologySubscription = graphql(`
  subscription OcTopology { topologyChanged { change at cluster { id name health } } }
`);

export const CommandEventsSubscription = graphql(`
  subscription OcCommandEvents($clusterId: ID) {
    commandUpdated(clusterId: $clusterId) {
      id kind state message cluster { name } progress { total pending running succeeded failed skipped }
    }
  }
`);

export const PreviewFields = graphql(`
  fragment PreviewFields on RolloutPreview {
    waves estimatedDurationMs warnings
    clusters { wave batches cluster { name workerCount } }
  }
`);

export const PreviewRestartQuery = graphql(`
  query OcPreviewRestart($input: RestartClusterInput!) {
    previewRestart(input: $input) { __typename ...PreviewFields ...ErrorFields }
  }
`);

export const PreviewDeployQuery = graphql(`
  query OcPreviewDeploy($input: DeployArtifactInput!) {
    previewDeploy(input: $input) { __typename ...PreviewFields ...ErrorFields }
  }
`);

export const PreviewPatchQuery = graphql(`
  query OcPreviewPatch($input: DeployPatchInput!) {
    previewPatch(input: $input) { __typename ...PreviewFields ...ErrorFields }
  }
`);
