/**
 * What `npm run rehearse` asks, typed from schema.graphql like the manager protocol
 * (`npm run codegen:sim` writes simulator/gql/): reads of the live OC (a VIEWER token: the
 * cluster's membership, its observed restart times, the preview), and the operator's calls it
 * makes on its private lab OC.
 */
import { graphql } from './gql/index.js';

export const RehearsalViewerQuery = graphql(`
  query RehearsalViewer {
    viewer { tokenName role }
  }
`);

export const RehearsalClusterQuery = graphql(`
  query RehearsalCluster($name: String!, $after: String) {
    cluster(name: $name) {
      id name kind
      manager { connected }
      restartTimings { samples medianMs p90Ms }
      workers(first: 1000, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node { memberId state artifacts { name version } } }
      }
    }
  }
`);

export const RehearsalPreviewRestartQuery = graphql(`
  query RehearsalPreviewRestart($input: RestartClusterInput!) {
    previewRestart(input: $input) {
      __typename
      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }
      ... on Error { code message }
    }
  }
`);

export const RehearsalPreviewDeployQuery = graphql(`
  query RehearsalPreviewDeploy($input: DeployArtifactInput!) {
    previewDeploy(input: $input) {
      __typename
      ... on RolloutPreview { waves estimatedDurationMs warnings clusters { wave batches } }
      ... on Error { code message }
    }
  }
`);

export const RehearsalCreateTokenMutation = graphql(`
  mutation RehearsalCreateToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      __typename
      ... on ApiTokenPayload { token }
      ... on Error { code message }
    }
  }
`);

export const RehearsalRestartMutation = graphql(`
  mutation RehearsalRestart($input: RestartClusterInput!) {
    restartCluster(input: $input) {
      __typename
      ... on CommandPayload { command { id } }
      ... on Error { code message }
    }
  }
`);

export const RehearsalDeployMutation = graphql(`
  mutation RehearsalDeploy($input: DeployArtifactInput!) {
    deployArtifact(input: $input) {
      __typename
      ... on CommandPayload { command { id } }
      ... on Error { code message }
    }
  }
`);

export const RehearsalCommandQuery = graphql(`
  query RehearsalCommand($id: ID!) {
    command(id: $id) {
      id state message startedAt finishedAt
      tasks { memberIds }
      steps { memberId state message }
    }
  }
`);
