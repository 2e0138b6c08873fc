import type { Manager, ManagerOperationSpec } from '../../domain/types.js';
import { builder } from '../builder.js';
import { ClusterRef } from './cluster.js';

export const ManagerOperationRef = builder.objectRef<ManagerOperationSpec>('ManagerOperation').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.string({ nullable: true, resolve: (o) => o.description ?? null }),
    inputSchema: t.field({ type: 'JSON', nullable: true, resolve: (o) => o.inputSchema ?? null }),
  }),
});

export const ManagerRef = builder.objectRef<Manager>('Manager');

builder.node(ManagerRef, {
  id: { resolve: (m) => m.id },
  loadMany: (ids, ctx) => ctx.loaders.manager.loadMany(ids) as Promise<(Manager | null)[]>,
  fields: (t) => ({
    cluster: t.field({ type: ClusterRef, resolve: async (m, _a, ctx) => (await ctx.loaders.cluster.load(m.clusterId))! }),
    host: t.exposeString('host'),
    url: t.exposeString('url', { description: "the manager's own management endpoint / console" }),
    version: t.exposeString('version', { nullable: true }),
    connected: t.exposeBoolean('connected'),
    lastSeenAt: t.field({ type: 'DateTime', resolve: (m) => m.lastSeenAt }),
    registeredAt: t.field({ type: 'DateTime', resolve: (m) => m.registeredAt }),
    operations: t.field({ type: [ManagerOperationRef], description: 'cluster-specific operations it offers', resolve: (m) => m.operations }),
  }),
});
