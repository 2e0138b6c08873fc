import type { Principal } from '../../domain/auth.js';
import type { Cluster, Manager, Stats } from '../../domain/types.js';
import { builder } from '../builder.js';
import { ClusterRef } from './cluster.js';
import { MembershipChangeEnum, WorkerStateEnum } from './enums.js';
import { parseId } from '../ids.js';
import { asResult, ConflictErrorRef, NotFoundErrorRef, payload, resultUnion, ValidationErrorRef } from './errors.js';
import { ManagerRef } from './manager.js';
import { StatsRef } from './stats.js';

/** Manager-side operations: registration, membership and stats reports. */

const DeployedArtifactInput = builder.inputType('DeployedArtifactInput', {
  fields: (t) => ({ name: t.string({ required: true }), version: t.string({ required: true }), deployedAt: t.field({ type: 'DateTime' }) }),
});
const WorkerInput = builder.inputType('WorkerInput', {
  fields: (t) => ({
    memberId: t.string({ required: true }),
    host: t.string({ required: true }),
    port: t.int(),
    state: t.field({ type: WorkerStateEnum }),
    startedAt: t.field({ type: 'DateTime' }),
    artifacts: t.field({ type: [DeployedArtifactInput] }),
  }),
});
const ManagerOperationInput = builder.inputType('ManagerOperationInput', {
  fields: (t) => ({ name: t.string({ required: true }), description: t.string(), inputSchema: t.field({ type: 'JSON' }) }),
});
const RegisterManagerInput = builder.inputType('RegisterManagerInput', {
  fields: (t) => ({
    clusterName: t.string({ required: true }),
    kind: t.string({ required: true }),
    host: t.string({ required: true }),
    url: t.string({ required: true }),
    version: t.string(),
    workers: t.field({ type: [WorkerInput], required: true, description: 'the full current membership; replaces what the OC had' }),
    operations: t.field({ type: [ManagerOperationInput] }),
  }),
});
const MembershipEventInput = builder.inputType('MembershipEventInput', {
  fields: (t) => ({
    seq: t.int({ required: true }),
    change: t.field({ type: MembershipChangeEnum, required: true }),
    worker: t.field({ type: WorkerInput, required: true }),
  }),
});
const ReportMembershipInput = builder.inputType('ReportMembershipInput', {
  fields: (t) => ({ events: t.field({ type: [MembershipEventInput], required: true }) }),
});
const StatsSampleInput = builder.inputType('StatsSampleInput', {
  fields: (t) => ({
    memberId: t.string({ required: true }),
    at: t.field({ type: 'DateTime' }),
    cpuPercent: t.float({ required: true }),
    memoryMb: t.float({ required: true }),
    requestsPerSec: t.float({ required: true }),
    errorsPerSec: t.float({ required: true }),
  }),
});
const ReportStatsInput = builder.inputType('ReportStatsInput', { fields: (t) => ({ samples: t.field({ type: [StatsSampleInput], required: true }) }) });

const RegisterManagerPayload = builder.objectRef<{ manager: Manager; cluster: Cluster; sessionToken: string }>('RegisterManagerPayload').implement({
  fields: (t) => ({
    manager: t.field({ type: ManagerRef, resolve: (p) => p.manager }),
    cluster: t.field({ type: ClusterRef, resolve: (p) => p.cluster }),
    sessionToken: t.exposeString('sessionToken', { description: 'bound to this manager and its cluster; use it for every later call' }),
  }),
});
const ReportMembershipPayload = builder.objectRef<{ acceptedThroughSeq: number; applied: number }>('ReportMembershipPayload').implement({
  fields: (t) => ({
    acceptedThroughSeq: t.exposeInt('acceptedThroughSeq', { description: 'the last seq the OC holds for this session' }),
    applied: t.exposeInt('applied', { description: 'events of this call applied (duplicates are not)' }),
  }),
});
const ReportStatsPayload = builder.objectRef<{ accepted: number; stats: Stats | null }>('ReportStatsPayload').implement({
  fields: (t) => ({
    accepted: t.exposeInt('accepted', { description: 'samples matched to a known worker' }),
    stats: t.field({ type: StatsRef, nullable: true, description: "the cluster's stats after this report", resolve: (p) => p.stats }),
  }),
});

const ReleaseClusterPayload = builder.objectRef<{ cluster: Cluster }>('ReleaseClusterPayload').implement({
  fields: (t) => ({ cluster: t.field({ type: ClusterRef, resolve: (p) => p.cluster }) }),
});

const errors = [ValidationErrorRef, ConflictErrorRef];
const ReleaseClusterResult = resultUnion('ReleaseClusterResult', ReleaseClusterPayload, [ValidationErrorRef, NotFoundErrorRef]);
const RegisterManagerResult = resultUnion('RegisterManagerResult', RegisterManagerPayload, errors);
const ReportMembershipResult = resultUnion('ReportMembershipResult', ReportMembershipPayload, errors);
const ReportStatsResult = resultUnion('ReportStatsResult', ReportStatsPayload, errors);

type Session = Extract<Principal, { kind: 'session' }>;
type Enrollment = Extract<Principal, { kind: 'token' }>;

builder.mutationFields((t) => ({
  registerManager: t.field({
    type: RegisterManagerResult,
    authScopes: { enrollment: true },
    description:
      'with an enrollment (MANAGER) token: creates the cluster on first registration and binds it to that token, replaces its manager and membership after. ' +
      'Registering a cluster that exists takes a token created for it (clusterName), or the token it is bound to, or an ADMIN releasing it first (releaseCluster); otherwise ConflictError.',
    args: { input: t.arg({ type: RegisterManagerInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      asResult(async () => {
        const r = await ctx.services.managers.register(ctx.principal as Enrollment, input);
        return payload('RegisterManagerPayload', { manager: r.manager, cluster: r.cluster, sessionToken: r.sessionToken });
      }),
  }),
  releaseCluster: t.field({
    type: ReleaseClusterResult,
    authScopes: { admin: true },
    description:
      'ADMIN: unbinds a cluster (by id or by name, exactly one) from the enrollment token that registered it, so that the next registration with any enrollment token may take it over (and binds it). Its manager stays connected until then.',
    args: { id: t.arg.id(), name: t.arg.string() },
    resolve: (_r, args, ctx) =>
      asResult(async () => {
        const id = args.id == null ? null : parseId(String(args.id), 'Cluster', 'id');
        return payload('ReleaseClusterPayload', { cluster: await ctx.services.managers.releaseCluster({ id, name: args.name }) });
      }),
  }),
  reportMembership: t.field({
    type: ReportMembershipResult,
    authScopes: { managerSession: true },
    audit: false,
    args: { input: t.arg({ type: ReportMembershipInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      asResult(async () => payload('ReportMembershipPayload', await ctx.services.managers.reportMembership(ctx.principal as Session, input.events))),
  }),
  reportStats: t.field({
    type: ReportStatsResult,
    authScopes: { managerSession: true },
    audit: false,
    args: { input: t.arg({ type: ReportStatsInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      asResult(async () => payload('ReportStatsPayload', await ctx.services.managers.reportStats(ctx.principal as Session, input.samples))),
  }),
}));
