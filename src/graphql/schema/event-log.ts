/**
 * The event log through the API: the Event interface (MembershipEvent, TopologyEvent,
 * CommandUpdatedEvent), `events(after:)`, `Cluster.events`, and `Command.position`.
 */
import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import type { Command } from '../../domain/types.js';
import type { EventMap, LoggedEvent, LoggedTopic } from '../../events/bus.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { connectionOf, type ListSize, listSizeExtensions, pageSize, parseId } from '../ids.js';
import { ClusterRef } from './cluster.js';
import { CommandRef } from './command.js';

/** Any logged event's payload; which type it is follows from its fields (see resolveType). */
type LoggedPayload = EventMap[LoggedTopic];

/** What the subscriptions of logged topics say of `after`. */
export const AFTER_DOC = 'With `after`, every event after that position is replayed first (from the event log), then live ones follow: none missed, none twice.';
export const AFTER_ARG = 'a position (Event.position): replay what followed it first; EVENTS_EXPIRED when that is no longer kept';

export const EVENT_PAGE: Required<ListSize> = { arg: 'first', default: 100, max: 1000 };

export const EventTopicEnum = builder.enumType('EventTopic', {
  values: {
    MEMBERSHIP: { value: 'membership', description: 'MembershipEvent: a worker joined, left or changed state' },
    TOPOLOGY: { value: 'topology', description: 'TopologyEvent: a cluster was added, changed or removed' },
    COMMAND: { value: 'command', description: 'CommandUpdatedEvent: a command changed (state, a step, progress)' },
  } as const,
});

export const EventRef = builder.interfaceRef<LoggedPayload>('Event').implement({
  description: 'one entry of the event log, in commit order (API.md, "The event log")',
  resolveType: (e) => ('worker' in e ? 'MembershipEvent' : 'commandId' in e ? 'CommandUpdatedEvent' : 'TopologyEvent'),
  fields: (t) => ({
    position: t.string({
      description: 'its place in the event log: opaque, increasing in commit order; give it as `after` to resume after this event',
      resolve: (e) => e.position ?? '',
    }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
  }),
});

builder.objectRef<EventMap['command']>('CommandUpdatedEvent').implement({
  description: 'a command changed (the COMMAND topic of the event log; commandUpdated delivers the Command itself)',
  interfaces: [EventRef],
  isTypeOf: (e) => typeof e === 'object' && e !== null && 'commandId' in e,
  fields: (t) => ({
    command: t.field({
      type: CommandRef,
      nullable: true,
      description: 'as it is now (not as it was at the event); null once it is gone with its cluster',
      resolve: (e, _a, ctx) => ctx.loaders.command.load(e.commandId),
    }),
  }),
});

export const EventConnection = builder.connectionObject({ type: EventRef, name: 'EventConnection' }, { name: 'EventEdge' });

/** Does the field's selection ask for `name` (directly, or through a fragment)? */
function selects(info: GraphQLResolveInfo, name: string): boolean {
  const walk = (set: SelectionSetNode | undefined, depth: number): boolean =>
    depth < 8 &&
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === name;
      if (s.kind === Kind.INLINE_FRAGMENT) return walk(s.selectionSet, depth + 1);
      return walk(info.fragments[s.name.value]?.selectionSet, depth + 1);
    });
  return info.fieldNodes.some((f: FieldNode) => walk(f.selectionSet, 0));
}

async function resolveEvents(args: { after?: string | null; first?: number | null; topics?: readonly LoggedTopic[] | null }, clusterId: string | null, ctx: GraphQLContext, info: GraphQLResolveInfo) {
  const first = pageSize(args.first, EVENT_PAGE.default, EVENT_PAGE.max);
  const topics = args.topics?.length ? args.topics : null;
  const page = await ctx.services.events.list({ after: args.after ?? null, first, clusterId, topics });
  // Counting the whole log is work: only when asked.
  const totalCount = selects(info, 'totalCount') ? await ctx.services.events.count({ clusterId, topics }) : 0;
  return connectionOf(
    page.events.map((e: LoggedEvent) => e.payload),
    (p) => p.position ?? '',
    { totalCount, hasNextPage: page.hasNextPage, hasPreviousPage: args.after != null },
  );
}

const eventArgsDoc = 'oldest first, after `after` (a position, or an edge cursor: they are the same)';

builder.queryField('events', (t) =>
  t.field({
    type: EventConnection,
    authScopes: { viewer: true },
    description: `the event log, ${eventArgsDoc}; EVENTS_EXPIRED when events after \`after\` are no longer kept`,
    extensions: listSizeExtensions(EVENT_PAGE),
    args: {
      after: t.arg.string(),
      first: t.arg.int({ description: `at most ${EVENT_PAGE.max}; default ${EVENT_PAGE.default}` }),
      clusterId: t.arg.id(),
      topics: t.arg({ type: [EventTopicEnum], description: 'all topics when omitted or empty' }),
    },
    resolve: (_r, args, ctx, info) => resolveEvents(args, args.clusterId == null ? null : parseId(String(args.clusterId), 'Cluster', 'clusterId'), ctx, info),
  }),
);

builder.objectField(ClusterRef, 'events', (t) =>
  t.field({
    type: EventConnection,
    description: `this cluster's history from the event log, ${eventArgsDoc}`,
    extensions: listSizeExtensions(EVENT_PAGE),
    args: {
      first: t.arg.int({ description: `at most ${EVENT_PAGE.max}; default ${EVENT_PAGE.default}` }),
      after: t.arg.string(),
      topics: t.arg({ type: [EventTopicEnum], description: 'all topics when omitted or empty' }),
    },
    resolve: (c, args, ctx, info) => resolveEvents(args, c.id, ctx, info),
  }),
);

/** A command as commandUpdated delivers it: with the position of the event that delivered it. */
export type DeliveredCommand = Command & { position?: string };

builder.objectField(CommandRef, 'position', (t) =>
  t.string({
    nullable: true,
    description: 'set on a Command delivered by commandUpdated: the position of that update in the event log (give it as `after` to resume); null elsewhere',
    resolve: (c: DeliveredCommand) => c.position ?? null,
  }),
);
