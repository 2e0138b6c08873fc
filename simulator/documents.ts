/**
 * The manager protocol: every GraphQL document a cluster manager sends to the OC, typed from
 * schema.graphql by GraphQL Code Generator (`npm run codegen:sim` writes simulator/gql/). The
 * simulator (oc-client.ts) sends these, and the tests' managers (test/support/fleet.ts,
 * test/support/scripted-manager.ts) send the same ones: a contract change is fixed here once.
 * The selections are what any of them reads (the tests read a few fields the simulator does not).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { graphql } from './gql/index.js';

const printed = new WeakMap<object, string>();
/** The text sent for a document (printed on first use). */
export function documentText(doc: TypedDocumentNode<any, any>): string {
  let text = printed.get(doc);
  if (text === undefined) printed.set(doc, (text = print(doc)));
  return text;
}

export const RegisterManagerMutation = graphql(`
  mutation RegisterManager($input: RegisterManagerInput!) {
    registerManager(input: $input) {
      __typename
      ... on RegisterManagerPayload { sessionToken manager { id url connected } cluster { id name kind } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

export const ReportMembershipMutation = graphql(`
  mutation ReportMembership($input: ReportMembershipInput!) {
    reportMembership(input: $input) {
      __typename
      ... on ReportMembershipPayload { acceptedThroughSeq applied }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

export const ReportStatsMutation = graphql(`
  mutation ReportStats($input: ReportStatsInput!) {
    reportStats(input: $input) {
      __typename
      ... on ReportStatsPayload { accepted stats { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

export const ReportTaskMutation = graphql(`
  mutation ReportTask($input: ReportTaskInput!) {
    reportTask(input: $input) {
      __typename
      ... on ReportTaskPayload { task { id state } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

export const ManagerTasksSubscription = graphql(`
  subscription ManagerTasks {
    managerTasks {
      id action memberIds
      artifact { name version url sha256 }
      operation arguments state
      command { id }
    }
  }
`);
