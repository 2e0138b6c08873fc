import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { CLUSTER_PAGE, listSizeExtensions } from '../ids.js';
import { CLUSTER_LIST_ORDER, ClusterConnection, clusterListArgs, resolveClusterList } from './cluster.js';
import { StatsRef } from './stats.js';

/**
 * What a `system` selection reads, once per request: its counts and stats come from one statement
 * (they were five: each field read its own, and the stats twice).
 */
type SystemSummary = Awaited<ReturnType<GraphQLContext['services']['topology']['systemCounts']>>;
interface SystemRead {
  summary(): Promise<SystemSummary>;
}

export const SystemRef = builder.objectRef<SystemRead>('System').implement({
  fields: (t) => ({
    clusterCount: t.int({ resolve: async (s) => (await s.summary()).clusterCount }),
    workerCount: t.int({ resolve: async (s) => (await s.summary()).workerCount }),
    clusters: t.field({ type: ClusterConnection, description: CLUSTER_LIST_ORDER, extensions: listSizeExtensions(CLUSTER_PAGE), args: clusterListArgs, resolve: (_s, args, ctx) => resolveClusterList(args, ctx) }),
    stats: t.field({
      type: StatsRef,
      nullable: true,
      description: "over every cluster's latest stats",
      resolve: async (s, _a, ctx) => {
        const summary = await s.summary();
        return summary.stats !== undefined ? summary.stats : ctx.services.topology.systemStats();
      },
    }),
  }),
});

builder.queryField('system', (t) =>
  t.field({
    type: SystemRef,
    authScopes: { viewer: true },
    resolve: (_r, _a, ctx) => {
      let read: Promise<SystemSummary> | null = null;
      return { summary: () => (read ??= ctx.services.topology.systemCounts()) };
    },
  }),
);
