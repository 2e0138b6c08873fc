import { getArgumentValues, getNamedType, type GraphQLResolveInfo, isObjectType, Kind } from 'graphql';
import { ValidationError } from '../../domain/errors.js';
import { type ClusterPageByName, readAlongWith, workerPageKey } from '../../services/loaders.js';
import { clusterCursor } from '../../services/topology-service.js';
import { storable } from '../../services/validate.js';
import type { Cluster, ClusterHealth, Worker, WorkerState } from '../../domain/types.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { CLUSTER_PAGE, connectionOf, decodeCursor, encodeCursor, listSizeExtensions, pageSize, parseId, WORKER_PAGE } from '../ids.js';
import { ClusterHealthEnum, WorkerStateEnum } from './enums.js';
import { ManagerRef } from './manager.js';
import { StatsRef } from './stats.js';
import { WorkerConnection } from './worker.js';

export const ClusterRef = builder.objectRef<Cluster>('Cluster');

export const ArtifactVersionCountRef = builder
  .objectRef<{ name: string; version: string; workerCount: number }>('ArtifactVersionCount')
  .implement({ fields: (t) => ({ name: t.exposeString('name'), version: t.exposeString('version'), workerCount: t.exposeInt('workerCount') }) });

export const ClusterConnection = builder.connectionObject({ type: ClusterRef, name: 'ClusterConnection' }, { name: 'ClusterEdge' });


export const CLUSTER_LIST_ORDER = 'in natural order of name: as-2 before as-10, letters without regard to case';

/** Arguments and resolver of every clusters list (Query.clusters and System.clusters). */
export const clusterListArgs = builder.args((t) => ({
  first: t.int({ description: `at most ${CLUSTER_PAGE.max}; default ${CLUSTER_PAGE.default}` }),
  after: t.string(),
  kind: t.string(),
  health: t.field({ type: ClusterHealthEnum }),
}));

export async function resolveClusterList(args: { first?: number | null; after?: string | null; kind?: string | null; health?: ClusterHealth | null }, ctx: GraphQLContext) {
  const first = pageSize(args.first, CLUSTER_PAGE.default, CLUSTER_PAGE.max);
  const afterName = decodeCursor('cluster', args.after);
  const kind = args.kind == null ? null : storable(args.kind, 'kind');
  const page = await ctx.loaders.clusterPage.load({ filter: { kind: kind?.toUpperCase() ?? null, health: args.health ?? null }, after: clusterCursor(afterName), first });
  return connectionOf(page.clusters, clusterEdgeCursor, { totalCount: page.totalCount, hasNextPage: page.hasNextPage, hasPreviousPage: afterName !== null });
}

const clusterEdgeCursor = (c: Cluster) => encodeCursor('cluster', c.name);
const workerCursor = (w: Worker) => encodeCursor('worker', w.memberId);

