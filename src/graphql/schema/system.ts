import { builder } from '../builder.js';
import { CLUSTER_PAGE, listSizeExtensions } from '../ids.js';
import { CLUSTER_LIST_ORDER, ClusterConnection, clusterListArgs, resolveClusterList } from './cluster.js';
import { StatsRef } from './stats.js';

export const SystemRef = builder.objectRef<Record<string, never>>('System').implement({
  fields: (t) => ({
    clusterCount: t.int({ resolve: async (_s, _a, ctx) => (await ctx.services.topology.systemCounts()).clusterCount }),
    workerCount: t.int({ resolve: async (_s, _a, ctx) => (await ctx.services.topology.systemCounts()).workerCount }),
    clusters: t.field({ type: ClusterConnection, description: CLUSTER_LIST_ORDER, extensions: listSizeExtensions(CLUSTER_PAGE), args: clusterListArgs, resolve: (_s, args, ctx) => resolveClusterList(args, ctx) }),
    stats: t.field({ type: StatsRef, nullable: true, description: "over every cluster's latest stats", resolve: (_s, _a, ctx) => ctx.services.topology.systemStats() }),
  }),
});

builder.queryField('system', (t) => t.field({ type: SystemRef, authScopes: { viewer: true }, resolve: () => ({}) }));
