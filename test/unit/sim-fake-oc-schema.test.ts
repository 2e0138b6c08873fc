/**
 * simulator/fake-oc-schema.ts hand-copies the manager-facing half of the OC's schema. These tests fail when
 * the two drift apart, for the part fake-oc implements (the manager protocol: the mutations and the
 * subscription it serves, and every type they reach; its Query is a placeholder and not compared):
 * the real schema must offer everything fake-oc offers, alike (graphql's findBreakingChanges from
 * fake-oc's schema to the real one finds nothing), and the manager protocol's documents
 * (simulator/documents.ts, the ones the simulator sends) must be valid against fake-oc's schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, type DocumentNode, findBreakingChanges, GraphQLSchema, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as documents from '../../simulator/documents.js';
import { FAKE_OC_SDL } from '../../simulator/fake-oc-schema.js';

const real = buildSchema(readFileSync(join(import.meta.dirname, '..', '..', 'schema.graphql'), 'utf8'));
const fake = buildSchema(FAKE_OC_SDL);

describe("fake-oc's schema", () => {
  it('offers nothing of the manager protocol that the real schema does not offer alike', () => {
    const protocol = new GraphQLSchema({ mutation: fake.getMutationType(), subscription: fake.getSubscriptionType() });
    const drift = findBreakingChanges(protocol, real).map((c) => `${c.type}: ${c.description}`);
    expect(drift, 'simulator/fake-oc-schema.ts FAKE_OC_SDL has drifted from schema.graphql').toEqual([]);
  });

  const protocol = Object.entries(documents).filter((e): e is [string, DocumentNode] => (e[1] as { kind?: string }).kind === 'Document');

  it('is checked against every document of the manager protocol', () => {
    expect(protocol.map(([name]) => name).sort()).toEqual([
      'ManagerTasksSubscription',
      'RegisterManagerMutation',
      'ReportMembershipMutation',
      'ReportStatsMutation',
      'ReportTaskMutation',
    ]);
  });

  it.each(protocol)('serves the manager protocol document %s', (_name, doc) => {
    const errors = validate(fake, doc).map((e) => e.message);
    expect(errors).toEqual([]);
  });
});