builder.node(ClusterRef, {
  id: { resolve: (c) => c.id },
  loadMany: (ids, ctx) => ctx.loaders.cluster.loadMany(ids) as Promise<(Cluster | null)[]>,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'unique across the system' }),
    kind: t.exposeString('kind', { description: 'product type: "AS", "ESB", ...' }),
    // health, workerCount, manager and stats answer at once with what the cluster's statement
    // brought along (a page, a cluster by name), else through the request's loaders.
    health: t.field({
      type: ClusterHealthEnum,
      resolve: (c, _a, ctx) => readAlongWith(c)?.summary.health ?? ctx.loaders.summary.load(c.id).then((s) => s?.health ?? 'UNREACHABLE'),
    }),
    manager: t.field({
      type: ManagerRef,
      nullable: true,
      resolve: (c, _a, ctx) => {
        const along = readAlongWith(c);
        return along?.manager !== undefined ? along.manager : ctx.loaders.managerByCluster.load(c.id);
      },
    }),
    workerCount: t.int({ resolve: (c, _a, ctx) => readAlongWith(c)?.summary.workerCount ?? ctx.loaders.summary.load(c.id).then((s) => s?.workerCount ?? 0) }),
    workers: t.field({
      type: WorkerConnection,
      extensions: listSizeExtensions(WORKER_PAGE),
      args: { first: t.arg.int({ description: `at most ${WORKER_PAGE.max}; default ${WORKER_PAGE.default}` }), after: t.arg.string(), state: t.arg({ type: WorkerStateEnum }) },
      resolve: async (c, args, ctx) => {
        const first = pageSize(args.first, WORKER_PAGE.default, WORKER_PAGE.max);
        const afterMemberId = decodeCursor('worker', args.after);
        const page = await ctx.loaders.workerPage.load(workerPageKey(c.id, args.state ?? null, afterMemberId, first));
        return connectionOf(page.workers, workerCursor, { totalCount: page.totalCount, hasNextPage: page.hasNextPage, hasPreviousPage: afterMemberId !== null });
      },
    }),
    artifacts: t.field({ type: [ArtifactVersionCountRef], description: 'what runs across the cluster: skew is visible', resolve: (c, _a, ctx) => ctx.loaders.artifacts.load(c.id) }),
    stats: t.field({
      type: StatsRef,
      nullable: true,
      resolve: (c, _a, ctx) => {
        const along = readAlongWith(c);
        return along?.stats !== undefined ? along.stats : ctx.loaders.clusterStats.load(c.id);
      },
    }),
    statsHistory: t.field({
      type: [StatsRef],
      args: { since: t.arg({ type: 'DateTime' }), until: t.arg({ type: 'DateTime' }), stepSeconds: t.arg.int() },
      description: 'one point per step (the mean over it); default: the last hour, one point a minute',
      resolve: (c, args, ctx) => ctx.services.topology.statsHistory(c.id, args),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
  }),
});

/**
 * Look-ahead for `cluster(name)`: when its selection asks for exactly one `workers` page (a plain
 * field, not in a fragment, without directives, with valid arguments), the page it will ask for;
 * the cluster, its summary and that page then come in one statement. Anything else: null, and
 * the fields load as usual (the answers are the same either way).
 */
function workersPageAsked(info: GraphQLResolveInfo): Omit<ClusterPageByName, 'name'> | null {
  if (info.fieldNodes.length !== 1) return null;
  const selections = info.fieldNodes[0]!.selectionSet?.selections ?? [];
  const asked = selections.filter((s) => s.kind === Kind.FIELD && s.name.value === 'workers');
  const node = asked[0];
  if (asked.length !== 1 || node?.kind !== Kind.FIELD || node.directives?.length) return null;
  const type = getNamedType(info.returnType);
  const field = isObjectType(type) ? type.getFields().workers : undefined;
  if (!field) return null;
  try {
    const args = getArgumentValues(field, node, info.variableValues) as { first?: number | null; after?: string | null; state?: WorkerState | null };
    return { state: args.state ?? null, afterMemberId: decodeCursor('worker', args.after), first: pageSize(args.first, WORKER_PAGE.default, WORKER_PAGE.max) };
  } catch {
    return null; // the workers field reports the problem itself
  }
}

builder.queryFields((t) => ({
  clusters: t.field({
    type: ClusterConnection,
    description: CLUSTER_LIST_ORDER,
    authScopes: { viewer: true },
    extensions: listSizeExtensions(CLUSTER_PAGE),
    args: clusterListArgs,
    resolve: (_r, args, ctx) => resolveClusterList(args, ctx),
  }),
  cluster: t.field({
    type: ClusterRef,
    nullable: true,
    authScopes: { viewer: true },
    description: 'by id or by name (exactly one)',
    args: { id: t.arg.id(), name: t.arg.string() },
    resolve: async (_r, args, ctx, info) => {
      if ((args.id == null) === (args.name == null)) throw new ValidationError('give exactly one of id and name', 'id');
      if (args.id != null) return ctx.loaders.cluster.load(parseId(String(args.id), 'Cluster', 'id'));
      if (args.name!.length > 200) return null;
      storable(args.name!, 'name');
      const page = workersPageAsked(info);
      if (page) return ctx.loaders.clusterWithWorkersByName.load({ name: args.name!, ...page });
      return ctx.loaders.clusterByName.load(args.name!);
    },
  }),
}));
