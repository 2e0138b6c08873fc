import type { Stats } from '../../domain/types.js';
import type { EventMap } from '../../events/bus.js';
import { builder } from '../builder.js';
import { parseId } from '../ids.js';
import { ClusterRef } from './cluster.js';
import { MembershipChangeEnum, TopologyChangeEnum } from './enums.js';
import { asResult, ConflictErrorRef, NotFoundErrorRef, payload, resultUnion, ValidationErrorRef } from './errors.js';
import { AFTER_ARG, AFTER_DOC, EventRef } from './event-log.js';
import { StatsRef } from './stats.js';
import { WorkerRef } from './worker.js';

type Membership = EventMap['membership'];

type Topology = EventMap['topology'];

const MembershipEventRef = builder.objectRef<Membership>('MembershipEvent').implement({
  interfaces: [EventRef],
  fields: (t) => ({
    change: t.field({ type: MembershipChangeEnum, resolve: (e) => e.change }),
    // The cluster as the event left it; its health and counts are primed for the event's loaders, so
    // the usual selection reads nothing. Anything more is read once for the event (subscription-events.ts).
    cluster: t.field({
      type: ClusterRef,
      resolve: async (e, _a, ctx) => {
        if (!e.cluster) return (await ctx.loaders.cluster.load(e.clusterId)) ?? { id: e.clusterId, name: '?', kind: '?', createdAt: e.at };
        const { health, workerCount, runningCount, ...cluster } = e.cluster;
        ctx.loaders.cluster.prime(cluster.id, cluster);
        ctx.loaders.summary.prime(cluster.id, { clusterId: cluster.id, health, workerCount, runningCount });
        return cluster;
      },
    }),
    worker: t.field({ type: WorkerRef, resolve: (e) => e.worker }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
  }),
});

const TopologyEventRef = builder.objectRef<Topology>('TopologyEvent').implement({
  interfaces: [EventRef],
  fields: (t) => ({
    change: t.field({ type: TopologyChangeEnum, resolve: (e) => e.change }),
    // A removed cluster is gone from the database: the event carries what it was.
    cluster: t.field({ type: ClusterRef, resolve: (e) => e.cluster }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
  }),
});

/**
 * A subscriber's filter: made by a function rather than written in place, so that it holds only
 * the cluster's id (and is not renamed per subscriber by tsx's keepNames, which turns a closure's
 * properties into a 256-byte dictionary: bench:subscriptions, memory per idle subscriber).
 */
function ofCluster(clusterId: string) {
  return (e: { clusterId: string }) => e.clusterId === clusterId;
}
function statsOf(e: { stats: Stats }) {
  return e.stats;
}

builder.subscriptionFields((t) => ({
  membershipChanged: t.field({
    type: MembershipEventRef,
    authScopes: { viewer: true },
    description: `all clusters when clusterId is omitted. ${AFTER_DOC}`,
    args: { clusterId: t.arg.id(), after: t.arg.string({ description: AFTER_ARG }) },
    subscribe: (_r, args, ctx) => {
      const clusterId = args.clusterId == null ? null : parseId(String(args.clusterId), 'Cluster', 'clusterId');
      return ctx.services.events.resume('membership', { after: args.after ?? null, clusterId, filter: clusterId === null ? undefined : ofCluster(clusterId) });
    },
    // Each event is resolved with loaders of its own, shared by every subscriber (server/subscription-events.ts).
    resolve: (e) => e,
  }),
  topologyChanged: t.field({
    type: TopologyEventRef,
    authScopes: { viewer: true },
    description: AFTER_DOC,
    args: { after: t.arg.string({ description: AFTER_ARG }) },
    subscribe: (_r, args, ctx) => ctx.services.events.resume('topology', { after: args.after ?? null, clusterId: null }),
    resolve: (e) => e,
  }),
  clusterStats: t.field({
    type: StatsRef,
    authScopes: { viewer: true },
    args: { clusterId: t.arg.id({ required: true }) },
    subscribe: (_r, args, ctx) => {
      const clusterId = parseId(String(args.clusterId), 'Cluster', 'clusterId');
      return ctx.services.events.watch('clusterStats', { filter: ofCluster(clusterId), map: statsOf });
    },
    resolve: (s) => s,
  }),
}));

const RemoveClusterPayload = builder.objectRef<{ cluster: { id: string; name: string; kind: string; createdAt: Date } }>('RemoveClusterPayload').implement({
  fields: (t) => ({ cluster: t.field({ type: ClusterRef, description: 'the cluster as it was', resolve: (p) => p.cluster }) }),
});
const RemoveClusterResult = resultUnion('RemoveClusterResult', RemoveClusterPayload, [ValidationErrorRef, NotFoundErrorRef, ConflictErrorRef]);

builder.mutationField('removeCluster', (t) =>
  t.field({
    type: RemoveClusterResult,
    authScopes: { admin: true },
    description: 'ADMIN: forgets a cluster, its manager, workers, history and commands. A manager that registers again brings it back.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) =>
      asResult(async () => payload('RemoveClusterPayload', { cluster: await ctx.services.managers.removeCluster(parseId(String(id), 'Cluster', 'id')) })),
  }),
);
