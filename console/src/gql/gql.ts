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
    "\n  query FleetSystem {\n    system {\n      clusterCount\n      workerCount\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n    }\n  }\n": typeof types.FleetSystemDocument,
    "\n  fragment FleetCluster on Cluster {\n    id\n    name\n    kind\n    health\n    workerCount\n    manager { id connected host version lastSeenAt }\n    artifacts { name version workerCount }\n    stats { cpuPercent memoryMb requestsPerSec errorsPerSec }\n    workers(first: 1000) { edges { node { id memberId state } } }\n  }\n": typeof types.FleetClusterFragmentDoc,
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
    "\n  query FleetSystem {\n    system {\n      clusterCount\n      workerCount\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n    }\n  }\n": types.FleetSystemDocument,
    "\n  fragment FleetCluster on Cluster {\n    id\n    name\n    kind\n    health\n    workerCount\n    manager { id connected host version lastSeenAt }\n    artifacts { name version workerCount }\n    stats { cpuPercent memoryMb requestsPerSec errorsPerSec }\n    workers(first: 1000) { edges { node { id memberId state } } }\n  }\n": types.FleetClusterFragmentDoc,
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
export function graphql(source: "\n  query FleetSystem {\n    system {\n      clusterCount\n      workerCount\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n    }\n  }\n"): (typeof documents)["\n  query FleetSystem {\n    system {\n      clusterCount\n      workerCount\n      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment FleetCluster on Cluster {\n    id\n    name\n    kind\n    health\n    workerCount\n    manager { id connected host version lastSeenAt }\n    artifacts { name version workerCount }\n    stats { cpuPercent memoryMb requestsPerSec errorsPerSec }\n    workers(first: 1000) { edges { node { id memberId state } } }\n  }\n"): (typeof documents)["\n  fragment FleetCluster on Cluster {\n    id\n    name\n    kind\n    health\n    workerCount\n    manager { id connected host version lastSeenAt }\n    artifacts { name version workerCount }\n    stats { cpuPercent memoryMb requestsPerSec errorsPerSec }\n    workers(first: 1000) { edges { node { id memberId state } } }\n  }\n"];
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